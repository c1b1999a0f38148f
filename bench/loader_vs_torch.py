#!/usr/bin/python3
"""switchyard's data loaders against PyTorch's DataLoader (issue 6).

Run it with Debian's python, the one that has torch (python3-torch):

    /usr/bin/python3 bench/loader_vs_torch.py [--smoke]

(the python3 first on PATH may be a pyenv one without torch).

Both sides do the same work on the same files: read every file of a
`switchyard gen-data` data set whole; at matrix size M > 0 take its first
M*M*4 bytes as a row-major FP32 MxM matrix A and compute A.A; collate B items
into a batch; deliver the batches in order to a consumer that only iterates
them. A file shorter than M*M*4 bytes is read, then skipped and counted, on
both sides.

  torch       a Dataset whose __getitem__(i) opens file i, f.read()s it and
              returns torch.mm(a, a) (M = 0: the bytes as a uint8 tensor);
              DataLoader(num_workers=N, batch_size=B, prefetch_factor=P,
              shuffle=False, persistent_workers=False); the default collate
              (torch.stack) at M > 0, a list at M = 0 (sizes differ). Each
              worker runs torch's default for DataLoader workers: one
              intra-op thread (torch.set_num_threads(1)), as switchyard's
              single-threaded cblas_sgemm. Timed from creating the iterator
              (workers start then) to the last batch.
  switchyard  `switchyard load --loader L` for L in sync, threads, processes,
              async, with the same --workers/--batch/--prefetch/--matrix-size;
              items/s and MB/s from its --json. At M = 0 one switchyard run per
              repetition also gets --baseline: the machine's page-cache read
              bandwidth on the same files, measured in the same run.

The page cache is warmed first (every file read once), and within each
repetition the sides run alternately (torch, then each switchyard loader),
so drift hits both. Throughput is items/s; MB/s counts file bytes read
(1 MB = 1e6 bytes). Medians over --repeat repetitions; ratios are taken within
a repetition and then their median reported. The best loader at a matrix
size is the one with the highest median items/s.

Targets (issue 6): best loader >= 1.5 x torch's items/s at M = 200, >= 1.0 x
at M = 0 and M = 500; at M = 0 the best loader's MB/s >= 0.8 of the
page-cache read bandwidth.
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

from benchlib import log

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOADERS = ["sync", "threads", "processes", "async"]
RATIO_TARGETS = {0: 1.0, 200: 1.5, 500: 1.0}  # best loader items/s over torch's
PAGE_CACHE_TARGET = 0.8  # best loader MB/s over page-cache bandwidth, at M = 0
SMOKE = {"files": 12, "min": "64KB", "max": "256KB", "matrix_sizes": [0, 16], "repeat": 1, "epochs": 1}

try:
    import torch
    import torch.utils.data
except ImportError:
    torch = None


# ---- torch side -------------------------------------------------------------

class FileDataset(torch.utils.data.Dataset if torch else object):
    """Item i: file i of the manifest, read whole; at M > 0 the product A.A of
    its first M*M*4 bytes as an FP32 MxM matrix. A file too short for that is
    returned as None (and skipped by the collate), after it was read."""

    def __init__(self, paths, m):
        self.paths, self.m = paths, m

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        with open(self.paths[i], "rb") as f:
            data = f.read()
        m = self.m
        if m == 0:
            return torch.frombuffer(bytearray(data), dtype=torch.uint8), len(data)
        if len(data) < m * m * 4:
            return None, len(data)
        a = torch.frombuffer(bytearray(data[:m * m * 4]), dtype=torch.float32).reshape(m, m)
        return torch.mm(a, a), len(data)


def collate_list(batch):
    """M = 0: the items as a list (their sizes differ), with the bytes read."""
    return [t for t, _ in batch], sum(n for _, n in batch), 0


def collate_stack(batch):
    """M > 0: torch's default collate (stacks the products), skipping the
    items that were too short; with the bytes read and the count skipped."""
    items = [t for t, _ in batch if t is not None]
    stacked = torch.utils.data.default_collate(items) if items else None
    return stacked, sum(n for _, n in batch), len(batch) - len(items)


def run_torch(paths, m, a):
    loader = torch.utils.data.DataLoader(
        FileDataset(paths, m), batch_size=a.batch, shuffle=False, num_workers=a.workers,
        prefetch_factor=a.prefetch, persistent_workers=a.epochs > 1,
        collate_fn=collate_list if m == 0 else collate_stack)
    items = nbytes = skipped = batches = 0
    first = None
    t0 = time.perf_counter()
    for _ in range(a.epochs):
        for payload, n, s in loader:  # creating the first iterator starts the workers
            if first is None:
                first = time.perf_counter() - t0
            batches += 1
            nbytes += n
            skipped += s
            items += 0 if payload is None else len(payload)
    wall = time.perf_counter() - t0
    return {"items": items, "bytes": nbytes, "batches": batches, "skipped": skipped, "wall_s": wall,
            "first_batch_s": first, "items_per_s": items / wall, "mb_per_s": nbytes / 1e6 / wall}


# ---- switchyard side --------------------------------------------------------

def run_switchyard(a, data_dir, loader, m, baseline, out_dir, tag):
    path = os.path.join(out_dir, f"{tag}-{loader}-m{m}.json")
    cmd = [a.binary, "load", "--data", data_dir, "--loader", loader, "--workers", str(a.workers),
           "--matrix-size", str(m), "--batch", str(a.batch), "--prefetch", str(a.prefetch),
           "--epochs", str(a.epochs),
           "--json", path, "--quiet"] + (["--baseline"] if baseline else [])
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.strip()}")
    with open(path) as f:
        j = json.load(f)
    r = {k: j.get(k) for k in ("items", "bytes", "batches", "skipped", "errors", "wall_s", "items_per_s",
                               "mb_per_s", "starvation")}
    r["cache_state"] = j.get("cache", {}).get("state")
    r["resident_at_start"] = j.get("cache", {}).get("resident_at_start")
    r["cpu_utilisation"] = j.get("cpu", {}).get("utilisation")
    r["pss_bytes"] = j.get("pss_bytes")
    if baseline:
        r["page_cache_mb_per_s"] = j["baseline"]["page_cache_mb_per_s"]
    return r


def has_load(binary):
    """True if the binary has `switchyard load` (its --help names
    --matrix-size; an unknown subcommand would print the top-level help)."""
    p = subprocess.run([binary, "load", "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return p.returncode == 0 and "--matrix-size" in p.stdout


# ---- driver -----------------------------------------------------------------

def load_paths(data_dir):
    with open(os.path.join(data_dir, "manifest.json")) as f:
        manifest = json.load(f)
    return [os.path.join(data_dir, it["name"]) for it in manifest["items"]], manifest


def warm(paths):
    """Read every file once so that both sides start with the data set in the
    page cache; returns the bytes read and the MB/s of this (single-threaded,
    mostly cold) pass, for the record only."""
    t0, n = time.perf_counter(), 0
    buf = bytearray(1 << 20)
    for p in paths:
        with open(p, "rb", buffering=0) as f:
            while True:
                k = f.readinto(buf)
                if not k:
                    break
                n += k
    return n, n / 1e6 / (time.perf_counter() - t0)


def one_repetition(a, data_dir, paths, m, out_dir, rep):
    run = {"torch": run_torch(paths, m, a)}
    t = run["torch"]
    log(f"  run {rep} M={m}: torch {t['items_per_s']:.1f} items/s, {t['mb_per_s']:.0f} MB/s"
        f" ({t['items']} items, {t['skipped']} skipped, {t['wall_s']:.2f} s)")
    for i, loader in enumerate(a.loaders):
        baseline = m == 0 and i == 0
        r = run_switchyard(a, data_dir, loader, m, baseline, out_dir, f"r{rep}")
        run[loader] = r
        extra = f", page cache {r['page_cache_mb_per_s']:.0f} MB/s" if baseline else ""
        log(f"  run {rep} M={m}: {loader} {r['items_per_s']:.1f} items/s, {r['mb_per_s']:.0f} MB/s"
            f" (cache {r['cache_state']}){extra}")
        if r["items"] != t["items"] or r["skipped"] != t["skipped"]:
            log(f"  warning: {loader} delivered {r['items']} items ({r['skipped']} skipped), "
                f"torch {t['items']} ({t['skipped']} skipped): not the same work")
        if r["cache_state"] not in (None, "warm"):
            log(f"  warning: {loader} found the cache {r['cache_state']}, not warm")
        if baseline:
            run["page_cache_mb_per_s"] = r["page_cache_mb_per_s"]
    return run


def summarise(a, m, runs):
    med = lambda f: statistics.median(f(r) for r in runs)
    s = {"torch_items_per_s": med(lambda r: r["torch"]["items_per_s"]),
         "torch_mb_per_s": med(lambda r: r["torch"]["mb_per_s"]),
         "loaders": {l: {"items_per_s": med(lambda r: r[l]["items_per_s"]),
                         "mb_per_s": med(lambda r: r[l]["mb_per_s"])} for l in a.loaders}}
    if not a.loaders:
        return s
    best = max(a.loaders, key=lambda l: s["loaders"][l]["items_per_s"])
    s["best_loader"] = best
    s["ratio_best_over_torch"] = med(lambda r: r[best]["items_per_s"] / r["torch"]["items_per_s"])
    if m in RATIO_TARGETS:
        s["ratio_target"] = RATIO_TARGETS[m]
        s["ratio_met"] = s["ratio_best_over_torch"] >= RATIO_TARGETS[m]
    if m == 0:
        s["page_cache_mb_per_s"] = med(lambda r: r["page_cache_mb_per_s"])
        s["page_cache_ratio"] = med(lambda r: r[best]["mb_per_s"] / r["page_cache_mb_per_s"])
        s["page_cache_target"] = PAGE_CACHE_TARGET
        s["page_cache_met"] = s["page_cache_ratio"] >= PAGE_CACHE_TARGET
    return s


def print_table(a, summary):
    print(f"loader vs torch DataLoader: {a.workers} worker(s), batch {a.batch}, prefetch {a.prefetch}, "
          f"{summary['data']['files']} files, {summary['data']['bytes'] / 1e6:.0f} MB, warm cache; "
          f"items/s, medians of {a.repeat}")
    cols = ["torch"] + a.loaders
    print("  " + f"{'M':>5}" + "".join(f"{c:>11}" for c in cols) + "   best/torch")
    for m in a.matrix_sizes:
        s = summary["by_matrix_size"][str(m)]
        vals = [s["torch_items_per_s"]] + [s["loaders"][l]["items_per_s"] for l in a.loaders]
        line = "  " + f"{m:>5}" + "".join(f"{v:>11.1f}" for v in vals)
        if "best_loader" in s:
            line += f"   {s['ratio_best_over_torch']:.2f} ({s['best_loader']})"
            if "ratio_target" in s:
                line += f", target >= {s['ratio_target']:g}: {'met' if s['ratio_met'] else 'NOT met'}"
        print(line)
    s0 = summary["by_matrix_size"].get("0")
    if s0 and "page_cache_ratio" in s0:
        print(f"  M=0: {s0['best_loader']} {s0['loaders'][s0['best_loader']]['mb_per_s']:.0f} MB/s = "
              f"{s0['page_cache_ratio']:.2f} of the page-cache read bandwidth "
              f"({s0['page_cache_mb_per_s']:.0f} MB/s), target >= {PAGE_CACHE_TARGET:g}: "
              f"{'met' if s0['page_cache_met'] else 'NOT met'}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", default=os.path.join(ROOT, "build", "switchyard"),
                   help="switchyard, for gen-data and load (default build/switchyard)")
    p.add_argument("--data", help="an existing gen-data directory (default: generate one into a temporary "
                   "directory with --files/--min/--max/--seed, removed at the end unless --keep-data)")
    p.add_argument("--files", type=int, default=200, help="files to generate (default %(default)s)")
    p.add_argument("--min", default="1MB", help="smallest generated file (default %(default)s)")
    p.add_argument("--max", default="10MB", help="largest generated file (default %(default)s)")
    p.add_argument("--seed", type=int, default=1, help="gen-data seed (default %(default)s)")
    p.add_argument("--keep-data", action="store_true", help="keep the generated data set and say where")
    p.add_argument("--matrix-sizes", type=int, nargs="+", default=[0, 200, 500],
                   help="M values; 0 = pure I/O (default %(default)s)")
    p.add_argument("--workers", type=int, default=2, help="workers on both sides, >= 1 (default %(default)s)")
    p.add_argument("--epochs", type=int, default=3,
                   help="passes over the data set per run, both sides (torch: persistent_workers when > 1), so a "
                        "run is long against starting the workers (default %(default)s)")
    p.add_argument("--batch", type=int, default=8, help="items per batch (default %(default)s)")
    p.add_argument("--prefetch", type=int, default=2,
                   help="batches in flight per worker, DataLoader's prefetch_factor (default %(default)s)")
    p.add_argument("--loaders", nargs="*", default=LOADERS, choices=LOADERS,
                   help="switchyard loaders to run (default all)")
    p.add_argument("--torch-only", action="store_true",
                   help="run only the torch side (no `switchyard load` needed; no ratios)")
    p.add_argument("--repeat", type=int, default=3, help="repetitions; medians reported (default %(default)s)")
    p.add_argument("--smoke", action="store_true",
                   help="quick check of the plumbing: 12 files of 64KB-256KB, M in 0 16, one repetition "
                   "(flags given explicitly still win); its figures are mostly worker start-up, not targets")
    p.add_argument("--out", help="write the summary and every run here as JSON")
    pre, _ = p.parse_known_args()
    if pre.smoke:
        p.set_defaults(**SMOKE)
    a = p.parse_args()
    if torch is None:
        sys.exit("loader_vs_torch: `import torch` failed in " + sys.executable + ": run it with Debian's "
                 "python, which has python3-torch: /usr/bin/python3 bench/loader_vs_torch.py")
    if a.workers < 1:
        sys.exit("loader_vs_torch: --workers must be >= 1 (DataLoader's prefetch_factor needs workers)")
    if a.torch_only:
        a.loaders = []
    if not os.access(a.binary, os.X_OK):
        sys.exit(f"loader_vs_torch: {a.binary} not found: build first (scripts/build.sh build)")
    if a.loaders and not has_load(a.binary):
        sys.exit(f"loader_vs_torch: {a.binary} has no `load` subcommand: rebuild, or use --torch-only")

    made = None
    if a.data:
        data_dir = a.data
    else:
        made = data_dir = tempfile.mkdtemp(prefix="loader-vs-torch-")
        log(f"generating {a.files} files of {a.min}-{a.max} (seed {a.seed}) into {data_dir}")
        subprocess.run([a.binary, "gen-data", "--files", str(a.files), "--min", a.min, "--max", a.max,
                        "--seed", str(a.seed), "--out", data_dir, "--force"],
                       stdout=subprocess.DEVNULL, check=True)
    try:
        paths, manifest = load_paths(data_dir)
        nbytes, warm_mb_s = warm(paths)
        log(f"warmed the page cache: {len(paths)} files, {nbytes / 1e6:.0f} MB ({warm_mb_s:.0f} MB/s)")
        runs = {m: [] for m in a.matrix_sizes}
        with tempfile.TemporaryDirectory() as out_dir:
            for rep in range(1, a.repeat + 1):
                log(f"repetition {rep} of {a.repeat}")
                for m in a.matrix_sizes:
                    runs[m].append(one_repetition(a, data_dir, paths, m, out_dir, rep))
    finally:
        if made and not a.keep_data:
            shutil.rmtree(made, ignore_errors=True)
        elif made:
            log(f"kept the data set in {made}")

    summary = {"torch_version": torch.__version__, "torch_worker_threads": 1,
               "data": {"dir": data_dir, "files": len(paths), "bytes": nbytes,
                        "generated": made is not None, "seed": manifest.get("seed")},
               "by_matrix_size": {str(m): summarise(a, m, runs[m]) for m in a.matrix_sizes}}
    print_table(a, summary)
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"date": datetime.date.today().isoformat(), "machine": platform.platform(),
                       "cpus": os.cpu_count(), "args": vars(a), "summary": summary,
                       "runs": {str(m): r for m, r in runs.items()}}, f, indent=1)


if __name__ == "__main__":
    main()
