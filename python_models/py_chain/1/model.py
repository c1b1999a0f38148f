"""py_chain: a SHA-256 chain of n steps in Python (holds the GIL throughout)."""
import hashlib

import numpy as np

MAX_STEPS = 10_000_000


class Model:
    def __init__(self, config):
        self.seed = hashlib.sha256(b"switchyard").digest()

    def infer(self, inputs):
        n = int(inputs["n"][0])
        if not 0 <= n <= MAX_STEPS:
            raise ValueError(f"n must be in 0..{MAX_STEPS}, got {n}")
        h = self.seed
        for _ in range(n):
            h = hashlib.sha256(h).digest()
        return {"digest": np.frombuffer(h, dtype="<i8").copy()}
