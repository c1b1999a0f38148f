#!/usr/bin/env python3
"""Admission control under overload (issue 5): does the server keep its
latency promise for the requests it admits when twice as many arrive as it can
serve, and does it still serve about as many as it can?

Per repetition, each against a freshly started `switchyard serve`:
  capacity   closed loop at several connection counts; the best ok/s is the
             sustainable rate.
  80%        open loop (Poisson) at 0.8 x capacity, with admission control
             (--max-queue-wait-ms): the reference p99 of admitted requests.
  200%       open loop at 2 x capacity, with admission control: goodput
             (ok/s) as a share of capacity, and the p99 of admitted requests
             as a multiple of the 80% p99.
  200% off   the same without admission control (only --max-queue), to show
             what shedding buys. Its ok/s is not a rate the server sustained:
             the load generator waits for the answers still owed when the
             window closes and counts them against the window, and here they
             come seconds late (see its p99).
Medians over --repeat runs; ratios are taken within a run.

On the 2-core reference machine the server is pinned to CPU 1 and the load
generator to CPU 0 (taskset), so that the generator does not take the
server's CPU as the load grows; with --workers 1 the server's event loop and
its worker share that core.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile

from benchlib import log, free_port, wait_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pin(cpus):
    return ["taskset", "-c", cpus] if cpus else []


class Server:
    def __init__(self, binary, args, cpus):
        self.port = free_port()
        self.proc = subprocess.Popen(pin(cpus) + [binary, "serve", "--port", str(self.port)] + args,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_port(self.port):
            self.proc.kill()
            raise RuntimeError("server did not start: " + " ".join(args))

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


def bench(binary, port, cpus, load, mix, duration, out_dir, name):
    path = os.path.join(out_dir, name + ".json")
    cmd = pin(cpus) + [binary, "bench", "--url", f"http://127.0.0.1:{port}/score", "-m", mix, "-d", duration,
                       "--warmup", "1s", "-q", "--allow-errors", "--json", path, "--timeout", "30s"] + load
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=False)
    with open(path) as f:
        j = json.load(f)
    entry = next(iter(j["entries"].values()))
    return {"offered_rps": j.get("offered_rps"), "goodput_rps": j["goodput_rps"],
            "throughput_rps": j["throughput_rps"], "errors": j["errors"],
            "rejected_503": entry["rejected_503"],
            "ok_p50_ms": entry["ok_latency_us"].get("p50", 0) / 1000,
            "ok_p99_ms": entry["ok_latency_us"].get("p99", 0) / 1000,
            "generator_saturated": j["generator_saturated"]}


def one_run(a, out_dir, rep):
    serve = ["--workers", str(a.workers), "--executor", a.executor]
    bound = ["--max-queue-wait-ms", str(a.max_queue_wait_ms)]
    mix = a.mix
    run = {}
    server = Server(a.binary, serve + bound, a.server_cpus)
    try:
        best = None
        for c in a.capacity_connections:
            r = bench(a.binary, server.port, a.client_cpus, ["-c", str(c)], mix, a.duration, out_dir,
                      f"r{rep}-capacity-c{c}")
            log(f"  run {rep}: capacity c={c}: {r['goodput_rps']:.0f} ok/s, p99 {r['ok_p99_ms']:.1f} ms")
            if best is None or r["goodput_rps"] > best["goodput_rps"]:
                best = dict(r, connections=c)
        run["capacity"] = best
        cap = best["goodput_rps"]
        for label, factor in (("load80", 0.8), ("load200", 2.0)):
            r = bench(a.binary, server.port, a.client_cpus, ["-r", f"{cap * factor:.0f}"], mix, a.duration,
                      out_dir, f"r{rep}-{label}")
            log(f"  run {rep}: {label}: offered {cap * factor:.0f}/s, {r['goodput_rps']:.0f} ok/s, "
                f"{r['rejected_503']} shed, p99 admitted {r['ok_p99_ms']:.1f} ms")
            run[label] = r
    finally:
        server.stop()
    server = Server(a.binary, serve, a.server_cpus)  # no admission control
    try:
        r = bench(a.binary, server.port, a.client_cpus, ["-r", f"{cap * 2:.0f}"], mix, a.duration, out_dir,
                  f"r{rep}-load200-off")
        log(f"  run {rep}: load200 without admission control: {r['goodput_rps']:.0f} ok/s, "
            f"p99 {r['ok_p99_ms']:.1f} ms")
        run["load200_off"] = r
    finally:
        server.stop()
    run["goodput_share"] = run["load200"]["goodput_rps"] / cap
    run["p99_ratio"] = run["load200"]["ok_p99_ms"] / max(run["load80"]["ok_p99_ms"], 1e-3)
    run["p99_ratio_off"] = run["load200_off"]["ok_p99_ms"] / max(run["load80"]["ok_p99_ms"], 1e-3)
    return run


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", default=os.path.join(ROOT, "build", "switchyard"))
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--duration", default="6s")
    p.add_argument("--executor", default="threads")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--mix", default="cpu:iters=20000")
    p.add_argument("--max-queue-wait-ms", type=float, default=10)
    p.add_argument("--capacity-connections", type=int, nargs="+", default=[2, 4, 8])
    p.add_argument("--server-cpus", default="1", help="taskset list for the server ('' for none)")
    p.add_argument("--client-cpus", default="0", help="taskset list for the load generator ('' for none)")
    p.add_argument("--json", help="write every run and the medians here")
    a = p.parse_args()
    if not os.access(a.binary, os.X_OK):
        sys.exit(f"overload_bench: {a.binary} not found: build first (scripts/build.sh build)")
    runs = []
    with tempfile.TemporaryDirectory() as out_dir:
        for rep in range(1, a.repeat + 1):
            log(f"repetition {rep} of {a.repeat}")
            runs.append(one_run(a, out_dir, rep))
    med = lambda f: statistics.median(f(r) for r in runs)
    summary = {
        "capacity_rps": med(lambda r: r["capacity"]["goodput_rps"]),
        "load80_p99_ms": med(lambda r: r["load80"]["ok_p99_ms"]),
        "load200_goodput_rps": med(lambda r: r["load200"]["goodput_rps"]),
        "load200_p99_ms": med(lambda r: r["load200"]["ok_p99_ms"]),
        "load200_shed_share": med(lambda r: r["load200"]["rejected_503"] /
                                  max(1, r["load200"]["rejected_503"] + r["load200"]["goodput_rps"] *
                                      float(a.duration.rstrip("s")))),
        "goodput_share": med(lambda r: r["goodput_share"]),
        "p99_ratio": med(lambda r: r["p99_ratio"]),
        "load200_off_goodput_rps": med(lambda r: r["load200_off"]["goodput_rps"]),
        "load200_off_p99_ms": med(lambda r: r["load200_off"]["ok_p99_ms"]),
        "p99_ratio_off": med(lambda r: r["p99_ratio_off"]),
    }
    print(f"overload ({a.executor}, {a.workers} worker(s), mix {a.mix}, --max-queue-wait-ms "
          f"{a.max_queue_wait_ms:g}; medians of {a.repeat})")
    print(f"  capacity (closed loop)           {summary['capacity_rps']:8.0f} ok/s")
    print(f"  80%  with admission control      p99 {summary['load80_p99_ms']:7.1f} ms")
    print(f"  200% with admission control      {summary['load200_goodput_rps']:8.0f} ok/s = "
          f"{summary['goodput_share']:.2f} of capacity (target >= 0.9), p99 {summary['load200_p99_ms']:.1f} ms = "
          f"{summary['p99_ratio']:.2f} x the 80% p99 (target <= 3)")
    print(f"  200% without                     p99 {summary['load200_off_p99_ms']:.1f} ms = "
          f"{summary['p99_ratio_off']:.0f} x the 80% p99 (every request queued; answered seconds late)")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"date": datetime.date.today().isoformat(), "machine": platform.platform(),
                       "cpus": os.cpu_count(), "args": vars(a), "summary": summary, "runs": runs}, f, indent=1)


if __name__ == "__main__":
    main()
