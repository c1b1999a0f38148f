#!/usr/bin/env python3
"""The adaptive controller against fixed choices (issue 7): a phased workload
(bench/adaptive_phases.toml, the `switchyard bench --phases` format) is run
against

  - every candidate of the candidates file as a static server (`serve` with
    that candidate's flags), and
  - `serve --controller ALGO --candidates FILE` for each controller (ucb,
    contextual, random, round-robin by default),

each against a freshly started server on a free port, with
`switchyard bench --phases FILE --warmup 1s --json` as the load. Per run and
phase, from bench's JSON: reward = ok/s / (1 + p99 ms) (the controller's
default reward, with ok answers: the same as its replies/s when nothing
fails), p99, and lost requests: sent but not answered, plus answers that are
errors (non-2xx, socket). The oracle of a phase is the best static
candidate's reward in that phase; the best static configuration is the
candidate with the best mean reward over the phases. Per controller:

  - its mean reward over the phases / the oracle's (issue 7: at least 0.9),
    and / the best static's (issue 7: above 1);
  - switches (its /stats);
  - adaptation, from its decisions file, per phase, with "good" = a candidate
    whose static reward in the phase is within 5% of the oracle's: seconds
    after the phase began until it first served a good one, from when on it
    served good ones to the phase's end, and the share of the phase it did;
    issue 7's "within 5 s of a shift" counts as met when after every shift,
    in every run, it reached a good one by 5 s and served one at 5 s;
  - lost requests (issue 7: none);
  - as notes: windows it logged 'idle' while the load ran, and steps (its
    switches) that took long.

Medians over --repeat runs (controller seed = the repetition). The table goes
to stdout, progress to stderr; --out writes the summary and every run (JSON),
and the work directory keeps bench's JSONs, the decisions files and the
servers' logs. Exit status 1 when a run failed (the others are reported).

Every server gets the same --io-threads (the event loops; the async
candidates run on them), so a static async server is the configuration the
controller switches to. The controller's server starts with the first
candidate's flags (otherwise the controller adds that configuration to the
candidates).

Without --phases the phases of bench/adaptive_phases.toml are used with each
phase's duration set to --phase-seconds; the file actually run is written to
the work directory.
"""
import argparse
import datetime
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request

from benchlib import free_port, log

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CONTROLLERS = ["ucb", "contextual", "random", "round-robin"]
GOOD_WITHIN = 0.05  # "within 5% of the oracle's reward" (issue 7)
TARGET_RATIO = 0.9
TARGET_ADAPT_S = 5.0


# ---------------------------------------------------------------- inputs


def load_toml(path):
    with open(path, "rb") as f:
        return tomllib.load(f)


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return json.dumps(str(v))  # a TOML basic string is a JSON string here


def write_phases(phases, path):
    with open(path, "w") as f:
        for p in phases:
            f.write("[[phase]]\n")
            for k, v in p.items():
                f.write(f"{k} = {toml_value(v)}\n")
            f.write("\n")


def duration_s(text):
    """'20s', '500ms', '2m', or a number of seconds."""
    if isinstance(text, (int, float)):
        return float(text)
    t = text.strip()
    for unit, scale in (("ms", 1e-3), ("us", 1e-6), ("s", 1.0), ("m", 60.0), ("h", 3600.0)):
        if t.endswith(unit):
            return float(t[: -len(unit)]) * scale
    return float(t)


def label(c):
    """Candidate::Label() (src/control/candidates.cc): the name the decisions file uses."""
    ex, policy = c["executor"], c.get("policy", "fifo")
    if ex == "async":
        off = int(c.get("offload", 0))
        return f"async/{policy}/offload{off}" if off > 0 else f"async/{policy}"
    s = f"{ex}/{int(c['workers'])}/{policy}"
    if ex == "processes":
        s += "/" + c.get("start", "forkserver")
    return s


def candidate_flags(c, io_threads):
    """serve flags that run candidate `c` (async: on --io-threads loops)."""
    ex = c["executor"]
    flags = ["--executor", ex, "--policy", c.get("policy", "fifo"), "--io-threads", str(io_threads)]
    if ex == "async":
        flags += ["--offload", str(int(c.get("offload", 0)))]
    else:
        flags += ["--workers", str(int(c["workers"]))]
    if ex == "processes":
        flags += ["--start", c.get("start", "forkserver")]
    return flags


