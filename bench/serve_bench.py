#!/usr/bin/env python3
"""Drive `switchyard serve` with wrk on loopback and compare it with the
limits it is measured against, in the same run.

Figures (issue 2):
  overhead  /score {"mode":"cpu","iters":0}, 64 keep-alive connections, each
            executor at 2 workers, as a ratio to nginx serving a small static
            response with 2 workers on the same machine.
  cpu       iters=100000 throughput with 2 workers, as a ratio to the compute
            limit: 2 x the single-thread chain rate measured in-process
            (bench/sha256_chain_bench, Google Benchmark) in the same run.
  ipc       added p50 latency of processes --ipc shm (and pipe) over threads
            at low load: one connection, one request at a time, iters=0;
            and the bare IPC round trip to a forked echo worker
            (bench/ipc_channel_bench), without HTTP.

Every figure is the median of --repeat runs, each against a freshly started
server, the executors taking turns; nginx and the chain rate are measured in
every run, and ratios and differences are taken within a run. wrk runs on the same cores as
the server, as in DESIGN.md's nginx figure; on 2 cores the load generator
takes a share of the CPU the server would otherwise have.

--demo instead runs a short load of each workload (cpu, io, sleep) against
each executor and prints a table: the main job's demonstration.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib import free_port, log, wait_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Switchyard:
    """A `switchyard serve` child process, stopped with SIGTERM."""

    def __init__(self, binary, args):
        self.port = free_port()
        cmd = [binary, "serve", "--port", str(self.port), "--log-level", "warn"] + args
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + 30
        out = []
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            out.append(line)
            if line.startswith("switchyard: ready"):
                return
        self.stop()
        raise RuntimeError("switchyard did not start: " + "".join(out))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Nginx:
    """nginx with 2 workers answering a small static JSON body."""

    def __init__(self, workers=2):
        self.dir = tempfile.mkdtemp(prefix="switchyard-nginx-")
        self.port = free_port()
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""
worker_processes {workers};
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log;
daemon off;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {self.dir}/body;
  proxy_temp_path {self.dir}/proxy;
  fastcgi_temp_path {self.dir}/fastcgi;
  uwsgi_temp_path {self.dir}/uwsgi;
  scgi_temp_path {self.dir}/scgi;
  keepalive_requests 1000000;
  server {{
    listen 127.0.0.1:{self.port};
    location / {{ default_type application/json; return 200 '{{"ok":true,"result":"x"}}'; }}
  }}
}}
""")
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.proc = subprocess.Popen([nginx, "-c", conf, "-p", self.dir],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if not wait_port(self.port):
            self.stop()
            raise RuntimeError("nginx did not start")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def parse_duration_ms(text):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text.strip())
    return float(m.group(1)) * UNITS[m.group(2)] if m else float("nan")


def wrk(url, connections, seconds, script=None, threads=1):
    """Runs wrk; returns rps, latency percentiles (ms), errors."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if script:
        cmd += ["-s", script]
    cmd.append(url)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60).stdout
    res = {"rps": float("nan"), "p50_ms": float("nan"), "p90_ms": float("nan"), "p99_ms": float("nan"),
           "errors": 0, "requests": 0}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if m:
        res["rps"] = float(m.group(1))
    m = re.search(r"(\d+) requests in", out)
    if m:
        res["requests"] = int(m.group(1))
    for pct, key in (("50", "p50_ms"), ("90", "p90_ms"), ("99", "p99_ms")):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        if m:
            res[key] = parse_duration_ms(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        res["errors"] += int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        res["errors"] += sum(int(x) for x in m.groups())
    return res


def post_script(dirpath, name, body=None, io_rows=None):
    path = os.path.join(dirpath, name + ".lua")
    with open(path, "w") as f:
        f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n')
        if io_rows:
            f.write("math.randomseed(42)\n")
            f.write("request = function()\n")
            f.write(f'  return wrk.format(nil, "/score", nil, string.format(\'{{"mode":"io","key":%d}}\', math.random(0, {io_rows - 1})))\n')
            f.write("end\n")
        else:
            f.write(f"wrk.body = '{body}'\n")
    return path


def median_of(runs, key):
    vals = [r[key] for r in runs if r[key] == r[key]]
    return statistics.median(vals) if vals else float("nan")


def summarize(runs):
    """Median of every figure over the runs, and the runs themselves."""
    return {k: median_of(runs, k) for k in runs[0]} | {"runs": runs}


def repeat(n, fn):
    return summarize([fn() for _ in range(n)])


def chain_rate(build):
    """Single-thread SHA-256 chains of 100k steps per second, in-process."""
    exe = os.path.join(build, "bench", "sha256_chain_bench")
    out = subprocess.run([exe, "--benchmark_filter=BM_Sha256Chain/100000$", "--benchmark_format=json",
                          "--benchmark_repetitions=5", "--benchmark_report_aggregates_only=true"],
                         capture_output=True, text=True, check=True).stdout
    data = json.loads(out)
    med = [b for b in data["benchmarks"] if b.get("aggregate_name") == "median"][0]
    us = med["real_time"] if med["time_unit"] == "us" else med["real_time"] * {"ms": 1e3, "ns": 1e-3}[med["time_unit"]]
    return 1e6 / us


def ipc_round_trips(build):
    """Median IPC round trip (µs) to a forked echo worker, per channel kind."""
    exe = os.path.join(build, "bench", "ipc_channel_bench")
    out = subprocess.run([exe, "--benchmark_format=json", "--benchmark_repetitions=5",
                          "--benchmark_report_aggregates_only=true"],
                         capture_output=True, text=True, check=True).stdout
    names = {"ipc:0/spin_us:0": "shm (eventfd, no spin)", "ipc:0/spin_us:50": "shm (50 µs spin)",
             "ipc:1/spin_us:0": "pipe"}
    res = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        for key, label in names.items():
            if key in b["name"]:
                res[label] = b["real_time"]
    return res


def cpu_times():
    """Aggregate jiffies from /proc/stat: (busy+idle total, steal)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    steal = fields[7] if len(fields) > 7 else 0
    return sum(fields[:8]), steal


