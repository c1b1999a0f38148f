#!/usr/bin/env python3
"""The adaptive controller on steady loads against the best static configuration (issue 17).

A controller that explores forever costs more than it wins on a load that
does not change. For each steady load below, side by side in one run:

  statics     `switchyard serve` on each of --statics (default: the
              configurations the controller settles on, and the start
              configuration) for --static-duration seconds;
  controller  `serve --controller contextual --executor processes --workers 2`
              (the issue's start: a configuration that cannot hold the
              mixed and sleep-heavy loads) for --duration seconds, start-up
              included (no warm-up: the first request is measured);

each under an open loop (`switchyard bench --rate`) with the kv database of
mode io. Loads (issue 17's mixed load and a CPU-only and a sleep-heavy one):

  mixed   600 req/s of cpu:iters=20000:2,io:1,sleep:ms=20:1
  cpu     350 req/s of cpu:iters=20000
  sleep   400 req/s of sleep:ms=50:3,cpu:iters=2000:1

Reported per load (medians of --repeat): each static's p99 and goodput, the
best static (lowest p99), the controller's p99 and goodput and their ratios
to the best static's (targets: p99 <= 1.5x, goodput >= 0.97x), its switches
in all and after the first minute (target: <= 1 per 5 minutes), its trials
on a canary, and requests lost (sent - answered; target 0).

  python3 bench/controller_steady_bench.py --repeat 3 --json docs/bench/controller-steady-DATE.json
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_bench import ROOT, Switchyard, log, machine  # noqa: E402

LOADS = {
    "mixed": (600, "cpu:iters=20000:2,io:1,sleep:ms=20:1"),
    "cpu": (350, "cpu:iters=20000"),
    "sleep": (400, "sleep:ms=50:3,cpu:iters=2000:1"),
}
START = ["--executor", "processes", "--workers", "2"]
STATICS = {
    "async/offload2": ["--executor", "async", "--offload", "2"],
    "threads/8": ["--executor", "threads", "--workers", "8"],
    "processes/8": ["--executor", "processes", "--workers", "8"],
    "processes/2 (start)": START,
}


def bench(binary, port, rate, mix, seconds, tmp):
    out = os.path.join(tmp, "bench.json")
    cmd = [binary, "bench", "--url", "http://127.0.0.1:%d/score" % port, "--rate", str(rate), "--mix", mix,
           "-d", "%ds" % seconds, "--warmup", "0s", "--json", out, "--timeout", "30s", "--quiet",
           "--allow-errors"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out) as f:
        s = json.load(f)
    return {"requests": s["requests"], "ok": s["ok"], "errors": s["errors"],
            "goodput_rps": s["goodput_rps"], "p50_ms": s["latency_us"]["p50"] / 1000,
            "p99_ms": s["latency_us"]["p99"] / 1000}


def stats(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/stats" % port) as r:
        return json.load(r)


def decisions(path):
    out = []
    if os.path.exists(path):
        with open(path) as f:
            out = [json.loads(line) for line in f if line.strip()]
    return out


def run(binary, name, args, rate, mix, seconds, db, tmp):
    server = Switchyard(binary, args + ["--db", db])
    try:
        r = bench(binary, server.port, rate, mix, seconds, tmp)
        s = stats(server.port)
        r["answered"] = sum(int(v) for v in s["score"]["by_status"].values())
        r["switches"] = s["controller"]["switches"]
    finally:
        server.stop()
    log("  %-22s p99 %8.1f ms  goodput %7.1f/s  errors %d" % (name, r["p99_ms"], r["goodput_rps"], r["errors"]))
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3, help="repetitions (medians reported)")
    ap.add_argument("--duration", type=int, default=300, help="the controller's seconds of load")
    ap.add_argument("--static-duration", type=int, default=60, help="each static's seconds of load")
    ap.add_argument("--load", action="append", choices=sorted(LOADS), help="only this load (repeatable)")
    ap.add_argument("--controller", default="contextual", help="the controller's algorithm")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--json", help="write every run and the medians here")
    args = ap.parse_args()
    binary = os.path.join(args.build, "switchyard")
    loads = args.load or list(LOADS)
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "kv.db")
        subprocess.run([binary, "gen-db", "--out", db], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        for rep in range(args.repeat):
            for load in loads:
                rate, mix = LOADS[load]
                log("repetition %d, load %s (%d req/s of %s)" % (rep + 1, load, rate, mix))
                for name, sargs in STATICS.items():
                    r = run(binary, name, sargs, rate, mix, args.static_duration, db, tmp)
                    runs.append(dict(r, rep=rep, load=load, server=name))
                log_path = os.path.join(tmp, "decisions.jsonl")
                if os.path.exists(log_path):
                    os.remove(log_path)
                cargs = START + ["--controller", args.controller, "--decisions-out", log_path]
                r = run(binary, "controller", cargs, rate, mix, args.duration, db, tmp)
                ds = decisions(log_path)
                r["switches_after_first_minute"] = sum(1 for d in ds if d["switched"] and d["t_s"] > 60)
                r["trials"] = sum(1 for d in ds if d["reason"] == "canary")
                r["escapes"] = sum(1 for d in ds if d["reason"] == "escape")
                r["final"] = ds[-1]["serving"] if ds else ""
                runs.append(dict(r, rep=rep, load=load, server="controller"))
    summary = {}
    for load in loads:
        per = {}
        for name in list(STATICS) + ["controller"]:
            rs = [r for r in runs if r["load"] == load and r["server"] == name]
            per[name] = {k: statistics.median(r[k] for r in rs) for k in ("p99_ms", "goodput_rps")}
            per[name]["lost"] = sum(r["requests"] - r["answered"] for r in rs)
        best = min(STATICS, key=lambda n: per[n]["p99_ms"])
        c = [r for r in runs if r["load"] == load and r["server"] == "controller"]
        summary[load] = {
            "servers": per, "best_static": best,
            "p99_ratio": per["controller"]["p99_ms"] / per[best]["p99_ms"],
            "goodput_ratio": per["controller"]["goodput_rps"] / per[best]["goodput_rps"],
            "switches": [r["switches"] for r in c],
            "switches_after_first_minute": [r["switches_after_first_minute"] for r in c],
            "trials": [r["trials"] for r in c], "escapes": [r["escapes"] for r in c],
            "final": [r["final"] for r in c]}
        s = summary[load]
        print("%-6s best static %-20s p99 %6.1f ms | controller p99 %6.1f ms (x%.2f) goodput x%.3f | switches %s "
              "(after 1 min %s) trials %s lost %d" % (
                  load, best, per[best]["p99_ms"], per["controller"]["p99_ms"], s["p99_ratio"],
                  s["goodput_ratio"], s["switches"], s["switches_after_first_minute"], s["trials"],
                  per["controller"]["lost"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M"), "args": vars(args),
                       "runs": runs, "summary": summary}, f, indent=1)


if __name__ == "__main__":
    main()
