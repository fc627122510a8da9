#!/usr/bin/env bash
# Packs what tests/cuda/gpu_check.sh runs on the lent GPU machine, which has CUDA 13, CMake
# and PyTorch but none of zerogen's other dependencies and no package registry: the Release
# binaries (built here with the CUDA backend), stripped, and the shared libraries they need
# that are neither glibc's nor CUDA's, as gpu-pack.tar.xz (git-ignored, well under the
# device tool's 64 MiB carry limit). Usage: tests/cuda/pack_for_gpu.sh [BUILD_DIR (build)]
# Then, through the device tool: carry ["gpu-pack.tar.xz"], command
#   tar xf gpu-pack.tar.xz && bash tests/cuda/gpu_check.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
[ -d "$build/CMakeFiles/zerogen.dir/tensor/cuda" ] ||
  { echo "pack_for_gpu: $build has no CUDA backend (configure with -DZEROGEN_CUDA=ON)" >&2; exit 1; }
cmake --build "$build" --target zerogen_tests bench_models bench_cuda_gemm zerogen_cli \
  -j "${JOBS:-$(nproc)}"
rm -rf gpu-pack && mkdir -p gpu-pack/bin gpu-pack/lib
for b in zerogen_tests bench_models bench_cuda_gemm zerogen; do strip -o "gpu-pack/bin/$b" "$build/$b"; done
# Every library the binaries load, except the C and C++ runtimes (the GPU machine's, newer,
# serve binaries built against older ones, and PyTorch there needs its own) and CUDA's (it
# has its driver and CUDA 13.0; cuBLAS alone is half a gigabyte).
ldd "$build"/zerogen_tests "$build"/bench_models | awk '/=> \//{print $3}' | sort -u |
  grep -Ev '/(libc|libm|libdl|libpthread|librt|ld-linux[^/]*|libstdc\+\+|libgcc_s|libcudart|libcublas|libcublasLt)\.so' |
  while read -r lib; do cp -L "$lib" gpu-pack/lib/; done
tar cJf gpu-pack.tar.xz gpu-pack
ls -la gpu-pack.tar.xz
