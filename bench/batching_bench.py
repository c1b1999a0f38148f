#!/usr/bin/env python3
"""Dynamic batching (issue 16), batched against unbatched, side by side.

For each model and repetition, in an order that rotates between
repetitions, two servers run the same exported model (`switchyard serve
--executor E --workers 2`, one intra-op thread each):

  unbatched   the model's config.toml as exported;
  batched     the same plus max_batch_size = MAX and a [dynamic_batching]
              table with max_queue_delay_us = DELAY.

Each server takes two loads from `switchyard bench` on the same cores:

  saturation  closed loop, --connections clients (default 32);
  half load   open loop (Poisson) at half the unbatched server's saturation
              throughput measured just before, in the same repetition.

Reported (medians of the repetitions): the throughput ratio batched /
unbatched at saturation, and the p99 at half load of both, against the
issue's bound (batched p99 <= unbatched p99 + DELAY). The batch sizes the
server formed come from its /stats. Requests carry their tensors as binary
data (the mix's binary=1, as Triton's perf_analyzer sends) unless
--json-tensors.

Needs a Release build (build/) and the reference models
(/usr/bin/python3 scripts/export_models.py --out models).

  python3 bench/batching_bench.py --repeat 3 --json docs/bench/batching-DATE.json
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from models_bench import MIXES  # noqa: E402
from serve_bench import ROOT, Switchyard, log, machine  # noqa: E402

MODELS = ("mobilenet_v2", "lstm_forecaster", "distilbert_like")


def repository(models, model, tmp, batched, max_batch, delay_us):
    """A one-model repository under tmp: the exported model, batched or not."""
    root = os.path.join(tmp, "batched" if batched else "unbatched")
    os.makedirs(os.path.join(root, model, "1"), exist_ok=True)
    link = os.path.join(root, model, "1", "model.pt")
    if not os.path.exists(link):
        os.symlink(os.path.abspath(os.path.join(models, model, "1", "model.pt")), link)
    with open(os.path.join(models, model, "config.toml")) as f:
        config = f.read()
    if batched:
        # Top-level keys must come before the [[input]] tables.
        config = "max_batch_size = %d\n%s\n[dynamic_batching]\nmax_queue_delay_us = %d\n" % (max_batch, config,
                                                                                           delay_us)
    with open(os.path.join(root, model, "config.toml"), "w") as f:
        f.write(config)
    return root


def bench(binary, port, mix, tmp, seconds, warmup, connections=None, rate=None):
    out = os.path.join(tmp, "bench.json")
    cmd = [binary, "bench", "--url", "http://127.0.0.1:%d/" % port, "-d", "%ds" % seconds, "--warmup",
           "%ds" % warmup, "--mix", mix, "--json", out, "--timeout", "30s"]
    cmd += ["-c", str(connections)] if connections else ["--rate", "%.1f" % rate]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out) as f:
        s = json.load(f)
    return {"rps": s["throughput_rps"], "errors": s["errors"], "p50_ms": s["latency_us"]["p50"] / 1000,
            "p99_ms": s["latency_us"]["p99"] / 1000}


def batch_stats(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/stats" % port) as r:
        b = json.load(r)["batching"]
    return {"batches": b["batches"], "requests": b["requests"], "rows": b["rows"], "by_size": b["by_size"],
            "mean_requests_per_batch": b["requests"] / b["batches"] if b["batches"] else 0}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3, help="repetitions (medians reported)")
    ap.add_argument("--duration", type=int, default=8, help="measured seconds per load")
    ap.add_argument("--warmup", type=int, default=2, help="seconds of load before measuring")
    ap.add_argument("--connections", type=int, default=32, help="closed-loop clients at saturation")
    ap.add_argument("--executor", default="threads", help="threads, processes or async (async adds --offload 2)")
    ap.add_argument("--max-batch", type=int, default=8, help="max_batch_size of the batched server")
    ap.add_argument("--delay-us", type=int, default=2000, help="max_queue_delay_us of the batched server")
    ap.add_argument("--model", action="append", choices=MODELS, help="only this model (repeatable; default all)")
    ap.add_argument("--json-tensors", action="store_true", help="send tensors as JSON numbers, not binary")
    ap.add_argument("--models", default=os.path.join(ROOT, "models"), help="model repository")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--json", help="write every run and the medians here")
    args = ap.parse_args()
    binary = os.path.join(args.build, "switchyard")
    if not os.path.exists(binary):
        sys.exit("batching_bench: %s is missing: build first (scripts/build.sh)" % binary)
    models = args.model or list(MODELS)
    for m in models:
        if not os.path.exists(os.path.join(args.models, m, "1", "model.pt")):
            sys.exit("batching_bench: %s/%s is missing: /usr/bin/python3 scripts/export_models.py --out %s"
                     % (args.models, m, args.models))
    executor = ["--executor", args.executor] + (["--offload", "2"] if args.executor == "async" else [])
    suffix = "" if args.json_tensors else ":binary=1"

    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.repeat):
            run = {}
            for model in models:
                mix = MIXES[model] + suffix
                order = [False, True] if rep % 2 == 0 else [True, False]
                cells = {}
                # The half load is half the unbatched saturation: measure that first.
                for batched in [False, True]:
                    repo = repository(args.models, model, tmp, batched, args.max_batch, args.delay_us)
                    server = Switchyard(binary, executor + ["--workers", "2", "--models", repo])
                    try:
                        cells[batched] = {"saturation": bench(binary, server.port, mix, tmp, args.duration,
                                                              args.warmup, connections=args.connections)}
                        if batched:
                            cells[batched]["saturation_batches"] = batch_stats(server.port)
                    finally:
                        server.stop()
                half = cells[False]["saturation"]["rps"] / 2
                for batched in order:
                    repo = repository(args.models, model, tmp, batched, args.max_batch, args.delay_us)
                    server = Switchyard(binary, executor + ["--workers", "2", "--models", repo])
                    try:
                        cells[batched]["half_load"] = bench(binary, server.port, mix, tmp, args.duration,
                                                            args.warmup, rate=half)
                        if batched:
                            cells[batched]["half_load_batches"] = batch_stats(server.port)
                    finally:
                        server.stop()
                u, b = cells[False], cells[True]
                entry = {"unbatched": u, "batched": b, "half_rate": half,
                         "throughput_ratio": b["saturation"]["rps"] / u["saturation"]["rps"]}
                log("rep %d %-16s saturation %7.1f -> %7.1f req/s (x%.2f, %.1f requests/batch); half load %.0f/s: "
                    "p99 %.2f -> %.2f ms (bound %.2f)" % (
                        rep + 1, model, u["saturation"]["rps"], b["saturation"]["rps"], entry["throughput_ratio"],
                        b["saturation_batches"]["mean_requests_per_batch"], half, u["half_load"]["p99_ms"],
                        b["half_load"]["p99_ms"], u["half_load"]["p99_ms"] + args.delay_us / 1000))
                run[model] = entry
            runs.append(run)

    med = statistics.median
    summary = {"machine": machine(), "repeat": args.repeat, "duration_s": args.duration,
               "connections": args.connections, "executor": args.executor, "max_batch_size": args.max_batch,
               "max_queue_delay_us": args.delay_us, "tensors": "json" if args.json_tensors else "binary",
               "models": {}}
    print("\n## Dynamic batching, %s, %d cores, %s: %s executor, 2 workers, max_batch_size %d, delay %d us, "
          "%s tensors (medians of %d)\n" % (summary["machine"]["cpu"], summary["machine"]["cores"],
                                          summary["machine"]["date"], args.executor, args.max_batch, args.delay_us,
                                          summary["tensors"], args.repeat))
    print("| model | unbatched req/s | batched req/s | ratio | requests/batch | half-load rate | p99 unbatched ms "
          "| p99 batched ms | bound ms | batched - bound, per repetition |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for model in models:
        rows = [r[model] for r in runs]
        m = {"unbatched_rps": med([r["unbatched"]["saturation"]["rps"] for r in rows]),
             "batched_rps": med([r["batched"]["saturation"]["rps"] for r in rows]),
             "throughput_ratio": med([r["throughput_ratio"] for r in rows]),
             "requests_per_batch": med([r["batched"]["saturation_batches"]["mean_requests_per_batch"] for r in rows]),
             "half_rate": med([r["half_rate"] for r in rows]),
             "half_p99_unbatched_ms": med([r["unbatched"]["half_load"]["p99_ms"] for r in rows]),
             "half_p99_batched_ms": med([r["batched"]["half_load"]["p99_ms"] for r in rows]),
             "errors": sum(r[k][load]["errors"] for r in rows for k in ("batched", "unbatched")
                           for load in ("saturation", "half_load"))}
        m["p99_bound_ms"] = m["half_p99_unbatched_ms"] + args.delay_us / 1000
        # Each repetition's batched p99 less its own bound (the medians of the
        # two columns come from different repetitions): <= 0 meets it.
        m["p99_margin_ms"] = med([r["batched"]["half_load"]["p99_ms"] - r["unbatched"]["half_load"]["p99_ms"]
                                  - args.delay_us / 1000 for r in rows])
        summary["models"][model] = m
        print("| %s | %.1f | %.1f | %.2f | %.1f | %.0f/s | %.2f | %.2f | %.2f | %+.2f |" % (
            model, m["unbatched_rps"], m["batched_rps"], m["throughput_ratio"], m["requests_per_batch"],
            m["half_rate"], m["half_p99_unbatched_ms"], m["half_p99_batched_ms"], m["p99_bound_ms"],
            m["p99_margin_ms"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"summary": summary, "runs": runs,
                       "command": "python3 bench/batching_bench.py " + " ".join(sys.argv[1:]),
                       "date": datetime.datetime.utcnow().isoformat() + "Z"}, f, indent=1)


if __name__ == "__main__":
    main()
