#!/usr/bin/python3
"""Runs a model.py's infer() directly, as a user would in Python, for the
tests to compare switchyard's replies with.

    run_infer.py MODEL_DIR VERSION INPUTS_JSON

MODEL_DIR holds config.toml and VERSION/model.py; INPUTS_JSON maps input
names to {"datatype", "shape", "data"}. Prints the outputs as JSON:
{name: {"shape", "data"}}.
"""
import asyncio
import importlib.util
import inspect
import json
import sys
import tomllib

import numpy as np

DTYPES = {"FP32": np.float32, "FP64": np.float64, "INT32": np.int32, "INT64": np.int64, "BOOL": np.bool_}


def main():
    model_dir, version, inputs_json = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(f"{model_dir}/config.toml", "rb") as f:
        config = tomllib.load(f)
    name = model_dir.rstrip("/").split("/")[-1]
    cfg = {"name": name, "version": version,
           "inputs": config.get("input", []), "outputs": config.get("output", []),
           "parameters": config.get("parameters", {})}
    spec = importlib.util.spec_from_file_location("model_under_test", f"{model_dir}/{version}/model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.Model(cfg)
    inputs = {k: np.array(v["data"], dtype=DTYPES[v["datatype"]]).reshape(v["shape"])
              for k, v in json.loads(inputs_json).items()}
    out = model.infer(inputs)
    if inspect.iscoroutine(out):
        out = asyncio.run(out)
    print(json.dumps({k: {"shape": list(v.shape), "data": v.ravel().tolist()} for k, v in out.items()}))


if __name__ == "__main__":
    main()