def write_candidates(cands, path):
    with open(path, "w") as f:
        for c in cands:
            f.write("[[candidate]]\n")
            for k, v in c.items():
                f.write(f"{k} = {toml_value(v)}\n")
            f.write("\n")


# ---------------------------------------------------------------- one run


class Server:
    """`switchyard serve` on a free port; started() returns once it printed
    'ready' (the controller starts right after: its t_s counts from about
    then)."""

    def __init__(self, binary, flags, log_prefix):
        self.port = free_port()
        self.out_path, self.err_path = log_prefix + ".stdout", log_prefix + ".stderr"
        with open(self.out_path, "w") as out, open(self.err_path, "w") as err:
            self.proc = subprocess.Popen([binary, "serve", "--port", str(self.port), *flags], stdout=out, stderr=err)
        self.ready_at = None

    def wait_ready(self, timeout=60.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {tail(self.err_path)}")
            with open(self.out_path) as f:
                if "switchyard: ready" in f.read():
                    self.ready_at = time.monotonic()
                    return
            time.sleep(0.01)
        raise RuntimeError(f"server not ready after {timeout:.0f} s: {tail(self.err_path)}")

    def stats(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/stats", timeout=5) as r:
                return json.load(r)
        except Exception as e:  # the run's figures still count; say why /stats is missing
            return {"error": str(e)}

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def tail(path, n=400):
    try:
        with open(path) as f:
            return f.read()[-n:].strip()
    except OSError:
        return ""


def second_rewards(timeseries, phase):
    """Seed 002's reward of every whole second of phase `phase` (index), from
    bench's per-second timeseries: answers that were not errors / (1 + that
    second's p99 in ms); a second with no answers scores 0."""
    out = []
    for t in timeseries:
        if t.get("phase") != phase:
            continue
        ok = t["requests"] - t["errors"]
        out.append(ok / (1 + t["p99_us"] / 1000) if ok > 0 else 0.0)
    return out


def phase_figures(p, seconds):
    ok, requests, sent, errors = p["ok"], p["requests"], p.get("sent", p["requests"]), p["errors"]
    p99_ms = p["latency_us"].get("p99", 0) / 1000 if p["latency_us"].get("count", requests) else float("nan")
    return {"name": p["name"], "duration_s": p["duration_s"], "ok_rps": p["goodput_rps"],
            "throughput_rps": p["throughput_rps"], "p99_ms": p99_ms,
            # the mean of the per-second rewards: what a controller earns window
            # by window (seed 002's reward is per window) — the headline
            "reward": statistics.mean(seconds) if seconds else 0.0,
            "second_rewards": seconds,
            # the phase's throughput over its whole p99: stricter, a few bad
            # seconds set the phase's p99
            "phase_reward": p["goodput_rps"] / (1 + p99_ms) if ok else 0.0,
            "sent": sent, "requests": requests, "ok": ok, "errors": errors,
            "errors_by_status": p.get("errors_by_status", {}), "unanswered": max(0, sent - requests),
            "lost": max(0, sent - requests) + errors}


def run_one(a, name, flags, phases_file, phase_names, work, rep):
    prefix = os.path.join(work, f"{name.replace('/', '_')}-r{rep}")
    server = Server(a.binary, flags, prefix)
    try:
        server.wait_ready()
        bench_json = prefix + ".bench.json"
        started = time.monotonic()
        bench = subprocess.run(
            [a.binary, "bench", "--url", f"http://127.0.0.1:{server.port}/score", "--phases", phases_file,
             "--warmup", a.warmup, "--json", bench_json, "--allow-errors", "-q"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if bench.returncode != 0 or not os.path.exists(bench_json):
            raise RuntimeError(f"bench exited with {bench.returncode}: {bench.stderr[-400:]}")
        stats = server.stats()
    finally:
        code = server.stop()
    with open(bench_json) as f:
        b = json.load(f)
    if "phases" not in b:  # a file of one phase: the top level is that phase
        b["phases"] = [dict(b, name=phase_names[0])]
    run = {"name": name, "repetition": rep, "flags": flags, "bench_json": bench_json, "server_exit": code,
           "phases": [phase_figures(p, second_rewards(b.get("timeseries", []), i)) for i, p in enumerate(b["phases"])],
           # CLOCK_MONOTONIC (the decisions' monotonic_s) when measuring began
           "measure_start_monotonic_s": started + duration_s(a.warmup),
           # controller time (decisions' t_s) at which measuring began, until
           # the decisions say better (their monotonic_s)
           "measure_start_t_s": started - server.ready_at + duration_s(a.warmup)}
    run["sent"] = sum(p["sent"] for p in run["phases"])
    run["lost"] = sum(p["lost"] for p in run["phases"])
    run["controller_stats"] = stats.get("controller") if isinstance(stats, dict) else None
    if "error" in stats:
        run["stats_error"] = stats["error"]
    return run


def read_decisions(path):
    out = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line:
                    out.append(json.loads(line))
    return out


def serving_segments(decisions, window_s):
    """(start, end, candidate) in controller time. Window i is the window_s
    before its t_s, served by its `serving`; between the end of step i-1 and
    the start of window i the step itself ran (a switch's Apply: the previous
    candidate served until it returned)."""
    segs = []
    for i, d in enumerate(decisions):
        start = d["t_s"] - window_s
        if i > 0 and start > decisions[i - 1]["t_s"]:
            segs.append((decisions[i - 1]["t_s"], start, decisions[i - 1]["serving"]))
        segs.append((start, d["t_s"], d["serving"]))
    return segs


def step_times(decisions, window_s):
    """How long each step took (mostly its switch), from the next window's
    start: [(window, seconds, reason)] for the steps that took over 50 ms."""
    out = []
    for d, nxt in zip(decisions, decisions[1:]):
        took = nxt["t_s"] - window_s - d["t_s"]
        if took > 0.05:
            out.append((d["window"], round(took, 3), d["reason"]))
    return out


def adaptation(run, decisions, good_sets, window_s):
    """Per phase, with good = a candidate whose static reward in the phase is
    within 5% of the oracle's: adapt_s, seconds after the phase began until
    it first served a good candidate (None: not in this phase); settle_s,
    from when on it served good ones to the phase's end; good_at_target,
    whether it served a good one TARGET_ADAPT_S after the phase began (at
    the end of a shorter phase);
    good_share, the share of the phase it served good ones."""
    segs = serving_segments(decisions, window_s)
    out, t = [], run["measure_start_t_s"]
    for i, p in enumerate(run["phases"]):
        s, e = t, t + p["duration_s"]
        t = e
        first, settle, good_time, served, at_target = None, None, 0.0, [], None
        for ws, we, serving in segs:
            lo, hi = max(ws, s), min(we, e)
            if hi <= lo:
                continue
            served.append(serving)
            good = serving in good_sets[i]
            if lo <= min(s + TARGET_ADAPT_S, e - 1e-6) < hi:  # a shorter phase: at its end
                at_target = good
            if good:
                good_time += hi - lo
                if first is None:
                    first = lo - s
                if settle is None:
                    settle = lo - s
            else:
                settle = None
        covered = bool(segs) and segs[-1][1] >= e - window_s
        out.append({"phase": p["name"], "adapt_s": first, "settle_s": settle, "good_at_target": at_target,
                    "good_share": good_time / (e - s) if e > s else None, "segments": len(served),
                    "candidates_served": sorted(set(served)), "decisions_cover_phase": covered})
    return out


# ---------------------------------------------------------------- summary


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def summarise(static_runs, ctrl_runs, phase_names):
    """Medians over the repetitions; candidates or controllers without a
    successful run are left out."""
    n = len(phase_names)
    static = {}
    for name, runs in static_runs.items():
        if not runs:
            continue
        static[name] = {"runs": len(runs),
                        "reward": [med(r["phases"][i]["reward"] for r in runs) for i in range(n)],
                        "phase_reward": [med(r["phases"][i]["phase_reward"] for r in runs) for i in range(n)],
                        "p99_ms": [med(r["phases"][i]["p99_ms"] for r in runs) for i in range(n)],
                        "lost": sum(r["lost"] for r in runs), "sent": sum(r["sent"] for r in runs)}
        static[name]["mean_reward"] = statistics.mean(static[name]["reward"])
        static[name]["mean_phase_reward"] = statistics.mean(static[name]["phase_reward"])
    if not static:
        return None
    oracle_reward = [max(static[c]["reward"][i] for c in static) for i in range(n)]
    oracle_pick = [max(static, key=lambda c: static[c]["reward"][i]) for i in range(n)]
    good = [sorted(c for c in static if static[c]["reward"][i] >= (1 - GOOD_WITHIN) * oracle_reward[i])
            for i in range(n)]
    best_static = max(static, key=lambda c: static[c]["mean_reward"])
    best_mean = static[best_static]["mean_reward"]
    oracle_mean = statistics.mean(oracle_reward)
    oracle_phase = [max(static[c]["phase_reward"][i] for c in static) for i in range(n)]
    oracle_phase_mean = statistics.mean(oracle_phase)
    best_static_phase = max(static, key=lambda c: static[c]["mean_phase_reward"])
    best_phase_mean = static[best_static_phase]["mean_phase_reward"]
    summary = {"phases": phase_names, "static": static,
               "oracle": {"reward": oracle_reward, "pick": oracle_pick, "good_within_5pct": good,
                          "mean_reward": oracle_mean, "phase_reward": oracle_phase,
                          "mean_phase_reward": oracle_phase_mean,
                          "phase_reward_pick": [max(static, key=lambda c: static[c]["phase_reward"][i])
                                                for i in range(n)]},
               "best_static_phase_reward": {"candidate": best_static_phase, "mean_phase_reward": best_phase_mean},
               "best_static": {"candidate": best_static, "mean_reward": best_mean,
                               "vs_oracle": best_mean / oracle_mean if oracle_mean else None},
               "controllers": {}}
    for name, runs in ctrl_runs.items():
        if not runs:
            continue
        reward = [med(r["phases"][i]["reward"] for r in runs) for i in range(n)]
        mean = statistics.mean(reward)
        phase_reward = [med(r["phases"][i]["phase_reward"] for r in runs) for i in range(n)]
        phase_mean = statistics.mean(phase_reward)
        per_run = [statistics.mean(r["phases"][i]["reward"] for i in range(n)) / oracle_mean for r in runs]
        per_phase = lambda key: [med(r["adaptation"][i][key] for r in runs) for i in range(n)]
        # issue 7: within 5 s of every shift (phases 2..n), in every run, it
        # serves a good candidate (and first did so by then)
        shifts_met = all(r["adaptation"][i]["adapt_s"] is not None and
                         r["adaptation"][i]["adapt_s"] <= TARGET_ADAPT_S and r["adaptation"][i]["good_at_target"]
                         for r in runs for i in range(1, n))
        summary["controllers"][name] = {
            "runs": len(runs), "reward": reward,
            "p99_ms": [med(r["phases"][i]["p99_ms"] for r in runs) for i in range(n)],
            "mean_reward": mean, "vs_oracle": mean / oracle_mean if oracle_mean else None,
            "vs_oracle_per_run": per_run,
            "phase_reward": phase_reward, "mean_phase_reward": phase_mean,
            "phase_reward_vs_oracle": phase_mean / oracle_phase_mean if oracle_phase_mean else None,
            "phase_reward_vs_best_static": phase_mean / best_phase_mean if best_phase_mean else None,
            # scale-free companion: where the phases' rewards differ by orders
            # of magnitude the mean of rewards is mostly the largest phase's
            "mean_phase_ratio_vs_oracle": statistics.mean(
                reward[i] / oracle_reward[i] for i in range(n) if oracle_reward[i]),
            "vs_best_static": mean / best_mean if best_mean else None,
            "switches": med(r["switches"] for r in runs),
            "adapt_s": per_phase("adapt_s"), "settle_s": per_phase("settle_s"),
            "good_share": per_phase("good_share"),
            "never_adapted_runs": [sum(1 for r in runs if r["adaptation"][i]["adapt_s"] is None) for i in range(n)],
            "shifts_met": shifts_met,
            "idle_windows_under_load": sum(r["idle_windows_under_load"] for r in runs),
            "longest_step_s": max((t for r in runs for _, t, _ in r["step_times"]), default=0.0),
            "lost": sum(r["lost"] for r in runs), "sent": sum(r["sent"] for r in runs)}
    return summary


def fmt(x, spec=".1f"):
    return "-" if x is None else format(x, spec)


def report(summary, a, failures):
    names, n = summary["phases"], len(summary["phases"])
    met = lambda ok: "met" if ok else "NOT met"
    print(f"\nadaptive controller evaluation: {n} phases ({', '.join(names)}), window {a.window}, "
          f"medians of {a.repeat} run(s); reward = mean over the phase's seconds of ok/s / (1 + p99 ms) "
          "(per second, seed 002's per-window reward)")
    w = max(24, *(len(k) for k in summary["static"]), *(len(k) for k in summary["controllers"]))
    print(f"\n{'run':<{w}} " + " ".join(f"{p[:20]:>20}" for p in names) + f" {'mean':>8} {'lost':>6}")
    rows = list(summary["static"].items()) + list(summary["controllers"].items())
    for k, v in rows:
        cells = " ".join(f"{fmt(v['reward'][i], '.2f') + ' (' + fmt(v['p99_ms'][i], '.0f') + ' ms)':>20}"
                         for i in range(n))
        print(f"{k:<{w}} {cells} {v['mean_reward']:8.2f} {v['lost']:6d}")
    o = summary["oracle"]
    print(f"{'oracle (best per phase)':<{w}} " + " ".join(f"{o['reward'][i]:20.2f}" for i in range(n))
          + f" {o['mean_reward']:8.2f}")
    print(f"{'  its pick':<{w}} " + " ".join(f"{o['pick'][i][-20:]:>20}" for i in range(n)))
    print(f"{'  within 5% of it':<{w}} " + " ".join(f"{len(o['good_within_5pct'][i]):>20}" for i in range(n)))
    bs = summary["best_static"]
    print(f"best static overall: {bs['candidate']} (mean {bs['mean_reward']:.2f}, {fmt(bs['vs_oracle'], '.3f')} "
          "of the oracle's)")
    print("cells: reward (p99 of the phase); lost: sent - answered + error answers, all repetitions")

    print(f"\n{'controller':<12} {'vs oracle (>=0.9)':>18} {'phase-ratio':>11} {'vs best static (>1)':>20} "
          f"{'switches':>8} {'lost (0)':>13}")
    for k, c in summary["controllers"].items():
        print(f"{k:<12} {fmt(c['vs_oracle'], '.3f') + ' ' + met((c['vs_oracle'] or 0) >= TARGET_RATIO):>18} "
              f"{fmt(c['mean_phase_ratio_vs_oracle'], '.3f'):>11} "
              f"{fmt(c['vs_best_static'], '.3f') + ' ' + met((c['vs_best_static'] or 0) > 1):>20} "
              f"{fmt(c['switches'], '.0f'):>8} {str(c['lost']) + ' ' + met(c['lost'] == 0):>13}")
    print(f"\n{'controller':<12} " + " ".join(f"{p[:24]:>24}" for p in names) + f" {'shifts (<=5 s)':>14}")
    for k, c in summary["controllers"].items():
        cells = " ".join(
            f"{('never' if c['adapt_s'][i] is None else fmt(c['adapt_s'][i])) + ' / ' + fmt(c['settle_s'][i]) + ' / ' + fmt(100 * c['good_share'][i] if c['good_share'][i] is not None else None, '.0f') + '%':>24}"
            for i in range(n))
        print(f"{k:<12} {cells} {met(c['shifts_met']):>14}")
    print("cells: first serving a good candidate / serving good ones from then to the phase's end / share of the "
          "phase served by good ones (good: static reward within 5% of the oracle's; seconds after the phase "
          "began, resolution one window; the first phase is the start, not a shift). shifts: after every shift, "
          f"in every run, a good candidate by {TARGET_ADAPT_S:g} s and serving one at {TARGET_ADAPT_S:g} s.")
    for k, c in summary["controllers"].items():
        notes = []
        if c["idle_windows_under_load"]:
            notes.append(f"{c['idle_windows_under_load']} window(s) logged 'idle' while the load ran")
        if c["longest_step_s"] > 0.2:
            notes.append(f"a step (switch) took up to {c['longest_step_s']:.2f} s")
        if notes:
            print(f"note {k}: " + "; ".join(notes))
    print("vs oracle: mean reward over the phases / the oracle's (issue 7's figure); phase-ratio: mean over the "
          "phases of reward / oracle reward")
    print("\nstricter, phase reward = the phase's ok/s / (1 + the whole phase's p99 ms): "
          f"oracle mean {summary['oracle']['mean_phase_reward']:.2f}, best static "
          f"{summary['best_static_phase_reward']['candidate']} {summary['best_static_phase_reward']['mean_phase_reward']:.2f}")
    for k, c in summary["controllers"].items():
        print(f"  {k:<12} " + " ".join(f"{x:8.2f}" for x in c["phase_reward"])
              + f"  vs oracle {fmt(c['phase_reward_vs_oracle'], '.3f')}, vs best static "
              f"{fmt(c['phase_reward_vs_best_static'], '.3f')}; per-second reward vs oracle per run: "
              + ", ".join(f"{x:.3f}" for x in c["vs_oracle_per_run"]))
    for f in failures:
        print(f"FAILED: {f}")


# ---------------------------------------------------------------- main


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", default=os.path.join(ROOT, "build", "switchyard"))
    p.add_argument("--phases", help="phases file (bench --phases format); default: bench/adaptive_phases.toml "
                                    "with every duration set to --phase-seconds")
    p.add_argument("--phase-seconds", type=float, default=20.0,
                   help="each phase's duration when --phases is not given (default 20)")
    p.add_argument("--candidates", default=os.path.join(HERE, "adaptive_candidates.toml"))
    p.add_argument("--controllers", nargs="*", default=CONTROLLERS,
                   help="controllers to run (default: %(default)s); none: the static candidates only")
    p.add_argument("--window", default="1s", help="the controllers' --window (default 1s)")
    p.add_argument("--min-dwell", type=int, help="the controllers' --min-dwell (default: serve's)")
    p.add_argument("--reward", help="the controllers' --reward (default: serve's, throughput-p99; this "
                                    "script scores every run with ok/s / (1 + p99 ms) whatever it is)")
    p.add_argument("--io-threads", type=int, default=os.cpu_count() or 2,
                   help="every server's event loops, on which the async candidates run (default: cores)")
    p.add_argument("--warmup", default="1s", help="bench --warmup (phase 1's load, not measured)")
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--out", help="write the summary and every run here (JSON)")
    p.add_argument("--work-dir", help="bench JSONs, decisions files, server logs (default: OUT.d next to --out, "
                                      "else a new temporary directory, kept)")
    p.add_argument("--smoke", action="store_true",
                   help="a quick check of the plumbing: 2 phases x 4 s, the first 2 candidates, ucb only")
    a = p.parse_args()
    if not os.access(a.binary, os.X_OK):
        sys.exit(f"adaptive_eval: {a.binary} not found: build first (scripts/build.sh build)")
    helptext = subprocess.run([a.binary, "serve", "--help"], capture_output=True, text=True).stdout
    if "--controller" not in helptext:
        sys.exit(f"adaptive_eval: {a.binary} has no serve --controller: rebuild it")

    work = a.work_dir or (a.out + ".d" if a.out else tempfile.mkdtemp(prefix="adaptive_eval."))
    os.makedirs(work, exist_ok=True)
    log(f"adaptive_eval: work directory {work}")

    if a.phases and not a.smoke:
        phases_file = a.phases
        phases = load_toml(phases_file)["phase"]
    else:
        phases = load_toml(a.phases or os.path.join(HERE, "adaptive_phases.toml"))["phase"]
        seconds = 4.0 if a.smoke else a.phase_seconds
        if a.smoke:
            phases = phases[:2]
        if a.smoke or not a.phases:
            phases = [dict(ph, duration=f"{seconds:g}s") for ph in phases]
        phases_file = os.path.join(work, "phases.toml")
        write_phases(phases, phases_file)
    cands = load_toml(a.candidates)["candidate"]
    cands_file = a.candidates
    controllers = a.controllers
    if a.smoke:
        cands = cands[:2]
        cands_file = os.path.join(work, "candidates.toml")
        write_candidates(cands, cands_file)
        controllers = ["ucb"]
    phase_names = [ph.get("name", f"phase {i + 1}") for i, ph in enumerate(phases)]
    window_s = duration_s(a.window)
    total_s = sum(duration_s(ph["duration"]) for ph in phases) + duration_s(a.warmup)
    log(f"adaptive_eval: {len(phases)} phases ({total_s:.0f} s a run with warm-up), {len(cands)} candidates, "
        f"controllers {', '.join(controllers)}, {a.repeat} repetition(s): about "
        f"{a.repeat * (len(cands) + len(controllers)) * (total_s + 2) / 60:.1f} min")

    static_runs = {label(c): [] for c in cands}
    ctrl_runs = {k: [] for k in controllers}
    all_runs, failures = [], []
    first_flags = candidate_flags(cands[0], a.io_threads)
    measured_s = sum(duration_s(ph["duration"]) for ph in phases)

    def attempt(what, fn):
        try:
            return fn()
        except Exception as e:  # one failed run must not lose the others
            failures.append(f"{what}: {e}")
            log(f"  FAILED: {e}")
            return None

    for rep in range(1, a.repeat + 1):
        for c in cands:
            name = label(c)
            log(f"run {rep}: static {name}")
            r = attempt(f"run {rep} static {name}", lambda: run_one(
                a, name, candidate_flags(c, a.io_threads), phases_file, phase_names, work, rep))
            if r is None:
                continue
            r["kind"] = "static"
            static_runs[name].append(r)
            all_runs.append(r)
            log("  " + "  ".join(f"{ph['name']}: {ph['reward']:.2f} ({ph['ok_rps']:.0f} ok/s, p99 "
                                 f"{ph['p99_ms']:.1f} ms)" for ph in r["phases"]) + f"  lost {r['lost']}")
        for k in controllers:
            decisions = os.path.join(work, f"decisions-{k}-r{rep}.jsonl")
            if os.path.exists(decisions):
                os.remove(decisions)  # serve appends
            flags = first_flags + ["--controller", k, "--candidates", cands_file, "--window", a.window,
                                   "--decisions-out", decisions, "--controller-seed", str(rep)]
            if a.min_dwell:
                flags += ["--min-dwell", str(a.min_dwell)]
            if a.reward:
                flags += ["--reward", a.reward]
            log(f"run {rep}: controller {k}")
            r = attempt(f"run {rep} controller {k}", lambda: run_one(
                a, f"controller-{k}", flags, phases_file, phase_names, work, rep))
            if r is None:
                continue
            r["kind"] = "controller"
            r["decisions_file"] = decisions
            r["decisions"] = read_decisions(decisions)
            if r["decisions"] and "monotonic_s" in r["decisions"][0]:
                d0 = r["decisions"][0]
                r["measure_start_t_s"] = r["measure_start_monotonic_s"] - (d0["monotonic_s"] - d0["t_s"])
            cs = r.get("controller_stats") or {}
            r["switches"] = cs.get("switches", sum(1 for d in r["decisions"] if d.get("switched")))
            r["step_times"] = step_times(r["decisions"], window_s)
            # a window with the load running throughout that the controller
            # took for idle (nothing admitted, nothing answered: a stall)
            t0 = r["measure_start_t_s"]
            r["idle_windows_under_load"] = sum(
                1 for d in r["decisions"]
                if d["reason"] == "idle" and d["t_s"] - window_s >= t0 and d["t_s"] <= t0 + measured_s)
            ctrl_runs[k].append(r)
            all_runs.append(r)
            log("  " + "  ".join(f"{ph['name']}: {ph['reward']:.2f} / {ph['phase_reward']:.2f} (p99 {ph['p99_ms']:.1f} ms)"
                                 for ph in r["phases"]) + f"  switches {r['switches']}  lost {r['lost']}")

    summary = summarise(static_runs, {}, phase_names)
    if summary is None:
        for f in failures:
            print(f"FAILED: {f}")
        sys.exit("adaptive_eval: no static run succeeded: nothing to compare with")
    good = summary["oracle"]["good_within_5pct"]
    for k, runs in ctrl_runs.items():
        for r in runs:
            r["adaptation"] = adaptation(r, r["decisions"], good, window_s)
    summary = summarise(static_runs, ctrl_runs, phase_names)
    report(summary, a, failures)
    if a.out:
        for r in all_runs:
            r.pop("decisions", None)  # in decisions_file, kept in the work directory
        with open(a.out, "w") as f:
            json.dump({"date": datetime.date.today().isoformat(), "machine": platform.platform(),
                       "cpus": os.cpu_count(), "args": vars(a), "phases_file": phases_file, "phases": phases,
                       "candidates": cands, "summary": summary, "failures": failures, "runs": all_runs},
                      f, indent=1)
        log(f"adaptive_eval: wrote {a.out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
