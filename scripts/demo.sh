#!/usr/bin/env bash
# The main job, on its embedded defaults: sets up a fresh Debian 12 machine,
# builds switchyard, then starts a server with each executor and drives a short
# demonstration load (cpu, io and sleep requests) against it with wrk,
# printing a table. Takes about two minutes on 2 cores.
#   scripts/demo.sh [--duration SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=3
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="${2:?}"; shift 2 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
./scripts/install-deps.sh
./scripts/build.sh build
exec python3 bench/serve_bench.py --build build --demo --duration "$duration"
