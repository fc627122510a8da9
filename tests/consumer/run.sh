#!/usr/bin/env bash
# Checks that an outside project can use zerogen (issue 8), on an already-built tree:
#   1. every public header compiles on its own (target header_check of that tree);
#   2. `cmake --install` into a temporary prefix, then tests/consumer built and run against
#      it through find_package(zerogen);
#   3. tests/consumer built and run with add_subdirectory(<source tree>): the library alone
#      is compiled again, in a build of its own.
# Usage: tests/consumer/run.sh [BUILD_DIR (default build)]. Prints each step's time.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
jobs=${JOBS:-$(nproc)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step_start=0
start() {
  echo "== consumer: $1"
  step_start=$(date +%s%N)
}
took() {
  local ms=$((($(date +%s%N) - step_start) / 1000000))
  printf '== consumer: %s took %d.%d s\n' "$1" $((ms / 1000)) $((ms % 1000 / 100))
}

start "header check ($build)"
cmake --build "$build" --target header_check -j"$jobs" >"$work/header_check.log" ||
  { cat "$work/header_check.log"; exit 1; }
took "header check"

start "install + find_package"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$root/tests/consumer" -B "$work/find_package" -DCMAKE_BUILD_TYPE=Release \
  -DZEROGEN_CONSUMER_MODE=find_package -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/find_package" -j"$jobs" >/dev/null
"$work/find_package/consumer"
took "install + find_package"

start "add_subdirectory"
# No build type (no -O, no -g): what is checked here is that the targets wire up, and the
# library's second compilation is the slowest step of the CI's consumer check.
cmake -S "$root/tests/consumer" -B "$work/add_subdirectory" -DCMAKE_BUILD_TYPE= \
  -DZEROGEN_CONSUMER_MODE=add_subdirectory -DZEROGEN_TESTS=OFF -DZEROGEN_CUDA=OFF >/dev/null
cmake --build "$work/add_subdirectory" -j"$jobs" >/dev/null
"$work/add_subdirectory/consumer"
took "add_subdirectory"
