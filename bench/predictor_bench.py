#!/usr/bin/env python3
"""The learned runtime predictor on the mixed model workload (issue 5): record
a trace on the live server, train XGBoost on it, and report the held-out MAPE
(target < 15%) beside what the per-class mean (the online EWMA) scores.

  1. `switchyard serve --models DIR --trace-out TRACE` (threads, 2 workers);
  2. an open-loop (Poisson) mix of the three reference models, at a few rates
     so that queue lengths and CPU utilisation vary (they are features);
  3. `switchyard train-predictor TRACE -o MODEL --json REPORT`.
Repeated --repeat times (fresh server, fresh trace); medians reported.

Needs the full models: /usr/bin/python3 scripts/export_models.py --out models
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib import free_port, wait_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIX = ("infer:model=mobilenet_v2:shape=1x3x32x32:label=mobilenet:10,"
       "infer:model=lstm_forecaster:shape=1x336x7:label=lstm:3,"
       "infer:model=distilbert_like:shape=1x128:datatype=INT64:max=30522:label=distilbert:1")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", default=os.path.join(ROOT, "build", "switchyard"))
    p.add_argument("--models", default=os.path.join(ROOT, "models"))
    p.add_argument("--rates", type=float, nargs="+", default=[10, 25, 40], help="requests/s, one phase each")
    p.add_argument("--phase-seconds", type=int, default=30)
    p.add_argument("--repeat", type=int, default=3, help="record and train this many times; medians reported")
    p.add_argument("--keep-trace", help="keep each recorded trace as KEEP_TRACE.N")
    p.add_argument("--json", help="write every run's train-predictor report and the medians here")
    a = p.parse_args()
    if not os.path.isdir(os.path.join(a.models, "distilbert_like")):
        sys.exit(f"predictor_bench: no full models in {a.models}: /usr/bin/python3 scripts/export_models.py --out models")
    runs = []
    for rep in range(1, a.repeat + 1):
        runs.append(one_run(a, rep))
        print(f"run {rep}: held-out MAPE {runs[-1]['mape']:.1%}, per-class mean {runs[-1]['baseline_mape']:.1%}",
              file=sys.stderr)
    med = lambda key: statistics.median(r[key] for r in runs)
    summary = {"mape": med("mape"), "baseline_mape": med("baseline_mape"), "repeat": a.repeat}
    print(f"predictor on the mixed model workload, medians of {a.repeat}: held-out MAPE {summary['mape']:.1%} "
          f"(target < 15%); per-class mean (the online EWMA's estimate) {summary['baseline_mape']:.1%}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"date": datetime.date.today().isoformat(), "machine": platform.platform(),
                       "cpus": os.cpu_count(), "args": vars(a), "summary": summary, "runs": runs}, f, indent=1)


def one_run(a, rep):
    with tempfile.TemporaryDirectory() as tmp:
        trace = os.path.join(tmp, "trace.jsonl")
        port = free_port()
        server = subprocess.Popen([a.binary, "serve", "--port", str(port), "--workers", "2", "--models", a.models,
                                   "--trace-out", trace], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            if not wait_port(port):
                sys.exit("predictor_bench: the server did not start")
            time.sleep(1)
            phases = os.path.join(tmp, "phases.toml")
            with open(phases, "w") as f:
                for rate in a.rates:
                    f.write(f'[[phase]]\nname = "r{rate:g}"\nduration = "{a.phase_seconds}s"\nrate = {rate}\n'
                            f'mix = "{MIX}"\n\n')
            subprocess.run([a.binary, "bench", "--url", f"http://127.0.0.1:{port}/score", "--phases", phases,
                            "--warmup", "2s", "--allow-errors", "-q", "--seed", str(rep)],
                           check=True, stdout=subprocess.DEVNULL)
        finally:
            server.terminate()
            server.wait(timeout=60)
        if a.keep_trace:
            shutil.copy(trace, f"{a.keep_trace}.{rep}")
        report = os.path.join(tmp, "report.json")
        model = os.path.join(tmp, "model.json")
        subprocess.run([a.binary, "train-predictor", trace, "-o", model, "--json", report], check=True,
                       stdout=subprocess.DEVNULL)
        with open(report) as f:
            return json.load(f)

if __name__ == "__main__":
    main()
