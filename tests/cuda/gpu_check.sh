#!/usr/bin/env bash
# The GPU checks of the CUDA backend (issue 5), in one run on the lent GPU machine, from the
# binaries tests/cuda/pack_for_gpu.sh packed (unpack gpu-pack.tar.xz first). Writes to $OUT:
#   device.txt       nvidia-smi and zerogen's cuda_status
#   cuda_tests.txt   tests/cuda/test_cuda.cpp on the GPU (every primitive and layer vs the CPU)
#   memcheck.txt     the same under compute-sanitizer memcheck (ZEROGEN_CUDA_SYNC=1)
#   racecheck.txt    the reductions and conv cases under racecheck
#   gemm.csv         W1: zerogen matmul against raw cuBLAS (bench/bench_cuda_gemm.cpp)
#   models.csv       W2-W5 (and W4 at batch 256) on the GPU, zerogen and PyTorch side by side
# Each step's status is printed; a failing step does not stop the later ones.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-gpu-out}
mkdir -p "$OUT"
bin=gpu-pack/bin
# zerogen's binaries find the packed libraries first; PyTorch keeps the machine's own path.
system_libs=${LD_LIBRARY_PATH:-}
export LD_LIBRARY_PATH="$PWD/gpu-pack/lib:/usr/local/cuda/lib64:$system_libs"
export PATH="/usr/local/cuda/bin:$PATH"
step() { echo "== $1: $2"; }

{ nvidia-smi; "$bin/zerogen_tests" -tc="cuda: the status*" 2>&1 | grep "cuda:"; } \
  >"$OUT/device.txt" 2>&1
head -20 "$OUT/device.txt"

ZEROGEN_CUDA_POISON=1 timeout 300 "$bin/zerogen_tests" -ts=cuda >"$OUT/cuda_tests.txt" 2>&1
step "cuda tests" "rc $?"
tail -4 "$OUT/cuda_tests.txt"

ZEROGEN_CUDA_SYNC=1 timeout 240 compute-sanitizer --tool memcheck --error-exitcode 9 \
  "$bin/zerogen_tests" -ts=cuda -tce="*UNet*" >"$OUT/memcheck.txt" 2>&1
step "memcheck" "rc $?"
tail -3 "$OUT/memcheck.txt"
timeout 180 compute-sanitizer --tool racecheck --error-exitcode 9 \
  "$bin/zerogen_tests" -ts=cuda -tc="*reductions*,*layers*" >"$OUT/racecheck.txt" 2>&1
step "racecheck" "rc $?"
tail -3 "$OUT/racecheck.txt"

timeout 180 "$bin/bench_cuda_gemm" 2>&1 | tee "$OUT/gemm.log" | grep "^CSV" >"$OUT/gemm.csv"
step "W1 gemm" "$(wc -l <"$OUT/gemm.csv") rows"
grep -v "^CSV" "$OUT/gemm.log"

{
  for w in w2 w3 w4 w4s w5; do
    for side in zerogen torch; do
      if [ $side = zerogen ]; then
        timeout 120 "$bin/bench_models" --workload $w --device cuda --reps 50 --warmup 10
      else
        LD_LIBRARY_PATH=$system_libs timeout 120 python3 bench/torch_models.py --workload $w \
          --device cuda --reps 50 --warmup 10
      fi
    done
  done
  timeout 120 "$bin/bench_models" --workload w4 --device cuda --batch 256 --reps 30 --warmup 5
  LD_LIBRARY_PATH=$system_libs timeout 120 python3 bench/torch_models.py --workload w4 \
    --device cuda --batch 256 --reps 30 --warmup 5
} 2>&1 | tee "$OUT/models.log" | grep "^CSV" >"$OUT/models.csv"
step "bench" "$(wc -l <"$OUT/models.csv") rows"
cat "$OUT/models.csv"
