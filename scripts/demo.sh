#!/usr/bin/env bash
# The main job, on its embedded defaults: sets up a fresh Debian 12 machine,
# builds switchyard, then runs studies/quick.toml — threads vs processes vs
# async on cpu-bound, io-bound and mixed load, each cell against a freshly
# started server — and renders its report. Prints the summary tables; about
# two minutes of measuring on 2 cores (plus the build). Then exports the
# reference models (once, into models/) and has the served MobileNetV2
# classify a few handwritten digits over the Open Inference Protocol. Last,
# the data-loading pipeline: a small data set fed to a 10 ms training step by
# the sync loader and by 2 threads (a few seconds).
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

# The reference models (fixed seeds; about a minute, once) and one served.
echo
[ -f models/mobilenet_v2/1/model.pt ] || /usr/bin/python3 scripts/export_models.py --out models
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
build/switchyard serve --executor processes --start forkserver --workers 2 --models models --port "$port" \
    --log-level warn > "$out/serve-models.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/v2/health/ready" > /dev/null && break
  sleep 0.2
done
/usr/bin/python3 scripts/classify_digits.py --url "http://127.0.0.1:$port" --count 10 | tail -4
kill -TERM $server && wait $server || true
trap - EXIT

# The data-loading pipeline: how much of a training step's time goes waiting.
echo
build/switchyard gen-data --files 40 --min 1MB --max 4MB --seed 1 --out "$out/data" --force > /dev/null
for loader in sync threads; do
  build/switchyard load --data "$out/data" --loader "$loader" --workers 2 --matrix-size 200 \
      --consumer-ms 10 --epochs 2 --quiet --json "$out/load-$loader.json"
  /usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print("load %-8s %7.1f items/s, consumer starved %4.1f%% of the time, batch wait p99 %.1f ms" % (j["loader"], j["items_per_s"], 100*j["starvation"], j["batch_wait_ms"]["p99"]))' "$out/load-$loader.json"
done