EXECUTORS = [
    ("threads", ["--executor", "threads"]),
    ("processes/shm", ["--executor", "processes", "--start", "forkserver", "--ipc", "shm"]),
    ("processes/pipe", ["--executor", "processes", "--start", "forkserver", "--ipc", "pipe"]),
    # Busy-polling shm: what a latency-first user would pick; on 2 cores the
    # spinners compete with the work (the default spins only with spare cores).
    ("processes/shm+spin", ["--executor", "processes", "--start", "forkserver", "--ipc", "shm",
                            "--ipc-spin-us", "50"]),
    ("async", ["--executor", "async"]),
    ("async+offload", ["--executor", "async", "--offload", "2"]),
]


# Variants measured by the benchmark but left out of the short demonstration.
BENCH_ONLY = {"processes/shm+spin"}


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cores": os.cpu_count(), "cpu": model, "kernel": platform.release(),
            "date": datetime.date.today().isoformat()}


def run_demo(args, binary, tmp, db, rows):
    workloads = [
        ("cpu iters=20000", post_script(tmp, "cpu", '{"mode":"cpu","iters":20000}'), 16),
        ("io random key", post_script(tmp, "io", io_rows=rows), 16),
        ("sleep 20ms", post_script(tmp, "sleep", '{"mode":"sleep","ms":20}'), 64),
    ]
    rows_out = []
    for name, flags in EXECUTORS:
        if name in BENCH_ONLY:
            continue
        log(f"demo: {name} ...")
        server = Switchyard(binary, flags + ["--workers", "2", "--db", db])
        try:
            for wname, script, conns in workloads:
                r = wrk(f"http://127.0.0.1:{server.port}/score", conns, args.duration, script)
                rows_out.append((name, wname, conns, r))
        finally:
            server.stop()
    print(f"\nswitchyard demo: 2 workers each, wrk for {args.duration}s per row, on {machine()['cores']} cores "
          "(wrk shares them)\n")
    print(f"{'executor':<16} {'workload':<16} {'conns':>5} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
    for name, wname, conns, r in rows_out:
        print(f"{name:<16} {wname:<16} {conns:>5} {r['rps']:>9.0f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['errors']:>6}")
    print("\nRead it this way: sleep is where async shines (one loop holds 64 waits; threads and processes\n"
          "hold only 2 at a time), cpu is where the worker count caps everyone, and async without\n"
          "offload runs cpu work on its loop. `bench/serve_bench.py` gives the measured figures.")
    return 0


def run_bench(args, binary, tmp):
    result = {"machine": machine(), "duration_s": args.duration, "repeat": args.repeat, "figures": {}}
    figs = result["figures"]
    zero = post_script(tmp, "zero", '{"mode":"cpu","iters":0}')
    heavy = post_script(tmp, "heavy", '{"mode":"cpu","iters":100000}')

    log("ipc round trip ...")
    figs["ipc_round_trip_us"] = ipc_round_trips(args.build)
    total0, steal0 = cpu_times()

    # Each repetition measures the references (nginx, the in-process chain
    # rate) and then every executor, each against a freshly started server,
    # the executors taking turns in a rotating order. Ratios and differences
    # are taken within a repetition and their median reported, so that drift
    # of the (shared, virtual) machine over the run, and where the scheduler
    # happened to place a server's threads, spread over all figures instead of
    # landing on one.
    runs = {name: {"overhead": [], "cpu": [], "low_load": []} for name, _ in EXECUTORS}
    nginx_runs, rates = [], []
    nginx = Nginx()
    try:
        for rep in range(args.repeat):
            log(f"run {rep + 1}/{args.repeat}: nginx, chain rate ...")
            nginx_runs.append(wrk(f"http://127.0.0.1:{nginx.port}/", 64, args.duration))
            rates.append(chain_rate(args.build))
            order = EXECUTORS[rep % len(EXECUTORS):] + EXECUTORS[:rep % len(EXECUTORS)]
            for name, flags in order:
                log(f"run {rep + 1}/{args.repeat}: {name} ...")
                server = Switchyard(binary, flags + ["--workers", "2"])
                url = f"http://127.0.0.1:{server.port}/score"
                try:
                    o = wrk(url, 64, args.duration, zero)
                    o["ratio_to_nginx"] = o["rps"] / nginx_runs[rep]["rps"]
                    c = wrk(url, 4, args.duration, heavy)
                    c["ratio_to_compute_limit"] = c["rps"] / (2 * rates[rep])
                    runs[name]["overhead"].append(o)
                    runs[name]["cpu"].append(c)
                    runs[name]["low_load"].append(wrk(url, 1, args.duration, zero))
                finally:
                    server.stop()
    finally:
        nginx.stop()
    total1, steal1 = cpu_times()
    # Time the hypervisor gave our virtual CPUs to someone else: a large share
    # makes every figure of this run noisier.
    result["machine"]["steal_share"] = (steal1 - steal0) / max(1, total1 - total0)

    figs["nginx"] = summarize(nginx_runs)
    nginx_rps = figs["nginx"]["rps"]
    rate = statistics.median(rates)
    figs["chain_rate_per_s"] = rate
    figs["chain_rate_runs"] = rates
    figs["compute_limit_rps"] = 2 * rate
    for rep in range(args.repeat):
        base = runs["threads"]["low_load"][rep]["p50_ms"]
        for name, _ in EXECUTORS:
            r = runs[name]["low_load"][rep]
            r["added_p50_us_over_threads"] = (r["p50_ms"] - base) * 1000
    figs["overhead"], figs["cpu"], figs["low_load"] = {}, {}, {}
    for name, _ in EXECUTORS:
        for figure in ("overhead", "cpu", "low_load"):
            figs[figure][name] = summarize(runs[name][figure])
    figs["ipc_added_p50_us"] = {n: figs["low_load"][n]["added_p50_us_over_threads"]
                                for n in ("processes/shm", "processes/pipe", "processes/shm+spin")}

    m = result["machine"]
    print(f"\n## serve_bench: {m['date']}, {m['cores']} cores, {m['cpu']}, kernel {m['kernel']}")
    print(f"wrk -t1 on the same cores; {args.duration}s runs; median of {args.repeat}, a fresh server each run\n")
    print(f"nginx (2 workers, static 24-byte JSON, 64 conns): {nginx_rps:,.0f} req/s\n")
    print("| executor (2 workers) | iters=0, 64 conns: req/s | ratio to nginx | iters=100000: req/s | ratio to compute limit | 1 conn p50 µs |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, _ in EXECUTORS:
        o, c, lo = figs["overhead"][name], figs["cpu"][name], figs["low_load"][name]
        print(f"| {name} | {o['rps']:,.0f} | {o['ratio_to_nginx']:.2f} | {c['rps']:.1f} | "
              f"{c['ratio_to_compute_limit']:.2f} | {lo['p50_ms'] * 1000:.0f} |")
    print(f"\ncompute limit: 2 x {rate:.1f} chains/s (100k steps, one thread, in-process; median of the runs) "
          f"= {2 * rate:.1f} req/s; ratios are medians of per-run ratios")
    for n, us in figs["ipc_added_p50_us"].items():
        print(f"IPC added p50 latency, {n} over threads (median of per-run differences): {us:.0f} µs")
    for n, us in figs["ipc_round_trip_us"].items():
        print(f"IPC round trip to a forked echo worker, {n}: {us:.1f} µs (bench/ipc_channel_bench)")
    print(f"CPU steal during the executor runs: {100 * m['steal_share']:.1f}%")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)
        log(f"wrote {args.out}")
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default=os.path.join(ROOT, "build"), help="build directory (default: build/)")
    p.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    p.add_argument("--repeat", type=int, default=3, help="runs per figure; the median is reported (default 3)")
    p.add_argument("--out", help="write the figures as JSON here")
    p.add_argument("--demo", action="store_true", help="the short demonstration table instead of the figures")
    args = p.parse_args()
    if args.duration < 1 or args.repeat < 1:
        p.error("--duration and --repeat must be at least 1")
    binary = os.path.join(args.build, "switchyard")
    if not os.path.exists(binary):
        p.error(f"{binary} not found: build first (scripts/build.sh)")
    for tool in ("wrk",) + (() if args.demo else ("nginx",)):
        if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
            p.error(f"{tool} not found: run scripts/install-deps.sh")
    tmp = tempfile.mkdtemp(prefix="switchyard-bench-")
    try:
        if args.demo:
            rows = 100000
            db = os.path.join(tmp, "kv.db")
            subprocess.run([binary, "gen-db", "--rows", str(rows), "--out", db], check=True,
                           stdout=subprocess.DEVNULL)
            return run_demo(args, binary, tmp, db, rows)
        return run_bench(args, binary, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
