#!/usr/bin/env python3
"""Python models (issue 15), all measured in the same run:

  overhead  py_noop (returns its input: the cost of serving a Python call)
            and py_torch_mobilenet (MobileNetV2 in eager PyTorch) at
            saturation, 2 workers: switchyard threads / processes /
            async+offload against the same Model behind Flask + gunicorn (2
            sync workers) and aiohttp (2 inference threads),
            bench/python_model_server.py; one load generator (switchyard
            bench) drives all.
  gil       every reference model at saturation under threads and under
            processes (forkserver), 2 workers: the threads / processes
            throughput ratio, and the GIL-held share of service time that
            /stats reports (measured under processes, where a worker never
            waits for another: the model's own profile) and the GIL wait
            share under threads.
  memory    PSS of the whole process tree serving py_torch_mobilenet with 4
            workers: threads, processes (fork, forkserver, spawn), and Flask
            + gunicorn.

py_torch_mobilenet is written by scripts/export_models.py (into
python_models/, with the TorchScript mobilenet_v2); without it, its rows are
left out.

Every repetition starts each server afresh, in a rotating order; medians of
per-repetition figures. Needs build/ (scripts/build.sh).

  python3 bench/python_bench.py --repeat 3 --json docs/bench/python-DATE.json
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from models_bench import MEMORY_CONFIGS, PythonServer, load, memory_figures  # noqa: E402
from serve_bench import ROOT, Switchyard, log, machine  # noqa: E402

MODELS_DIR = os.path.join(ROOT, "python_models")
# The load of each model: one input, fixed values, so every request costs the same.
MIXES = {
    "py_noop": "infer:model=py_noop:input=x:shape=64:datatype=FP32",
    "py_chain": "infer:model=py_chain:input=n:shape=1:datatype=INT64:value=20000",
    "py_numpy": "infer:model=py_numpy:input=scale:shape=1:datatype=FP32:value=1",
    "py_sqlite": "infer:model=py_sqlite:input=key:shape=1:datatype=INT64:max=100000",
    "py_sleep": "infer:model=py_sleep:input=ms:shape=1:datatype=INT32:value=5",
    "py_torch_mobilenet": "infer:model=py_torch_mobilenet:shape=1x3x32x32",
}
OVERHEAD_MODELS = ["py_noop", "py_torch_mobilenet"]
TORCH_MODEL = "py_torch_mobilenet"
OVERHEAD_SERVERS = [
    ("switchyard threads", ["--executor", "threads"]),
    ("switchyard processes", ["--executor", "processes", "--start", "forkserver"]),
    ("switchyard async+offload", ["--executor", "async", "--offload", "2"]),
    ("flask+gunicorn", "flask"),
    ("aiohttp", "aiohttp"),
]
GIL_SERVERS = [
    ("threads", ["--executor", "threads"]),
    ("processes", ["--executor", "processes", "--start", "forkserver"]),
]


def stats(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/stats" % port, timeout=10) as r:
        return json.load(r)


def start(binary, spec, workers):
    if isinstance(spec, str):
        return PythonServer(spec, workers, MODELS_DIR)
    return Switchyard(binary, spec + ["--workers", str(workers), "--models", MODELS_DIR])


def measure(binary, spec, model, args, tmp):
    server = start(binary, spec, 2)
    try:
        s = load(binary, server.port, MIXES[model], args.connections, args.duration, args.warmup, tmp)
        out = {"throughput_rps": s["throughput_rps"], "errors": s["errors"],
               "p50_ms": s["latency_us"]["p50"] / 1000, "p99_ms": s["latency_us"]["p99"] / 1000}
        if not isinstance(spec, str):
            py = stats(server.port).get("python", {}).get(model, {})
            out["gil_held_share"] = py.get("gil_held_share")
            out["gil_wait_share"] = py.get("gil_wait_share")
        return out
    finally:
        server.stop()


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3, help="repetitions (medians reported)")
    ap.add_argument("--duration", type=int, default=8, help="measured seconds per server and model")
    ap.add_argument("--warmup", type=int, default=2, help="seconds of load before measuring")
    ap.add_argument("--connections", type=int, default=8, help="closed-loop connections (2 workers: saturated)")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--skip-overhead", action="store_true", help="leave out the servers' comparison")
    ap.add_argument("--skip-memory", action="store_true", help="leave out the PSS figures")
    ap.add_argument("--models", nargs="+", choices=list(MIXES), help="only these models in the GIL table")
    ap.add_argument("--json", help="write every run and the medians here")
    args = ap.parse_args()
    binary = os.path.join(args.build, "switchyard")
    tmp = tempfile.mkdtemp(prefix="switchyard-pybench-")
    models = [m for m in (args.models or MIXES) if m != TORCH_MODEL or os.path.exists(os.path.join(MODELS_DIR, m, "1", "weights.pt"))]
    if TORCH_MODEL not in models:
        log(f"{TORCH_MODEL} not exported (scripts/export_models.py --out models): its rows are left out")
    overhead_models = [m for m in OVERHEAD_MODELS if m in models]
    runs = []
    for rep in range(args.repeat):
        run = {"overhead": {}, "gil": {}}
        if not args.skip_overhead:
            order = OVERHEAD_SERVERS[rep % len(OVERHEAD_SERVERS):] + OVERHEAD_SERVERS[:rep % len(OVERHEAD_SERVERS)]
            for model in overhead_models:
                for label, spec in order:
                    log(f"run {rep + 1}/{args.repeat}: {model} on {label} ...")
                    run["overhead"].setdefault(model, {})[label] = measure(binary, spec, model, args, tmp)
        for model in models:
            for label, spec in (GIL_SERVERS if rep % 2 == 0 else GIL_SERVERS[::-1]):
                log(f"run {rep + 1}/{args.repeat}: {model} on {label} ...")
                run["gil"].setdefault(model, {})[label] = measure(binary, spec, model, args, tmp)
        runs.append(run)

    memory = None
    if not args.skip_memory and TORCH_MODEL in models:
        log(f"memory: {TORCH_MODEL}, 4 workers")
        memory = memory_figures(binary, MODELS_DIR, tmp, MIXES[TORCH_MODEL], MEMORY_CONFIGS)

    summary = {"machine": machine(), "args": vars(args), "runs": runs, "overhead": {}, "gil": {}, "memory": memory}
    m = summary["machine"]
    print(f"\n## python_bench: {m['date']}, {m['cores']} cores, {m['cpu']}; 2 workers, "
          f"{args.connections} connections, {args.duration} s, median of {args.repeat}\n")
    for model in ([] if args.skip_overhead else overhead_models):
        summary["overhead"][model] = {}
        print(f"| {model} on | req/s | p50 ms | p99 ms |\n|---|---:|---:|---:|")
        for label, _ in OVERHEAD_SERVERS:
            f = {k: med([r["overhead"][model][label][k] for r in runs]) for k in ("throughput_rps", "p50_ms", "p99_ms")}
            summary["overhead"][model][label] = f
            print(f"| {label} | {f['throughput_rps']:,.0f} | {f['p50_ms']:.2f} | {f['p99_ms']:.2f} |")

        def best(figures, ours):
            return max(v["throughput_rps"] for k, v in figures.items() if k.startswith("switchyard") == ours)
        per_run = [best(r["overhead"][model], True) / best(r["overhead"][model], False) for r in runs]
        ours, theirs = best(summary["overhead"][model], True), best(summary["overhead"][model], False)
        summary["overhead"][model]["best_ratio"] = med(per_run)
        print(f"\nbest switchyard / best Python stack: {med(per_run):.2f} (per run "
              f"{', '.join(f'{x:.2f}' for x in per_run)}; medians {ours:,.0f} vs {theirs:,.0f})\n")
    print("| model | threads req/s | processes req/s | threads / processes | GIL-held share (processes) | "
          "GIL wait share (threads) |\n|---|---:|---:|---:|---:|---:|")
    for model in models:
        t = [r["gil"][model]["threads"] for r in runs]
        p = [r["gil"][model]["processes"] for r in runs]
        row = {"threads_rps": med([x["throughput_rps"] for x in t]),
               "processes_rps": med([x["throughput_rps"] for x in p]),
               "ratio": med([a["throughput_rps"] / b["throughput_rps"] for a, b in zip(t, p)]),
               "held_share_processes": med([x["gil_held_share"] for x in p]),
               "held_share_threads": med([x["gil_held_share"] for x in t]),
               "wait_share_threads": med([x["gil_wait_share"] for x in t])}
        summary["gil"][model] = row
        print(f"| {model} | {row['threads_rps']:,.1f} | {row['processes_rps']:,.1f} | {row['ratio']:.2f} | "
              f"{row['held_share_processes']:.2f} | {row['wait_share_threads']:.2f} |")
    order_share = sorted(models, key=lambda k: -summary["gil"][k]["held_share_processes"])
    order_ratio = sorted(models, key=lambda k: summary["gil"][k]["ratio"])
    summary["rank_by_held_share"], summary["rank_by_ratio"] = order_share, order_ratio
    print(f"\nby GIL-held share, high to low: {', '.join(order_share)}")
    print(f"by threads / processes, low to high: {', '.join(order_ratio)}")
    if memory:
        base = memory["threads"]["pss_mib"]
        print(f"\n### Memory: {TORCH_MODEL}, 4 workers, PSS of the process tree\n")
        print("| configuration | PSS MiB | × threads | processes |\n|---|---:|---:|---:|")
        for label, mem in memory.items():
            print(f"| {label} | {mem['pss_mib']:.1f} | {mem['pss_mib'] / base:.2f} | {mem['processes']} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=2)
        log(f"wrote {args.json}")


if __name__ == "__main__":
    main()
