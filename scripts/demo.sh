#!/usr/bin/env bash
# The main job, on its embedded defaults: sets up a fresh Debian 12 machine,
# builds switchyard, then runs studies/quick.toml — threads vs processes vs
# async on cpu-bound, io-bound and mixed load, each cell against a freshly
# started server — and renders its report. Prints the summary tables; about
# two minutes of measuring on 2 cores (plus the build).
#   scripts/demo.sh [--out DIR]     results and report in DIR
#                                   (default results/quick-<UTC time>)
set -euo pipefail
cd "$(dirname "$0")/.."
out="results/quick-$(date -u +%Y%m%dT%H%M%SZ)"
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="${2:?--out needs a directory}"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
./scripts/install-deps.sh
./scripts/build.sh build
build/switchyard study studies/quick.toml --out "$out/results.jsonl" --report "$out"
echo
sed -n '/^## Summary/,/^## Charts/p' "$out/summary.md" | sed '$d'
echo "Full report with charts: $out/index.html (Markdown: $out/summary.md)"
