#!/usr/bin/env bash
# W1 (GEMM) and element-wise ops, zerogen side by side with PyTorch; writes bench/core.md (part of bench/README.md).
#
#   bench/run_core.sh                      # threads 1 and 2, 3 rounds, 20 reps, 5 warm-up
#   ROUNDS=5 REPS=30 THREADS="1 2" bench/run_core.sh
#   BEFORE_BIN=/path/to/old/bench_core bench/run_core.sh   # also time an older build
#
# Builds bench_core (Release) in $BUILD (default build-bench/), then for each thread count
# runs zerogen and torch alternately (A B A B ..., ROUNDS rounds; with BEFORE_BIN, A B C ...),
# both pinned to the same thread count through their APIs and OMP_/OPENBLAS_NUM_THREADS.
# The machine is shared: before each round it waits up to QUIET_WAIT seconds until other
# processes use under QUIET_MAX_USE % of the CPUs, and records that use and the load average;
# the report says how many rounds started on a busy machine. Raw CSVs go to bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
REPS=${REPS:-20}
WARMUP=${WARMUP:-5}
THREADS=${THREADS:-"1 2"}
BUILD=${BUILD:-build-bench}
JOBS=${JOBS:-1}
BEFORE_BIN=${BEFORE_BIN:-}
source bench/common.sh

cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DZEROGEN_TESTS=OFF -DZEROGEN_CUDA=OFF \
  >/dev/null
cmake --build "$BUILD" --target bench_core -j "$JOBS" >/dev/null

mkdir -p bench/results
stamp=$(date -u +%Y%m%dT%H%M%SZ)
raw="bench/results/core-$stamp.csv"
: >"$raw"

# run <round> <threads> <label> <command...>: CSV lines tagged with the round.
run() {
  local round=$1 t=$2 label=$3
  shift 3
  OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t "$@" --threads "$t" --reps "$REPS" \
    --warmup "$WARMUP" 2>/dev/null |
    sed -n "s/^CSV,/CSV,$round,/p" |
    if [[ $label == before ]]; then sed 's/,zerogen,/,zerogen-before,/; s/,cblas,/,cblas-before,/'; else cat; fi \
      >>"$raw"
}

for t in $THREADS; do
  for r in $(seq "$ROUNDS"); do
    wait_quiet
    use=$(cpu_use)
    state=$( ((use > QUIET_MAX_USE)) && echo busy || echo quiet)
    echo "LOAD,$r,$t,$(cut -d' ' -f1 /proc/loadavg),$state,$use" >>"$raw"
    echo "threads $t, round $r/$ROUNDS (others use $use% of the CPUs: $state)" >&2
    run "$r" "$t" zerogen "$BUILD/bench_core"
    run "$r" "$t" torch "$PY" bench/torch_core.py
    if [[ -n $BEFORE_BIN ]]; then run "$r" "$t" before "$BEFORE_BIN"; fi
  done
done

cmd="bench/run_core.sh"
for v in ROUNDS REPS WARMUP THREADS BEFORE_BIN; do
  [[ -n ${!v} ]] && cmd="$v=\"${!v}\" $cmd"
done
"$PY" bench/report_core.py "$raw" --command "$cmd" >bench/core.md
assemble_readme
echo "wrote bench/core.md and bench/README.md (raw: $raw)" >&2
