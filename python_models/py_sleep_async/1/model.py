"""py_sleep_async: await asyncio.sleep(ms / 1000) in an async def infer."""
import asyncio

import numpy as np

MAX_MS = 60_000


class Model:
    def __init__(self, config):
        pass

    async def infer(self, inputs):
        ms = int(inputs["ms"][0])
        if not 0 <= ms <= MAX_MS:
            raise ValueError(f"ms must be in 0..{MAX_MS}, got {ms}")
        await asyncio.sleep(ms / 1000)
        return {"slept_ms": np.array([ms], dtype=np.int32)}
