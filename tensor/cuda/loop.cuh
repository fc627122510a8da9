// What every CUDA kernel file shares: the launch shape, the dtype switch, and walking a
// strided Loop (tensor/cuda/kernels.h) from a flat element index.
#pragma once
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "tensor/cuda/kernels.h"

namespace zg::cuda {

inline constexpr int kBlock = 256;

/// Blocks for a grid-stride loop over n items: enough to fill the GPU, never more than
/// the items need (the loop covers whatever a capped grid leaves).
inline unsigned grid_for(int64_t n) {
  return static_cast<unsigned>(std::clamp<int64_t>((n + kBlock - 1) / kBlock, 1, 1 << 16));
}

/// Calls f(T{}) with T the C++ type of t (the device-side twin of zg::visit_dtype).
template <class F>
void dispatch(DType t, F&& f) {
  switch (t) {
    case DType::Float32:
      return f(float{});
    case DType::Float64:
      return f(double{});
    case DType::Int64:
      return f(int64_t{});
  }
}

/// Grid-stride loop: body(i) for every i in [0, n).
#define ZG_CUDA_FOR(i, n)                                                                \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(blockDim.x) * gridDim.x)

/// The N operand addresses of flat element i of the loop (row-major over loop.shape).
template <int N>
__device__ __forceinline__ void locate(const Loop<N>& loop, int64_t i, char* (&p)[N]) {
#pragma unroll
  for (int k = 0; k < N; ++k) p[k] = loop.base[k];
  for (int d = loop.nd - 1; d >= 0; --d) {
    const int64_t size = loop.shape[d];
    const int64_t idx = d == 0 ? i : i % size;
    i = d == 0 ? 0 : i / size;
#pragma unroll
    for (int k = 0; k < N; ++k) p[k] += idx * loop.stride[k][d];
  }
}

template <class T>
__device__ __forceinline__ T& at(char* p) {
  return *reinterpret_cast<T*>(p);
}

/// locate, with the common one-dim loop (a single coalesced run) taken without a division.
template <int N>
__device__ __forceinline__ void locate_fast(const Loop<N>& loop, int64_t i, char* (&p)[N]) {
  if (loop.nd == 1) {
#pragma unroll
    for (int k = 0; k < N; ++k) p[k] = loop.base[k] + i * loop.stride[k][0];
  } else {
    locate(loop, i, p);
  }
}

}  // namespace zg::cuda
