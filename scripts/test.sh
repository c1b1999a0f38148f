#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds switchyard and runs the whole test
# suite. This is the README's test command and what CI runs (.ci/run).
#   scripts/test.sh                     the normal build (build/)
#   scripts/test.sh --sanitize address  ASan+UBSan build (build-asan/)
#   scripts/test.sh --sanitize thread   TSan build (build-tsan/)
#   scripts/test.sh --clang             checked locking: the library built with
#                                       clang-14 -Wthread-safety -Werror
#                                       (build-clang/); compiles, runs nothing
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=""
clang=0
while [ $# -gt 0 ]; do
  case "$1" in
    --sanitize) sanitize="${2:?--sanitize needs address or thread}"; shift 2 ;;
    --clang) clang=1; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

./scripts/install-deps.sh
if [ "$clang" = 1 ]; then
  # Every GUARDED_BY/REQUIRES/EXCLUDES in src/ checked by the compiler
  # (core/thread_annotations.h); g++ cannot. The library and the Python
  # backend are all the code that takes locks, so they are what is built.
  cmake -S . -B build-clang -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_C_COMPILER=clang-14 \
    -DBUILD_TESTING=OFF >/dev/null
  cmake --build build-clang --target switchyard_core switchyard_python
  echo "test.sh --clang: switchyard_core and switchyard_python build with clang-14 -Wthread-safety -Werror"
  exit 0
fi
case "$sanitize" in
  "") dir=build; ./scripts/build.sh "$dir" ;;
  address) dir=build-asan
    ./scripts/build.sh "$dir" -DSWITCHYARD_SANITIZE=address -DCMAKE_BUILD_TYPE=Debug ;;
  thread) dir=build-tsan
    ./scripts/build.sh "$dir" -DSWITCHYARD_SANITIZE=thread -DCMAKE_BUILD_TYPE=RelWithDebInfo ;;
  *) echo "test.sh: --sanitize takes address or thread, not '$sanitize'" >&2; exit 2 ;;
esac

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
# CPython's own never-freed interpreter state, and nothing else (the file says why).
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/scripts/lsan-cpython.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}"
ctest --test-dir "$dir" --output-on-failure -j "$(nproc)" --timeout 300
