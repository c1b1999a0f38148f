#!/usr/bin/env bash
# Installs every Debian package switchyard needs to build, test and benchmark.
# Idempotent: packages already present are skipped quickly by apt.
set -euo pipefail

packages=(
  # build
  cmake ninja-build g++ pkg-config
  # event loop, HTTP, coroutines
  libboost-dev
  # workloads
  libssl-dev libsqlite3-dev
  # CLI, config, JSON, logs
  libcli11-dev nlohmann-json3-dev libtomlplusplus-dev libspdlog-dev libfmt-dev
  # tests and micro-benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # demonstration load and the figures it is compared against
  wrk nginx-light curl procps python3
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
