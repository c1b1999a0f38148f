#!/usr/bin/env python3
"""The adaptive controller choosing batching settings (issue 16), side by side.

One repository serves mobilenet_v2 with dynamic batching (max_batch_size 8,
max_queue_delay_us 2000, as bench/batching_bench.py's batched server). Three
servers run it in turn (`switchyard serve --executor threads --workers 2`):

  alone       --max-batch 1: every request runs alone, at once;
  batched     the model's own settings (batches of up to 8, 2 ms delay);
  controller  --controller contextual over two candidates, threads/2 with
              max_batch = 1 and threads/2 with the model's own settings;

under two loads from `switchyard bench`, each for --duration seconds after
--warmup: saturation (closed loop, --connections clients) and half load
(open loop at half of `alone`'s saturation throughput, measured first in the
same repetition). Batching multiplies throughput at saturation and adds up
to its delay to the latency at half load, so the best static setting differs
by load: the controller should find each. Reported (medians of the
repetitions): throughput and p99 of each server under each load, and the
share of the controller's windows spent on each candidate.

  python3 bench/batching_controller_bench.py --repeat 2 --json docs/bench/batching-controller-DATE.json
"""
import argparse
import collections
import datetime
import json
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from batching_bench import bench, repository  # noqa: E402
from models_bench import MIXES  # noqa: E402
from serve_bench import ROOT, Switchyard, log, machine  # noqa: E402

CANDIDATES = """[[candidate]]
executor = "threads"
workers = 2
max_batch = 1

[[candidate]]
executor = "threads"
workers = 2
"""
SERVERS = ("alone", "batched", "controller")


def server_args(name, repo, tmp):
    args = ["--executor", "threads", "--workers", "2", "--models", repo]
    if name == "alone":
        return args + ["--max-batch", "1"]
    if name == "controller":
        candidates = os.path.join(tmp, "candidates.toml")
        with open(candidates, "w") as f:
            f.write(CANDIDATES)
        decisions = os.path.join(tmp, "decisions.jsonl")
        if os.path.exists(decisions):
            os.remove(decisions)
        return args + ["--max-batch", "1", "--controller", "contextual", "--candidates", candidates,
                       "--decisions-out", decisions]
    return args


def shares(tmp):
    """The controller's windows by the candidate that served them."""
    counts = collections.Counter()
    with open(os.path.join(tmp, "decisions.jsonl")) as f:
        for line in f:
            counts[json.loads(line)["serving"]] += 1
    total = sum(counts.values())
    return {k: v / total for k, v in counts.items()}, total


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=2, help="repetitions (medians reported)")
    ap.add_argument("--duration", type=int, default=40, help="measured seconds per load")
    ap.add_argument("--warmup", type=int, default=2, help="seconds of load before measuring")
    ap.add_argument("--connections", type=int, default=32, help="closed-loop clients at saturation")
    ap.add_argument("--models", default=os.path.join(ROOT, "models"), help="model repository")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--json", help="write every run and the medians here")
    args = ap.parse_args()
    binary = os.path.join(args.build, "switchyard")
    if not os.path.exists(binary):
        sys.exit("batching_controller_bench: %s is missing: build first (scripts/build.sh)" % binary)
    if not os.path.exists(os.path.join(args.models, "mobilenet_v2", "1", "model.pt")):
        sys.exit("batching_controller_bench: mobilenet_v2 is missing: "
                 "/usr/bin/python3 scripts/export_models.py --out %s" % args.models)
    mix = MIXES["mobilenet_v2"] + ":binary=1"

    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        repo = repository(args.models, "mobilenet_v2", tmp, True, 8, 2000)
        for rep in range(args.repeat):
            run = {"saturation": {}, "half_load": {}}
            half = None
            for load in ("saturation", "half_load"):
                # `alone` first at saturation: the half load is half of it.
                order = list(SERVERS) if load == "saturation" or rep % 2 == 0 else list(reversed(SERVERS))
                for name in order:
                    server = Switchyard(binary, server_args(name, repo, tmp))
                    try:
                        if load == "saturation":
                            cell = bench(binary, server.port, mix, tmp, args.duration, args.warmup,
                                         connections=args.connections)
                        else:
                            cell = bench(binary, server.port, mix, tmp, args.duration, args.warmup, rate=half)
                    finally:
                        server.stop()
                    if name == "controller":
                        cell["shares"], cell["windows"] = shares(tmp)
                    run[load][name] = cell
                    if load == "saturation" and name == "alone":
                        half = cell["rps"] / 2
                log("rep %d %-10s %s" % (rep + 1, load, "  ".join(
                    "%s %.0f/s p99 %.2f ms" % (n, run[load][n]["rps"], run[load][n]["p99_ms"]) for n in SERVERS)))
                log("           controller windows: %s" % run[load]["controller"]["shares"])
            run["half_rate"] = half
            runs.append(run)

    med = statistics.median
    summary = {"machine": machine(), "repeat": args.repeat, "duration_s": args.duration,
               "connections": args.connections, "loads": {}}
    print("\n## The controller choosing batching: mobilenet_v2, threads/2, %s, %d cores, %s (medians of %d)\n" % (
        summary["machine"]["cpu"], summary["machine"]["cores"], summary["machine"]["date"], args.repeat))
    print("| load | alone req/s | alone p99 ms | batched req/s | batched p99 ms | controller req/s "
          "| controller p99 ms | controller windows batching (median share) |")
    print("|---|---|---|---|---|---|---|---|")
    for load in ("saturation", "half_load"):
        m = {}
        for n in SERVERS:
            m[n] = {"rps": med([r[load][n]["rps"] for r in runs]),
                    "p99_ms": med([r[load][n]["p99_ms"] for r in runs]),
                    "errors": sum(r[load][n]["errors"] for r in runs)}
        m["controller"]["batching_share"] = med([r[load]["controller"]["shares"].get("threads/2/fifo", 0)
                                                 for r in runs])
        summary["loads"][load] = m
        label = "saturation (%d clients)" % args.connections if load == "saturation" else \
            "half load (%.0f/s)" % med([r["half_rate"] for r in runs])
        print("| %s | %.1f | %.2f | %.1f | %.2f | %.1f | %.2f | %.2f |" % (
            label, m["alone"]["rps"], m["alone"]["p99_ms"], m["batched"]["rps"], m["batched"]["p99_ms"],
            m["controller"]["rps"], m["controller"]["p99_ms"], m["controller"]["batching_share"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"summary": summary, "runs": runs,
                       "command": "python3 bench/batching_controller_bench.py " + " ".join(sys.argv[1:]),
                       "date": datetime.datetime.utcnow().isoformat() + "Z"}, f, indent=1)


if __name__ == "__main__":
    main()
