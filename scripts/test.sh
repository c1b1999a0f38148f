#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds switchyard and runs the whole test
# suite. This is the README's test command and what CI runs (.ci/run).
#   scripts/test.sh                     the normal build (build/)
#   scripts/test.sh --sanitize address  ASan+UBSan build (build-asan/)
#   scripts/test.sh --sanitize thread   TSan build (build-tsan/)
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=""
while [ $# -gt 0 ]; do
  case "$1" in
    --sanitize) sanitize="${2:?--sanitize needs address or thread}"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

./scripts/install-deps.sh
case "$sanitize" in
  "") dir=build; ./scripts/build.sh "$dir" ;;
  address) dir=build-asan
    ./scripts/build.sh "$dir" -DSWITCHYARD_SANITIZE=address -DCMAKE_BUILD_TYPE=Debug ;;
  thread) dir=build-tsan
    ./scripts/build.sh "$dir" -DSWITCHYARD_SANITIZE=thread -DCMAKE_BUILD_TYPE=RelWithDebInfo ;;
  *) echo "test.sh: --sanitize takes address or thread, not '$sanitize'" >&2; exit 2 ;;
esac

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}"
ctest --test-dir "$dir" --output-on-failure -j "$(nproc)" --timeout 300
