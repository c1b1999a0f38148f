#!/usr/bin/env python3
"""Model serving figures (issue 4), all measured in the same run:

  efficiency   throughput at saturation with 2 workers for mobilenet_v2 and
               lstm_forecaster, threads / processes / async+offload, divided by
               the compute limit: 2 x the single-thread in-process inference
               rate (bench/model_bench, BM_Infer threads:1) measured just
               before that server runs (this VM's speed drifts by a third
               within minutes, so only adjacent measurements are compared).
               Also divided by the rate two in-process threads reach together
               (threads:2): what this machine gives two busy cores.
  python       the same load against the stack the seeds propose: Flask under
               gunicorn (2 worker processes) and aiohttp (2 inference threads),
               calling the same TorchScript files through python3-torch.
  protocol     parsing and validating a 1x3x32x32 FP32 request, its IPC payload
               and rendering the reply (model_bench), as a share of
               mobilenet_v2's single-thread inference time; in JSON, and
               with the tensors as binary data (the v2 binary extension).
  binary       with --binary, switchyard's servers also take the same load
               with binary tensors in and out (the mix's binary=1), as
               Triton's perf_analyzer sends it.
  memory       PSS of the whole process tree serving distilbert_like with 4
               workers: threads, processes fork / forkserver / spawn, and
               gunicorn+Flask, after every worker has run inferences.

Every repetition starts each server afresh, in a rotating order; medians of
the per-repetition figures are reported. Needs a Release/RelWithDebInfo build
(build/) and the reference models (scripts/export_models.py --out models).

  python3 bench/models_bench.py --repeat 3 --json docs/bench/models-DATE.json
"""
import argparse
import datetime
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_bench import ROOT, Switchyard, free_port, log, machine  # noqa: E402

MIXES = {
    "mobilenet_v2": "infer:model=mobilenet_v2:shape=1x3x32x32",
    "lstm_forecaster": "infer:model=lstm_forecaster:shape=1x336x7",
    "distilbert_like": "infer:model=distilbert_like:shape=1x128:datatype=INT64:max=30522",
}
# model_bench's BM_Infer argument for each model.
BENCH_INDEX = {"mobilenet_v2": 0, "lstm_forecaster": 1, "distilbert_like": 2}

SERVERS = [
    ("threads", ["--executor", "threads"]),
    ("processes", ["--executor", "processes", "--start", "forkserver", "--ipc", "shm"]),
    ("async+offload", ["--executor", "async", "--offload", "2"]),
    ("python flask+gunicorn", "flask"),
    ("python aiohttp", "aiohttp"),
]


class PythonServer:
    """bench/python_model_server.py in its own process group."""

    def __init__(self, framework, workers, models):
        self.port = free_port()
        script = os.path.join(ROOT, "bench", "python_model_server.py")
        self.proc = subprocess.Popen(["/usr/bin/python3", script, "--framework", framework, "--workers",
                                      str(workers), "--port", str(self.port), "--models", models],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                     start_new_session=True)
        deadline = time.time() + 90
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("python server exited: " + self.proc.stderr.read())
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/v2/health/ready" % self.port, timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("python server did not become ready")

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def start_server(binary, spec, workers, models, extra=()):
    if isinstance(spec, str):
        return PythonServer(spec, workers, models)
    return Switchyard(binary, spec + ["--workers", str(workers), "--models", models] + list(extra))


def load(binary, port, mix, connections, seconds, warmup, tmp):
    out = os.path.join(tmp, "bench.json")
    cmd = [binary, "bench", "--url", "http://127.0.0.1:%d/score" % port, "-c", str(connections), "-d",
           "%ds" % seconds, "--warmup", "%ds" % warmup, "--mix", mix, "--json", out, "--timeout", "30s"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out) as f:
        return json.load(f)


def model_bench(build, models, filt, min_time=None):
    cmd = [os.path.join(build, "bench", "model_bench"), "--benchmark_filter=" + filt, "--benchmark_format=json"]
    if min_time:
        cmd.append("--benchmark_min_time=%s" % min_time)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True,
                         env=dict(os.environ, SWITCHYARD_MODELS=models)).stdout
    return {b["name"]: b for b in json.loads(out)["benchmarks"]}


def inprocess_rates(build, models, model):
    """(single-thread rate, two-thread combined rate) in inferences/s."""
    i = BENCH_INDEX[model]
    res = model_bench(build, models, "BM_Infer/%d/" % i, "2")
    one = two = None
    for name, b in res.items():
        if name.endswith("threads:1"):
            one = b["items_per_second"]
        elif name.endswith("threads:2"):
            two = b["items_per_second"]
    return one, two


