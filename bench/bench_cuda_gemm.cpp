// W1 on the GPU: zerogen's `matmul` on kCUDA against a raw cublasSgemm on the same device
// buffers in the same process, alternating A B A B per rep; each timed call ends with a
// synchronisation; median time -> GFLOP/s. The target (issue 5): within 5% of cuBLAS.
//
//   bench_cuda_gemm [--reps R] [--warmup W]
// prints CSV,<framework>,gemm,<MxNxK>,cuda,<median_ms>,<gflops> (the columns of bench_core).
// Built only with the CUDA backend.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "tensor/raw.h"
#include "zerogen.h"

namespace {

template <class F>
double time_ms(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  cudaDeviceSynchronize();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"W1 on the GPU: zerogen matmul against cublasSgemm"};
  int reps = 50, warmup = 10;
  app.add_option("--reps", reps)->check(CLI::PositiveNumber);
  app.add_option("--warmup", warmup)->check(CLI::NonNegativeNumber);
  CLI11_PARSE(app, argc, argv);
  if (!zg::cuda_is_available()) {
    std::fprintf(stderr, "bench_cuda_gemm: %s\n", zg::cuda_status().c_str());
    return 1;
  }
  std::fprintf(stderr, "%s\n%-18s %12s %12s %8s\n", zg::cuda_status().c_str(), "gemm MxNxK",
               "zerogen GF/s", "cuBLAS GF/s", "ratio");
  cublasHandle_t handle = nullptr;
  if (cublasCreate(&handle) != CUBLAS_STATUS_SUCCESS) return 1;
  const std::vector<std::array<int64_t, 3>> shapes = {{1024, 1024, 1024}, {2048, 2048, 2048},
                                                      {4096, 4096, 4096}, {8192, 8192, 8192},
                                                      {128, 512, 784},    {4096, 1024, 4096}};
  for (const auto& [m, n, k] : shapes) {
    zg::Generator gen(42);
    const zg::Tensor a = zg::randn({m, k}, gen, zg::kCUDA), b = zg::randn({k, n}, gen, zg::kCUDA);
    zg::Tensor c = zg::empty({m, n}, zg::kCUDA);
    const auto* ap = reinterpret_cast<const float*>(zg::raw::data_bytes(a));
    const auto* bp = reinterpret_cast<const float*>(zg::raw::data_bytes(b));
    auto* cp = reinterpret_cast<float*>(zg::raw::data_bytes(c));
    const float one = 1, zero = 0;
    auto run_zg = [&] { zg::Tensor out = a.matmul(b); };
    // Row-major C = A·B as column-major Cᵀ = Bᵀ·Aᵀ, as zerogen's gemm.cpp does.
    auto run_cublas = [&] {
      cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, static_cast<int>(n), static_cast<int>(m),
                  static_cast<int>(k), &one, bp, static_cast<int>(n), ap, static_cast<int>(k),
                  &zero, cp, static_cast<int>(n));
    };
    for (int i = 0; i < warmup; ++i) time_ms(run_zg), time_ms(run_cublas);
    std::vector<double> tz, tc;
    for (int i = 0; i < reps; ++i) {
      tz.push_back(time_ms(run_zg));
      tc.push_back(time_ms(run_cublas));
    }
    const double flop = 2.0 * double(m) * double(n) * double(k);
    const double mz = median(tz), mc = median(tc), gz = flop / (mz * 1e6), gc = flop / (mc * 1e6);
    const std::string name = fmt::format("{}x{}x{}", m, n, k);
    std::fprintf(stderr, "%-18s %12.1f %12.1f %8.3f\n", name.c_str(), gz, gc, gz / gc);
    std::printf("CSV,zerogen,gemm,%s,cuda,%.6f,%.3f\n", name.c_str(), mz, gz);
    std::printf("CSV,cublas,gemm,%s,cuda,%.6f,%.3f\n", name.c_str(), mc, gc);
  }
  cublasDestroy(handle);
  return 0;
}
