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
  # the inference requests' tensors: thousands of numbers per body
  libsimdjson-dev
  # model inference: LibTorch; Debian's python3-torch only exports the
  # reference models (scripts/export_models.py), python3-sklearn ships the
  # digits the image model is trained on
  libtorch-dev python3-torch python3-torchvision python3-sklearn
  # Python models (src/python_backend/): CPython embedded through pybind11,
  # numpy for the tensors
  libpython3.11-dev pybind11-dev python3-numpy
  # the learned runtime predictor (switchyard train-predictor, serve --predictor)
  libxgboost-dev
  # data sets' checksums (switchyard gen-data, the loaders)
  libxxhash-dev
  # BLAS for LibTorch and the loaders' augmentation (cblas.h from
  # libblas-dev; libblas.so.3 resolves to the OpenMP build of OpenBLAS, below)
  libopenblas0-openmp libblas-dev
  # the async loader's reads (io_uring)
  liburing-dev
  # the v2 gRPC frontend (serve --grpc-port) and its load generator
  libgrpc++-dev protobuf-compiler protobuf-compiler-grpc
  # tests and micro-benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # checked locking: the clang build's -Wthread-safety (scripts/test.sh --clang)
  clang-14
  # demonstration load and the figures it is compared against
  wrk nginx-light curl procps python3
  # the Python model servers the seeds propose (bench/python_model_server.py)
  python3-flask python3-aiohttp gunicorn
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# LibTorch runs its intra-op work on OpenMP threads. The pthread build of
# OpenBLAS starts a thread pool of its own the moment the library loads, so a
# switchyard process would have threads before main() — and the fork start
# method and the zygote need a single-threaded process to fork from. The
# OpenMP build starts none and shares LibTorch's pool: select it.
arch=$(gcc -print-multiarch)
for alt in libblas.so.3 liblapack.so.3 libopenblas.so.0; do
  target="/usr/lib/$arch/openblas-openmp/$alt"
  name="$alt-$arch"
  if [ -e "$target" ] && update-alternatives --query "$name" >/dev/null 2>&1; then
    current=$(update-alternatives --query "$name" | sed -n 's/^Value: //p')
    [ "$current" = "$target" ] || $SUDO update-alternatives --set "$name" "$target" >/dev/null
  fi
done
