"""py_sleep: time.sleep(ms / 1000), releasing the GIL while it waits."""
import time

import numpy as np

MAX_MS = 60_000


class Model:
    def __init__(self, config):
        pass

    def infer(self, inputs):
        ms = int(inputs["ms"][0])
        if not 0 <= ms <= MAX_MS:
            raise ValueError(f"ms must be in 0..{MAX_MS}, got {ms}")
        time.sleep(ms / 1000)
        return {"slept_ms": np.array([ms], dtype=np.int32)}
