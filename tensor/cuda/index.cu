// gather and scatter_add along a dim on the GPU. The host hands over loops over index's shape
// in which the indexed operand has stride 0 along the dim (tensor/cpu/index.cpp builds the
// same views), so each element only adds index·step to that operand's address. scatter_add
// adds atomically, since two sources may land on one output; the order of those additions,
// and so the last bits of a float sum, is not fixed, unlike the CPU's serial loop.
#include <cstdint>
#include <type_traits>

#include "tensor/cuda/kernels.h"
#include "tensor/cuda/loop.cuh"

namespace zg::cuda {
namespace {

/// Operands (out, in0, index): out = in0[index·step], step in elements.
template <class T>
__global__ void gather_kernel(const Loop<3> loop, int64_t step) {
  ZG_CUDA_FOR(i, loop.numel) {
    char* p[3];
    locate_fast(loop, i, p);
    const int64_t index = at<int64_t>(p[2]);
    at<T>(p[0]) = reinterpret_cast<const T*>(p[1])[index * step];
  }
}

/// *address += value atomically; int64 through the unsigned 64-bit atomicAdd (two's
/// complement addition is the same operation).
template <class T>
__device__ __forceinline__ void atomic_add(T* address, T value) {
  if constexpr (std::is_same_v<T, int64_t>) {
    static_assert(sizeof(int64_t) == sizeof(unsigned long long));
    atomicAdd(reinterpret_cast<unsigned long long*>(address),
              static_cast<unsigned long long>(value));
  } else {
    atomicAdd(address, value);
  }
}

/// Operands (out0, src, index): out0[index·step] += src, step in elements.
template <class T>
__global__ void scatter_add_kernel(const Loop<3> loop, int64_t step) {
  ZG_CUDA_FOR(i, loop.numel) {
    char* p[3];
    locate_fast(loop, i, p);
    const int64_t index = at<int64_t>(p[2]);
    atomic_add(reinterpret_cast<T*>(p[0]) + index * step, at<T>(p[1]));
  }
}

}  // namespace

void gather(const Loop<3>& loop, DType dtype, int64_t step) {
  if (loop.numel == 0) return;
  dispatch(dtype, [&](auto tag) {
    gather_kernel<decltype(tag)><<<grid_for(loop.numel), kBlock>>>(loop, step);
  });
  check_launch("cuda gather");
}

void scatter_add(const Loop<3>& loop, DType dtype, int64_t step) {
  if (loop.numel == 0) return;
  dispatch(dtype, [&](auto tag) {
    scatter_add_kernel<decltype(tag)><<<grid_for(loop.numel), kBlock>>>(loop, step);
  });
  check_launch("cuda scatter_add");
}

}  // namespace zg::cuda