PROTOCOL_PARTS = ("BM_ParseInferRequest", "BM_ParseInferRequestBinary", "BM_PayloadRoundTrip",
                  "BM_RenderInferReply/0", "BM_RenderInferReply/1")


def protocol_costs(build, models):
    res = model_bench(build, models, "BM_ParseInferRequest|BM_PayloadRoundTrip|BM_RenderInferReply", "2")
    return {k: res[k]["real_time"] for k in PROTOCOL_PARTS}


def descendants(pid):
    """pid and every process below it (via /proc/*/stat parents)."""
    parent = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                parent[int(entry)] = int(fields[1])
            except OSError:
                pass
    tree, frontier = {pid}, [pid]
    while frontier:
        p = frontier.pop()
        for c, pp in parent.items():
            if pp == p and c not in tree:
                tree.add(c)
                frontier.append(c)
    return tree


def tree_pss_bytes(pid):
    total = 0
    for p in descendants(pid):
        try:
            with open("/proc/%d/smaps_rollup" % p) as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


MEMORY_CONFIGS = [
    ("threads", ["--executor", "threads"]),
    ("processes fork", ["--executor", "processes", "--start", "fork"]),
    ("processes forkserver", ["--executor", "processes", "--start", "forkserver"]),
    ("processes forkserver --no-warm-up", ["--executor", "processes", "--start", "forkserver", "--no-warm-up"]),
    ("processes spawn", ["--executor", "processes", "--start", "spawn"]),
    ("python flask+gunicorn", "flask"),
]


