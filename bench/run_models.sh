#!/usr/bin/env bash
# W2 (MLP-VAE step), W3 (DCGAN step), W4 (DDPM UNet step), W4s (DDPM reverse step) and W5
# (NCSN step) of WORKLOADS.md, zerogen side by side with PyTorch; writes bench/models.md (part
# of bench/README.md).
#
#   bench/run_models.sh                       # threads 1 and 2, 3 rounds, 20 steps, 5 warm-up
#   ROUNDS=5 REPS=30 THREADS="1 2" WORKLOADS="w2 w3" bench/run_models.sh
#
# The UNet workloads dominate (PyTorch: ~0.9-1.3 s per W4/W5 step, ~0.3-0.5 s per W4s step
# on the 2-core machine), so a default run takes roughly 15-20 minutes.
#
# Builds bench_models (Release) in $BUILD (default build-bench/); for each thread count and
# round runs zerogen then torch (A B A B ...), each a fresh process pinned to the same thread
# count, reporting its median step time and peak RSS. Raw CSVs go to bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
REPS=${REPS:-20}
WARMUP=${WARMUP:-5}
THREADS=${THREADS:-"1 2"}
WORKLOADS=${WORKLOADS:-"w2 w3 w4 w4s w5"}
BUILD=${BUILD:-build-bench}
JOBS=${JOBS:-1}
source bench/common.sh

cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DZEROGEN_TESTS=OFF -DZEROGEN_CUDA=OFF \
  >/dev/null
cmake --build "$BUILD" --target bench_models -j "$JOBS" >/dev/null

mkdir -p bench/results
stamp=$(date -u +%Y%m%dT%H%M%SZ)
raw="bench/results/models-$stamp.csv"
: >"$raw"

run() {  # run <round> <threads> <workload> <command...>
  local round=$1 t=$2 w=$3
  shift 3
  OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t "$@" --workload "$w" --threads "$t" \
    --reps "$REPS" --warmup "$WARMUP" 2>/dev/null | sed -n "s/^CSV,/CSV,$round,/p" >>"$raw"
}

for t in $THREADS; do
  for r in $(seq "$ROUNDS"); do
    wait_quiet
    use=$(cpu_use)
    state=$( ((use > QUIET_MAX_USE)) && echo busy || echo quiet)
    echo "LOAD,$r,$t,$(cut -d' ' -f1 /proc/loadavg),$state,$use" >>"$raw"
    echo "threads $t, round $r/$ROUNDS (others use $use% of the CPUs: $state)" >&2
    for w in $WORKLOADS; do
      run "$r" "$t" "$w" "$BUILD/bench_models"
      run "$r" "$t" "$w" "$PY" bench/torch_models.py
    done
  done
done

cmd="bench/run_models.sh"
for v in ROUNDS REPS WARMUP THREADS WORKLOADS; do
  cmd="$v=\"${!v}\" $cmd"
done
"$PY" bench/report_models.py "$raw" --command "$cmd" >bench/models.md
assemble_readme
echo "wrote bench/models.md and bench/README.md (raw: $raw)" >&2
