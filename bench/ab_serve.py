#!/usr/bin/env python3
"""Two builds of `switchyard serve` side by side: is a change slower?

For a change meant to keep behaviour (a refactor), the question is not "what
are the figures" (bench/serve_bench.py answers that) but "did this change
move them". Two runs of serve_bench on different days cannot say: the shared
host drifts by more than the effect. This script interleaves the two binaries
within one run: every repetition measures nginx, then each executor under
binary A and under binary B in turn (the order alternating), each against a
freshly started server. It reports, per executor, the median over the
repetitions of B's req/s as a ratio to A's (the per-repetition ratio, so
drift lands on both sides) and the spread of that ratio; and the median
ratio to nginx of each binary, comparable with docs/benchmarks.md.

  python3 bench/ab_serve.py --a OLD/build/switchyard --b build/switchyard --repeat 5

Figures: /score {"mode":"cpu","iters":0} with 64 keep-alive connections
(the per-request overhead), and p50 at one connection (the latency path).
wrk runs on the same cores as the servers, as in serve_bench.
"""
import argparse
import json
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import log  # noqa: E402
from serve_bench import EXECUTORS, Nginx, Switchyard, machine, post_script, wrk  # noqa: E402


def measure(binary, flags, script, duration):
    server = Switchyard(binary, flags + ["--workers", "2"])
    url = f"http://127.0.0.1:{server.port}/score"
    try:
        overhead = wrk(url, 64, duration, script)
        low = wrk(url, 1, duration, script)
    finally:
        server.stop()
    if overhead["errors"] or low["errors"]:
        raise RuntimeError(f"{binary} {flags}: {overhead['errors'] + low['errors']} errors")
    return {"rps": overhead["rps"], "p50_us": low["p50_ms"] * 1000}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--a", required=True, help="the baseline switchyard binary")
    p.add_argument("--b", required=True, help="the changed switchyard binary")
    p.add_argument("--repeat", type=int, default=5, help="repetitions; medians are reported (default 5)")
    p.add_argument("--duration", type=int, default=8, help="seconds per wrk run (default 8)")
    p.add_argument("--executors", default="threads,processes/shm,async,async+offload",
                   help="comma-separated names from serve_bench's table (default: %(default)s)")
    p.add_argument("--out", help="write the runs and medians as JSON here")
    args = p.parse_args()
    for path in (args.a, args.b):
        if not os.access(path, os.X_OK):
            p.error(f"not an executable: {path}")
    table = dict(EXECUTORS)
    names = [n.strip() for n in args.executors.split(",") if n.strip()]
    unknown = [n for n in names if n not in table]
    if unknown:
        p.error(f"unknown executor {', '.join(unknown)} (known: {', '.join(table)})")

    tmp = tempfile.mkdtemp(prefix="switchyard-ab-")
    zero = post_script(tmp, "zero", '{"mode":"cpu","iters":0}')
    runs = {n: {"a": [], "b": []} for n in names}
    nginx_rps = []
    nginx = Nginx()
    try:
        for rep in range(args.repeat):
            log(f"run {rep + 1}/{args.repeat}: nginx ...")
            nginx_rps.append(wrk(f"http://127.0.0.1:{nginx.port}/", 64, args.duration)["rps"])
            for name in names:
                order = ("a", "b") if (rep + names.index(name)) % 2 == 0 else ("b", "a")
                for side in order:
                    log(f"run {rep + 1}/{args.repeat}: {name} ({side}) ...")
                    r = measure(getattr(args, side), table[name], zero, args.duration)
                    r["ratio_to_nginx"] = r["rps"] / nginx_rps[rep]
                    runs[name][side].append(r)
    finally:
        nginx.stop()

    result = {"machine": machine(), "a": args.a, "b": args.b, "repeat": args.repeat,
              "duration_s": args.duration, "nginx_rps": nginx_rps, "executors": {}}
    m = result["machine"]
    print(f"\n## ab_serve: {m['date']}, {m['cores']} cores, {m['cpu']}")
    print(f"A = {args.a}\nB = {args.b}\nmedian of {args.repeat} repetitions, {args.duration}s wrk runs, "
          f"nginx {statistics.median(nginx_rps):,.0f} req/s\n")
    print("| executor | A req/s | B req/s | B/A (min–max) | A / nginx | B / nginx | A p50 µs | B p50 µs |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in names:
        a, b = runs[name]["a"], runs[name]["b"]
        ratios = [y["rps"] / x["rps"] for x, y in zip(a, b)]
        med = {side: {k: statistics.median(r[k] for r in runs[name][side]) for k in a[0]} for side in ("a", "b")}
        result["executors"][name] = {"runs": runs[name], "median": med, "b_over_a": ratios,
                                     "b_over_a_median": statistics.median(ratios)}
        print(f"| {name} | {med['a']['rps']:,.0f} | {med['b']['rps']:,.0f} | "
              f"{statistics.median(ratios):.3f} ({min(ratios):.3f}–{max(ratios):.3f}) | "
              f"{med['a']['ratio_to_nginx']:.2f} | {med['b']['ratio_to_nginx']:.2f} | "
              f"{med['a']['p50_us']:.0f} | {med['b']['p50_us']:.0f} |")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)
        log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
