#!/usr/bin/env python3
"""Fairness between clients (issue 5): two clients share a server, one sending
ten times as much as the other, and Jain's fairness index of their ok/s says
how evenly the workers were shared: 1 when equally, 1/2 when one got it all.

The heavy client keeps 10x as many requests outstanding as the light one
(closed loop, --connections heavy vs light), so with fifo it gets about ten
elevenths of the service; drr (deficit round robin on X-Client-Id) should give
both the same. Each policy runs against a freshly started server; the two
load generators run at the same time. Medians over --repeat runs.
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

from benchlib import free_port, wait_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def jain(xs):
    s, q = sum(xs), sum(x * x for x in xs)
    return s * s / (len(xs) * q) if q > 0 else 0.0


def run_policy(a, policy, out_dir, rep):
    port = free_port()
    server = subprocess.Popen([a.binary, "serve", "--port", str(port), "--workers", str(a.workers),
                               "--policy", policy], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not wait_port(port):
            raise RuntimeError("server did not start")
        procs, files = [], {}
        for client, conns in (("heavy", a.heavy_connections), ("light", a.light_connections)):
            files[client] = os.path.join(out_dir, f"{policy}-{rep}-{client}.json")
            procs.append(subprocess.Popen(
                [a.binary, "bench", "--url", f"http://127.0.0.1:{port}/score", "-c", str(conns), "-d", a.duration,
                 "--warmup", "1s", "-q", "--allow-errors", "-m", f"{a.mix}:client={client}", "--json",
                 files[client]], stdout=subprocess.DEVNULL))
        for p in procs:
            p.wait()
        goodput = {}
        p99 = {}
        for client, path in files.items():
            with open(path) as f:
                j = json.load(f)
            goodput[client] = j["goodput_rps"]
            p99[client] = j["latency_us"]["p99"] / 1000
        return {"goodput_rps": goodput, "p99_ms": p99, "jain_index": jain(list(goodput.values()))}
    finally:
        server.terminate()
        server.wait(timeout=30)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", default=os.path.join(ROOT, "build", "switchyard"))
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--duration", default="6s")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--mix", default="cpu:iters=20000")
    p.add_argument("--heavy-connections", type=int, default=20)
    p.add_argument("--light-connections", type=int, default=2)
    p.add_argument("--policies", nargs="+", default=["fifo", "drr"])
    p.add_argument("--json", help="write every run and the medians here")
    a = p.parse_args()
    if not os.access(a.binary, os.X_OK):
        sys.exit(f"fairness_bench: {a.binary} not found: build first (scripts/build.sh build)")
    runs = {policy: [] for policy in a.policies}
    with tempfile.TemporaryDirectory() as out_dir:
        for rep in range(1, a.repeat + 1):
            for policy in a.policies:
                r = run_policy(a, policy, out_dir, rep)
                print(f"run {rep} {policy}: heavy {r['goodput_rps']['heavy']:.0f} ok/s, light "
                      f"{r['goodput_rps']['light']:.0f} ok/s, Jain {r['jain_index']:.3f}", file=sys.stderr)
                runs[policy].append(r)
    summary = {}
    print(f"two clients, heavy {a.heavy_connections} vs light {a.light_connections} connections, {a.mix}, "
          f"{a.workers} workers; medians of {a.repeat}")
    for policy, rs in runs.items():
        med = lambda f: statistics.median(f(r) for r in rs)
        s = {"heavy_rps": med(lambda r: r["goodput_rps"]["heavy"]), "light_rps": med(lambda r: r["goodput_rps"]["light"]),
             "light_p99_ms": med(lambda r: r["p99_ms"]["light"]), "jain_index": med(lambda r: r["jain_index"])}
        summary[policy] = s
        print(f"  {policy:<6} heavy {s['heavy_rps']:7.0f} ok/s  light {s['light_rps']:7.0f} ok/s  "
              f"light p99 {s['light_p99_ms']:7.1f} ms  Jain {s['jain_index']:.3f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"date": datetime.date.today().isoformat(), "machine": platform.platform(),
                       "cpus": os.cpu_count(), "args": vars(a), "summary": summary, "runs": runs}, f, indent=1)


if __name__ == "__main__":
    main()
