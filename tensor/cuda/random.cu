// uniform and normal fills on the GPU. Element i is a pure function of (seed, offset + i)
// through Philox4x32-10 and the same formulas as the CPU backend (tensor/philox.h,
// tensor/cpu/index.cpp), so a seed draws the same stream on both devices: bit for bit for
// uniform, up to the last bits of log/cos for normal (tensor/philox.h is shared with the CPU).
// The sums and products are rounded one by one (__dadd_rn, __dmul_rn): nvcc would otherwise
// fuse them into FMAs that round once, where the CPU build (ISO C++, no contraction) rounds
// twice.
#include <cmath>
#include <cstdint>

#include "tensor/cuda/kernels.h"
#include "tensor/cuda/loop.cuh"
#include "tensor/philox.h"

namespace zg::cuda {
namespace {

/// lo + (hi − lo)·(1 − u) in [lo, hi), clamped to at most top as std::min(value, top).
template <class T>
__global__ void uniform_kernel(T* out, int64_t n, uint64_t seed, uint64_t offset, double lo,
                               double hi, double top) {
  ZG_CUDA_FOR(i, n) {
    const PhiloxBlock p = philox4x32(offset + i, seed);
    const double u = uniform_from_bits(p[0], p[1]);
    const double value = __dadd_rn(lo, __dmul_rn(hi - lo, 1.0 - u));
    out[i] = static_cast<T>(top < value ? top : value);
  }
}

/// Box–Muller on two 53-bit uniforms: mean + std·sqrt(−2 log u1)·cos(2π u2), in double.
template <class T>
__global__ void normal_kernel(T* out, int64_t n, uint64_t seed, uint64_t offset, double mean,
                              double std) {
  ZG_CUDA_FOR(i, n) {
    const PhiloxBlock p = philox4x32(offset + i, seed);
    const double u1 = uniform_from_bits(p[0], p[1]), u2 = uniform_from_bits(p[2], p[3]);
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
