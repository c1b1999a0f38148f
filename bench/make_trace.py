#!/usr/bin/env python3
"""Writes a synthetic request trace for `switchyard simulate` (JSON Lines):
Poisson arrivals, three classes in equal shares with fixed service times
(fast 200 us, medium 800 us, slow 3000 us, the reference models' order of
magnitude) and priorities 1 / 2 / 3. Deterministic for a seed.

  python3 bench/make_trace.py --requests 1000000 --mean-gap-us 500 --out trace.jsonl
"""
import argparse
import json
import random
import sys

CLASSES = [("fast", 200, 1), ("medium", 800, 2), ("slow", 3000, 3)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=1000000)
    ap.add_argument("--mean-gap-us", type=float, default=500.0, help="mean time between arrivals")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if args.requests < 1 or args.mean_gap_us <= 0:
        sys.exit("make_trace: --requests must be >= 1 and --mean-gap-us > 0")
    rng = random.Random(args.seed)
    t = 0
    with open(args.out, "w") as f:
        for _ in range(args.requests):
            t += int(rng.expovariate(1.0 / args.mean_gap_us))
            name, service, priority = rng.choice(CLASSES)
            f.write(json.dumps({"arrival_us": t, "service_us": service, "class": name, "priority": priority}) + "\n")


if __name__ == "__main__":
    main()
