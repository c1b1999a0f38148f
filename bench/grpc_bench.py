#!/usr/bin/env python3
"""The v2 gRPC service against the HTTP binary path (issue 16), side by side.

One server (`switchyard serve --executor E --workers 2 --grpc-port 0`)
serves mobilenet_v2; each repetition loads it for D seconds (after W of
warm-up) with `switchyard bench` closed-loop at C connections, alternating
between the HTTP route with binary tensors (the mix's binary=1) and gRPC
ModelInfer (`--protocol grpc`, raw_input_contents), in an order that rotates
between repetitions. Reports the medians and the ratio gRPC / HTTP binary.

  python3 bench/grpc_bench.py --repeat 5 --json docs/bench/grpc-DATE.json
"""
import argparse
import datetime
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_bench import ROOT, free_port, log, machine  # noqa: E402

MIX = "infer:model=mobilenet_v2:shape=1x3x32x32"


def server_cpu_s(pid):
    """The server process's user + system CPU seconds so far (all its threads)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--duration", type=int, default=8)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--executor", default="threads")
    ap.add_argument("--models", default=os.path.join(ROOT, "models"))
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--json")
    args = ap.parse_args()
    binary = os.path.join(args.build, "switchyard")
    if not os.path.exists(os.path.join(args.models, "mobilenet_v2", "1", "model.pt")):
        sys.exit("grpc_bench: models/mobilenet_v2 is missing: /usr/bin/python3 scripts/export_models.py --out models")
    port = free_port()
    server = subprocess.Popen([binary, "serve", "--port", str(port), "--grpc-port", "0", "--log-level", "warn",
                               "--executor", args.executor, "--workers", "2", "--models", args.models],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    grpc_port = None
    deadline = time.time() + 60
    while time.time() < deadline:
        line = server.stdout.readline()
        m = re.search(r"listening on grpc://[^:]+:(\d+)", line)
        if m:
            grpc_port = int(m.group(1))
        if line.startswith("switchyard: ready") or not line:
            break
    if grpc_port is None:
        server.kill()
        sys.exit("grpc_bench: the server did not start")
    cells = {"http binary": ["--url", "http://127.0.0.1:%d/" % port, "--mix", MIX + ":binary=1"],
             "grpc": ["--url", "http://127.0.0.1:%d" % grpc_port, "--protocol", "grpc", "--mix", MIX]}
    runs = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for rep in range(args.repeat):
                order = list(cells) if rep % 2 == 0 else list(reversed(list(cells)))
                run = {}
                for label in order:
                    out = os.path.join(tmp, "b.json")
                    cpu0 = server_cpu_s(server.pid)
                    subprocess.run([binary, "bench", "-q", "-c", str(args.connections), "-d", "%ds" % args.duration,
                                    "--warmup", "%ds" % args.warmup, "--json", out] + cells[label], check=True,
                                   stdout=subprocess.DEVNULL)
                    with open(out) as f:
                        s = json.load(f)
                    # The server's CPU over the whole run (warm-up included)
                    # per request answered in it: what each protocol costs
                    # the server, whatever the client on the same cores costs.
                    cpu = server_cpu_s(server.pid) - cpu0
                    answered = s["throughput_rps"] * (args.duration + args.warmup)
                    run[label] = {"rps": s["throughput_rps"], "errors": s["errors"],
                                  "p50_ms": s["latency_us"]["p50"] / 1000, "p99_ms": s["latency_us"]["p99"] / 1000,
                                  "server_cpu_ms_per_request": 1000 * cpu / answered if answered else None}
                run["ratio"] = run["grpc"]["rps"] / run["http binary"]["rps"]
                log("rep %d: http binary %.1f req/s, grpc %.1f req/s (x%.3f); server CPU per request %.2f / %.2f ms" % (
                    rep + 1, run["http binary"]["rps"], run["grpc"]["rps"], run["ratio"],
                    run["http binary"]["server_cpu_ms_per_request"], run["grpc"]["server_cpu_ms_per_request"]))
                runs.append(run)
    finally:
        server.terminate()
        server.wait()
    med = statistics.median
    summary = {"machine": machine(), "executor": args.executor, "connections": args.connections,
               "repeat": args.repeat, "ratio": med([r["ratio"] for r in runs])}
    print("\n## gRPC vs HTTP binary, mobilenet_v2, %s executor, 2 workers, %d connections, %s, %d cores, %s "
          "(medians of %d)\n" % (args.executor, args.connections, summary["machine"]["cpu"],
                                summary["machine"]["cores"], summary["machine"]["date"], args.repeat))
    print("| path | req/s | p50 ms | p99 ms | server CPU ms per request |")
    print("|---|---|---|---|---|")
    for label in cells:
        m = {k: med([r[label][k] for r in runs]) for k in ("rps", "p50_ms", "p99_ms", "server_cpu_ms_per_request")}
        summary[label] = m
        print("| %s | %.1f | %.2f | %.2f | %.3f |" % (label, m["rps"], m["p50_ms"], m["p99_ms"],
                                                    m["server_cpu_ms_per_request"]))
    print("\ngRPC / HTTP binary: %.3f (median of the per-repetition ratios)" % summary["ratio"])
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"summary": summary, "runs": runs, "command": "python3 bench/grpc_bench.py " +
                       " ".join(sys.argv[1:]), "date": datetime.datetime.utcnow().isoformat() + "Z"}, f, indent=1)


if __name__ == "__main__":
    main()
