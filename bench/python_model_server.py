#!/usr/bin/python3
"""The Python stack the seeds propose, serving the same models over the same
KServe v2 JSON as `switchyard serve --models`, so one load generator drives
both (bench/models_bench.py and bench/python_bench.py compare them): the
TorchScript files (MODELS/<name>/1/model.pt) through python3-torch, and
Python models (MODELS/<name>/1/model.py, `class Model`, docs/python-models.md)
called as switchyard calls them: infer({name: numpy.ndarray}) -> {name: ndarray}.

  flask:   Flask under gunicorn with N sync worker processes (the usual
           production set-up); each worker loads the models after the fork.
  aiohttp: one asyncio event loop; inference runs on a pool of N threads
           (PyTorch releases the GIL inside its operators).

Both run LibTorch on one intra-op thread per inference, as switchyard's
workers do by default. Only the route the benchmark needs is implemented:
POST /v2/models/{name}/infer with one input, and GET /v2/health/ready.

  python_model_server.py --framework flask --workers 2 --port 8001 --models models
"""
import argparse
import json
import os
import subprocess
import sys

import importlib.util
import tomllib

import numpy as np

MODELS = {}
NP_DTYPES = {"FP32": np.float32, "FP64": np.float64, "INT32": np.int32, "INT64": np.int64, "BOOL": np.bool_}
V2_DTYPES = {np.dtype(v): k for k, v in NP_DTYPES.items()}


class PythonModel:
    """A model.py's Model, with its declared outputs."""

    def __init__(self, directory, name):
        with open(os.path.join(directory, "config.toml"), "rb") as f:
            config = tomllib.load(f)
        spec = importlib.util.spec_from_file_location("model_" + name, os.path.join(directory, "1", "model.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        self.outputs = [o["name"] for o in config.get("output", [])]
        self.model = module.Model({"name": name, "version": 1, "inputs": config.get("input", []),
                                   "outputs": config.get("output", []), "parameters": config.get("parameters", {})})


def load_models(models_dir):
    torch = None
    for name in sorted(os.listdir(models_dir)):
        directory = os.path.join(models_dir, name)
        if os.path.exists(os.path.join(directory, "1", "model.py")):
            MODELS[name] = PythonModel(directory, name)
        elif os.path.exists(os.path.join(directory, "1", "model.pt")):
            if torch is None:
                import torch
                torch.set_num_threads(1)
            model = torch.jit.load(os.path.join(directory, "1", "model.pt"))
            model.eval()
            MODELS[name] = model


def infer_python(name, model, body):
    req = json.loads(body)
    inputs = {i["name"]: np.array(i["data"], dtype=NP_DTYPES[i["datatype"]]).reshape(i["shape"])
              for i in req["inputs"]}
    out = model.model.infer(inputs)
    return 200, json.dumps({"model_name": name, "model_version": "1",
                            "outputs": [{"name": n, "datatype": V2_DTYPES[out[n].dtype], "shape": list(out[n].shape),
                                         "data": out[n].ravel().tolist()} for n in model.outputs]})


def infer(name, body):
    """(status, JSON text) for one v2 infer request body."""
    model = MODELS.get(name)
    if model is None:
        return 404, json.dumps({"error": "unknown model '%s'" % name})
    if isinstance(model, PythonModel):
        try:
            return infer_python(name, model, body)
        except Exception as e:  # noqa: BLE001 - a bad request must not take the server down
            return 500, json.dumps({"error": "%s: %s" % (type(e).__name__, e)})
    import torch
    dtypes = {"FP32": torch.float32, "FP64": torch.float64, "INT32": torch.int32, "INT64": torch.int64}
    try:
        req = json.loads(body)
        inp = req["inputs"][0]
        x = torch.tensor(inp["data"], dtype=dtypes[inp["datatype"]]).reshape(inp["shape"])
        with torch.inference_mode():
            y = model(x)
    except Exception as e:  # a bad request must not take the server down
        return 400, json.dumps({"error": str(e).splitlines()[0] if str(e) else type(e).__name__})
    return 200, json.dumps({"model_name": name, "model_version": "1",
                            "outputs": [{"name": "OUTPUT__0", "datatype": "FP32", "shape": list(y.shape),
                                         "data": y.flatten().tolist()}]})


def flask_app():
    """gunicorn's entry point: python_model_server:flask_app()"""
    from flask import Flask, Response, request
    load_models(os.environ["SWITCHYARD_PY_MODELS"])
    app = Flask("python_model_server")

    @app.post("/v2/models/<name>/infer")
    def flask_infer(name):
        status, text = infer(name, request.get_data())
        return Response(text, status=status, mimetype="application/json")

    @app.get("/v2/health/ready")
    def flask_ready():
        return Response('{"ready":true}', mimetype="application/json")

    return app


def run_aiohttp(port, workers):
    import asyncio
    from concurrent.futures import ThreadPoolExecutor
    from aiohttp import web
    pool = ThreadPoolExecutor(max_workers=workers)

    async def handle_infer(request):
        body = await request.read()
        status, text = await asyncio.get_running_loop().run_in_executor(pool, infer, request.match_info["name"], body)
        return web.Response(text=text, status=status, content_type="application/json")

    async def handle_ready(_):
        return web.Response(text='{"ready":true}', content_type="application/json")

    app = web.Application(client_max_size=64 << 20)
    app.router.add_post("/v2/models/{name}/infer", handle_infer)
    app.router.add_get("/v2/health/ready", handle_ready)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--framework", choices=["flask", "aiohttp"], required=True)
    ap.add_argument("--workers", type=int, default=2, help="gunicorn worker processes / inference threads")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--models", required=True, help="model repository (MODELS/<name>/1/model.pt)")
    args = ap.parse_args()
    if not os.path.isdir(args.models):
        sys.exit("python_model_server: --models %s is not a directory" % args.models)
    if args.framework == "flask":
        env = dict(os.environ, SWITCHYARD_PY_MODELS=os.path.abspath(args.models))
        here = os.path.dirname(os.path.abspath(__file__))
        # exec: gunicorn becomes this process, so the caller's signals reach it.
        os.execvpe("gunicorn", ["gunicorn", "--workers", str(args.workers), "--bind", "127.0.0.1:%d" % args.port,
                                "--chdir", here, "--log-level", "warning", "--backlog", "2048",
                                "python_model_server:flask_app()"], env)
    load_models(args.models)
    run_aiohttp(args.port, args.workers)


if __name__ == "__main__":
    main()
