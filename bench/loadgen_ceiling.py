#!/usr/bin/env python3
"""How far `switchyard bench` can be trusted on this machine (issue 3).

  agreement  closed loop, 64 connections: switchyard bench against wrk on the
             same server, alternating, median of --repeat runs each; the ratio
             of their throughputs. Against nginx (2 workers, a small static
             reply: GET) and against `switchyard serve --executor async`
             (POST /score {"mode":"cpu","iters":0}).
  ceiling    open loop against nginx at rising rates: the highest rate the
             generator sustains, i.e. it reaches the rate within 2% and its own
             lateness (generator_saturated) stays off.

wrk, switchyard bench and the servers share the machine's cores: on 2 cores
every figure here is a figure of the whole machine, not of the generator alone.
"""
import argparse
import json
import resource
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_bench import Nginx, Switchyard, machine, post_script, wrk, log  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sy_bench(binary, url, args, seconds):
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run([binary, "bench", "--url", url, "-d", f"{seconds}s", "-q",
                        "--allow-errors", "--json", out.name] + args,
                       check=True, stdout=subprocess.DEVNULL, timeout=seconds + 60)
        with open(out.name) as f:
            return json.load(f)


def child_cpu_s():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def agreement(binary, url, mix, script, repeat, seconds):
    """Alternating runs; throughput and the generator's own CPU per request."""
    ours, theirs, ours_cpu, theirs_cpu = [], [], [], []
    for _ in range(repeat):
        c0 = child_cpu_s()
        s = sy_bench(binary, url, ["-c", "64", "--mix", mix, "--warmup", "0s"], seconds)
        c1 = child_cpu_s()
        w = wrk(url, 64, seconds, script)
        c2 = child_cpu_s()
        ours.append(s["throughput_rps"])
        theirs.append(w["rps"])
        ours_cpu.append((c1 - c0) / max(1, s["requests"]) * 1e6)
        theirs_cpu.append((c2 - c1) / max(1, w["requests"]) * 1e6)
    o, t = statistics.median(ours), statistics.median(theirs)
    return {"switchyard_rps": o, "wrk_rps": t, "ratio": o / t, "switchyard_runs": ours, "wrk_runs": theirs,
            "switchyard_cpu_us_per_request": statistics.median(ours_cpu),
            "wrk_cpu_us_per_request": statistics.median(theirs_cpu)}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--duration", type=int, default=10, help="seconds per run (default 10)")
    p.add_argument("--repeat", type=int, default=3, help="runs per figure; the median is reported (default 3)")
    p.add_argument("--rates", default="5000,10000,15000,20000,30000,40000,60000",
                   help="open-loop rates to try, ascending")
    p.add_argument("--out", help="write the figures as JSON here")
    args = p.parse_args()
    binary = os.path.join(args.build, "switchyard")
    if not os.path.exists(binary):
        p.error(f"{binary} not found: build first (scripts/build.sh)")
    result = {"machine": machine(), "duration_s": args.duration, "repeat": args.repeat}
    tmp = tempfile.mkdtemp(prefix="switchyard-ceiling-")
    zero = post_script(tmp, "zero", '{"mode":"cpu","iters":0}')

    nginx = Nginx()
    try:
        url = f"http://127.0.0.1:{nginx.port}/"
        log("agreement with wrk: nginx ...")
        result["nginx"] = agreement(binary, url, "get", None, args.repeat, args.duration)
        ceiling = []
        for rate in [int(r) for r in args.rates.split(",")]:
            log(f"open loop at {rate}/s ...")
            s = sy_bench(binary, url, ["-r", str(rate), "--mix", "get"], args.duration)
            ok = s["throughput_rps"] >= 0.98 * rate and not s["generator_saturated"]
            ceiling.append({"rate": rate, "throughput_rps": s["throughput_rps"],
                            "late_sends_generator": s["late_sends_generator"], "sent": s["sent"],
                            "p50_us": s["latency_us"].get("p50"), "p99_us": s["latency_us"].get("p99"),
                            "sustained": ok})
            if not ok:
                break
        result["open_loop"] = ceiling
        sustained = [c["rate"] for c in ceiling if c["sustained"]]
        result["ceiling_rps"] = max(sustained) if sustained else 0
    finally:
        nginx.stop()

    server = Switchyard(binary, ["--executor", "async", "--workers", "2"])
    try:
        log("agreement with wrk: switchyard serve async ...")
        result["switchyard_async"] = agreement(binary, f"http://127.0.0.1:{server.port}/score", "cpu:iters=0",
                                               zero, args.repeat, args.duration)
    finally:
        server.stop()

    m = result["machine"]
    print(f"\n## loadgen_ceiling: {m['date']}, {m['cores']} cores, {m['cpu']}, kernel {m['kernel']}")
    print(f"{args.duration}s runs, median of {args.repeat}\n")
    print("| server | switchyard bench req/s | wrk req/s | ratio | CPU µs/request: switchyard bench | wrk |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in ("nginx", "switchyard_async"):
        a = result[name]
        print(f"| {name} | {a['switchyard_rps']:,.0f} | {a['wrk_rps']:,.0f} | {a['ratio']:.2f} | "
              f"{a['switchyard_cpu_us_per_request']:.2f} | {a['wrk_cpu_us_per_request']:.2f} |")
    print("\nopen loop against nginx:")
    for c in result["open_loop"]:
        print(f"  {c['rate']:>6}/s -> {c['throughput_rps']:>9,.0f} req/s, generator late "
              f"{c['late_sends_generator']} of {c['sent']}, p99 {c['p99_us']} us: "
              f"{'sustained' if c['sustained'] else 'NOT sustained'}")
    print(f"ceiling: {result['ceiling_rps']:,} requests/s")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