def memory_figures(binary, models, tmp, mix=MIXES["distilbert_like"], configs=MEMORY_CONFIGS, workers=4):
    """PSS of each configuration's whole process tree, serving `mix` with `workers` workers."""
    out = {}
    for label, spec in configs:
        server = start_server(binary, spec, workers, models)
        try:
            # Every worker runs inferences before the figure is read: 8
            # connections for long enough that each of the 4 takes several.
            load(binary, server.port, mix, 8, 6, 0, tmp)
            pid = server.proc.pid
            pss = tree_pss_bytes(pid)
            own = None
            if not isinstance(spec, str):
                with urllib.request.urlopen("http://127.0.0.1:%d/stats" % server.port) as r:
                    own = json.load(r).get("process_tree", {}).get("pss_bytes")
            out[label] = {"pss_mib": pss / 2**20, "stats_pss_mib": own / 2**20 if own else None,
                          "processes": len(descendants(pid))}
            log("  memory %-22s PSS %7.1f MiB over %d processes" % (label, pss / 2**20, out[label]["processes"]))
        finally:
            server.stop()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3, help="repetitions (medians reported)")
    ap.add_argument("--duration", type=int, default=8, help="measured seconds per server and model")
    ap.add_argument("--warmup", type=int, default=2, help="seconds of load before measuring")
    ap.add_argument("--connections", type=int, default=4, help="closed-loop connections (2 workers: saturated)")
    ap.add_argument("--models", default=os.path.join(ROOT, "models"), help="model repository")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--json", help="write every run and the medians here")
    ap.add_argument("--binary", action="store_true",
                    help="also load switchyard's servers with binary tensors (the mix's binary=1)")
    ap.add_argument("--model", action="append", choices=["mobilenet_v2", "lstm_forecaster"],
                    help="measure only this model (repeatable; default: both)")
    ap.add_argument("--skip-python", action="store_true", help="leave out the Python servers")
    args = ap.parse_args()
    served = args.model or ["mobilenet_v2", "lstm_forecaster"]
    # (label, server spec, mix suffix)
    cells = [(label, spec, "") for label, spec in SERVERS if not (args.skip_python and isinstance(spec, str))]
    if args.binary:
        cells += [(label + ", binary tensors", spec, ":binary=1") for label, spec in SERVERS
                  if not isinstance(spec, str)]
    binary = os.path.join(args.build, "switchyard")
    for need in (binary, os.path.join(args.build, "bench", "model_bench")):
        if not os.path.exists(need):
            sys.exit("models_bench: %s is missing: build first (scripts/build.sh)" % need)
    for m in served + ([] if args.skip_memory else ["distilbert_like"]):
        if not os.path.exists(os.path.join(args.models, m, "1", "model.pt")):
            sys.exit("models_bench: %s/%s is missing: /usr/bin/python3 scripts/export_models.py --out %s"
                     % (args.models, m, args.models))

    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.repeat):
            run = {"protocol_us": protocol_costs(args.build, args.models), "models": {}}
            for model in served:
                row = {"servers": {}}
                order = cells[rep % len(cells):] + cells[:rep % len(cells)]
                for label, spec, suffix in order:
                    one, two = inprocess_rates(args.build, args.models, model)
                    server = start_server(binary, spec, 2, args.models)
                    try:
                        s = load(binary, server.port, MIXES[model] + suffix, args.connections, args.duration,
                                 args.warmup, tmp)
                    finally:
                        server.stop()
                    rps = s["throughput_rps"]
                    row["servers"][label] = {
                        "inprocess_1thread_per_s": one, "inprocess_2threads_per_s": two,
                        "throughput_rps": rps, "errors": s["errors"], "p50_ms": s["latency_us"]["p50"] / 1000,
                        "p99_ms": s["latency_us"]["p99"] / 1000, "efficiency": rps / (2 * one),
                        "vs_two_threads": rps / two}
                    log("rep %d %-15s %-22s %8.1f req/s  efficiency %.2f  (vs 2 threads in-process %.2f)"
                        % (rep + 1, model, label, rps, rps / (2 * one), rps / two))
                run["models"][model] = row
            runs.append(run)
        memory = None if args.skip_memory else memory_figures(binary, args.models, tmp)

    def med(values):
        return statistics.median(values)

    summary = {"machine": machine(), "repeat": args.repeat, "duration_s": args.duration,
               "connections": args.connections, "models": {}, "memory": memory}
    proto = {k: med([r["protocol_us"][k] for r in runs]) for k in PROTOCOL_PARTS}
    print("\n## Model serving, %s, %d cores, %s (medians of %d)\n" % (
        summary["machine"]["cpu"], summary["machine"]["cores"], summary["machine"]["date"], args.repeat))
    summary["protocol"] = {"parts_us": proto}
    for form, parse, render in (("json", "BM_ParseInferRequest", "BM_RenderInferReply/0"),
                                ("binary", "BM_ParseInferRequestBinary", "BM_RenderInferReply/1")):
        total = proto[parse] + proto["BM_PayloadRoundTrip"] + proto[render]
        summary["protocol"][form + "_total_us"] = total
        line = "Protocol, %s tensors: parse %.2f us + IPC payload %.2f us + reply %.2f us = %.2f us" % (
            form, proto[parse], proto["BM_PayloadRoundTrip"], proto[render], total)
        if "mobilenet_v2" in served:
            mobilenet_us = med([1e6 / c["inprocess_1thread_per_s"] for r in runs
                                for c in r["models"]["mobilenet_v2"]["servers"].values()])
            summary["protocol"]["mobilenet_inference_us"] = mobilenet_us
            summary["protocol"][form + "_share"] = total / mobilenet_us
            line += ", %.1f%% of mobilenet_v2's %.0f us single-thread inference" % (100 * total / mobilenet_us,
                                                                                   mobilenet_us)
        print(line)
    print()
    for model in served:
        rows = [r["models"][model] for r in runs]
        one = med([c["inprocess_1thread_per_s"] for r in rows for c in r["servers"].values()])
        two = med([c["inprocess_2threads_per_s"] for r in rows for c in r["servers"].values()])
        entry = {"inprocess_1thread_per_s": one, "inprocess_2threads_per_s": two, "servers": {}}
        print("### %s: in-process 1 thread %.1f/s (limit 2x = %.1f/s), 2 threads together %.1f/s "
              "(medians over all cells; each cell is divided by its own adjacent measurement)\n"
              % (model, one, 2 * one, two))
        print("| server (2 workers) | req/s | efficiency (÷ 2×1-thread) | ÷ 2 threads in-process | p50 ms | p99 ms |")
        print("|---|---|---|---|---|---|")
        for label, _, _ in cells:
            measured = [r["servers"][label] for r in rows]
            e = {k: med([c[k] for c in measured]) for k in ("throughput_rps", "efficiency", "vs_two_threads",
                                                              "p50_ms", "p99_ms")}
            e["errors"] = sum(c["errors"] for c in measured)
            entry["servers"][label] = e
            print("| %s | %.1f | %.2f | %.2f | %.2f | %.2f |" % (label, e["throughput_rps"], e["efficiency"],
                                                                  e["vs_two_threads"], e["p50_ms"], e["p99_ms"]))
        print()
        summary["models"][model] = entry
    if memory:
        base = memory["threads"]["pss_mib"]
        print("### Memory: distilbert_like, 4 workers, PSS of the process tree\n")
        print("| configuration | PSS MiB | × threads | processes |")
        print("|---|---|---|---|")
        for label, m in memory.items():
            print("| %s | %.1f | %.2f | %d |" % (label, m["pss_mib"], m["pss_mib"] / base, m["processes"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"summary": summary, "runs": runs,
                       "command": "python3 bench/models_bench.py " + " ".join(sys.argv[1:]),
                       "date": datetime.datetime.utcnow().isoformat() + "Z"}, f, indent=1)


if __name__ == "__main__":
    main()
