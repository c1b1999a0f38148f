"""py_sqlite: SELECT value FROM kv WHERE key = ? on a seeded table.

__init__ writes the table to a file once (before workers fork); each thread
then opens its own read-only connection, as a threaded Python server would.
"""
import os
import random
import sqlite3
import tempfile
import threading

import numpy as np


class Model:
    def __init__(self, config):
        params = config["parameters"]
        self.rows = int(params.get("rows", 100000))
        rng = random.Random(int(params.get("seed", 1)))
        directory = tempfile.mkdtemp(prefix="switchyard-py-sqlite-")
        self.path = os.path.join(directory, "kv.db")
        db = sqlite3.connect(self.path)
        db.execute("CREATE TABLE kv (key INTEGER PRIMARY KEY, value INTEGER NOT NULL)")
        db.executemany("INSERT INTO kv VALUES (?, ?)", ((k, rng.getrandbits(62)) for k in range(self.rows)))
        db.commit()
        db.close()
        self.local = threading.local()

    def infer(self, inputs):
        key = int(inputs["key"][0])
        if not 0 <= key < self.rows:
            raise KeyError(f"key {key} is not in 0..{self.rows - 1}")
        db = getattr(self.local, "db", None)
        if db is None:
            db = self.local.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        (value,) = db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return {"value": np.array([value], dtype=np.int64)}
