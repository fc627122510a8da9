// uniform and normal fills on the GPU. Element i is a pure function of (seed, offset + i)
// through Philox4x32-10 and the same formulas as the CPU backend (tensor/generator.cpp,
// tensor/cpu/index.cpp), so a seed draws the same stream on both devices: bit for bit for
// uniform, up to the last bits of log/cos for normal. The host code is not callable here, so
// philox4x32 and uniform_from_bits are device copies of generator.h/.cpp, kept line for line.
// The sums and products are rounded one by one (__dadd_rn, __dmul_rn): nvcc would otherwise
// fuse them into FMAs that round once, where the CPU build (ISO C++, no contraction) rounds
// twice.
#include <cmath>
#include <cstdint>

#include "tensor/cuda/kernels.h"
#include "tensor/cuda/loop.cuh"

namespace zg::cuda {
namespace {

struct Philox {
  uint32_t r[4];
};

/// Philox4x32-10 (Salmon et al. 2011) of the counter under the key, as tensor/generator.cpp.
__device__ __forceinline__ Philox philox4x32(uint64_t counter, uint64_t key) {
  constexpr uint32_t kM0 = 0xD2511F53, kM1 = 0xCD9E8D57, kW0 = 0x9E3779B9, kW1 = 0xBB67AE85;
  uint32_t c0 = static_cast<uint32_t>(counter), c1 = static_cast<uint32_t>(counter >> 32);
  uint32_t c2 = 0, c3 = 0;
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
#pragma unroll
  for (int round = 0; round < 10; ++round) {
    uint64_t p0 = static_cast<uint64_t>(kM0) * c0, p1 = static_cast<uint64_t>(kM1) * c2;
    uint32_t hi0 = p0 >> 32, lo0 = static_cast<uint32_t>(p0);
    uint32_t hi1 = p1 >> 32, lo1 = static_cast<uint32_t>(p1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += kW0;
    k1 += kW1;
  }
  return {{c0, c1, c2, c3}};
}

/// Uniform in (0, 1] with 53 random bits, from a 64-bit draw (never 0, so log() is safe).
__device__ __forceinline__ double uniform_from_bits(uint32_t hi, uint32_t lo) {
  uint64_t bits = (static_cast<uint64_t>(hi) << 32 | lo) >> 11;
  return (static_cast<double>(bits) + 1.0) * 0x1.0p-53;
}

/// lo + (hi − lo)·(1 − u) in [lo, hi), clamped to at most top as std::min(value, top).
template <class T>
__global__ void uniform_kernel(T* out, int64_t n, uint64_t seed, uint64_t offset, double lo,
                               double hi, double top) {
  ZG_CUDA_FOR(i, n) {
    const Philox p = philox4x32(offset + i, seed);
    const double u = uniform_from_bits(p.r[0], p.r[1]);
    const double value = __dadd_rn(lo, __dmul_rn(hi - lo, 1.0 - u));
    out[i] = static_cast<T>(top < value ? top : value);
  }
}

/// Box–Muller on two 53-bit uniforms: mean + std·sqrt(−2 log u1)·cos(2π u2), in double.
template <class T>
__global__ void normal_kernel(T* out, int64_t n, uint64_t seed, uint64_t offset, double mean,
                              double std) {
  ZG_CUDA_FOR(i, n) {
    const Philox p = philox4x32(offset + i, seed);
    const double u1 = uniform_from_bits(p.r[0], p.r[1]), u2 = uniform_from_bits(p.r[2], p.r[3]);
    const double radius = __dmul_rn(std, sqrt(-2.0 * log(u1)));
    out[i] = static_cast<T>(__dadd_rn(mean, __dmul_rn(radius, cos(2.0 * M_PI * u2))));
  }
}

}  // namespace

// Every dtype, as the CPU's random_fill (an int64 out gets the double value truncated).
void uniform(char* out, int64_t n, DType dtype, uint64_t seed, uint64_t offset, double lo,
             double hi, double top) {
  if (n == 0) return;
  dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    uniform_kernel<<<grid_for(n), kBlock>>>(reinterpret_cast<T*>(out), n, seed, offset, lo, hi,
                                            top);
  });
  check_launch("cuda uniform");
}

void normal(char* out, int64_t n, DType dtype, uint64_t seed, uint64_t offset, double mean,
            double std) {
  if (n == 0) return;
  dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    normal_kernel<<<grid_for(n), kBlock>>>(reinterpret_cast<T*>(out), n, seed, offset, mean, std);
  });
  check_launch("cuda normal");
}

}  // namespace zg::cuda
