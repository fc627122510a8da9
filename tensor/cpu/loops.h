/// \file
/// Strided N-operand loops for the CPU kernels.
///
/// An elementwise kernel sees only its innermost loop: `inner(ptrs, strides, n)` gets one
/// pointer per operand and byte strides along the innermost (coalesced) dim. Dims that are
/// laid out back to back in every operand are merged first, so a contiguous tensor becomes
/// one long row and the compiler can vectorise the inner loop. Work above `kGrain` elements
/// is split over the OpenMP threads; below it no thread is woken.
#pragma once
#include <omp.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "tensor/geometry.h"
#include "tensor/tensor.h"

namespace zg::cpu {

inline constexpr int64_t kGrain = 32768;

template <class F>
void parallel_for(int64_t begin, int64_t end, int64_t grain, F&& f) {
  int64_t n = end - begin;
  if (n <= 0) return;
  int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
  int64_t chunks = std::min<int64_t>(threads, (n + grain - 1) / grain);
  if (chunks <= 1) {
    f(begin, end);
    return;
  }
#pragma omp parallel num_threads(static_cast <int>(chunks))
  {
    int64_t t = omp_get_thread_num(), c = omp_get_num_threads();
    f(begin + n * t / c, begin + n * (t + 1) / c);
  }
}

/// Runs inner(ptrs, inner_strides, n) over all elements, rows split across threads.
template <size_t N, class F>
void for_each(const Geometry<N>& g, F&& inner, bool parallel = true) {
  if (g.numel == 0) return;
  const int64_t nd = static_cast<int64_t>(g.shape.size());
  std::array<int64_t, N> istr;
  for (size_t k = 0; k < N; ++k) istr[k] = g.strides[k][nd - 1];
  auto run = [&](int64_t begin, int64_t end) {
    std::vector<int64_t> idx(nd);
    for (int64_t d = nd - 1, rem = begin; d >= 0; --d) {
      idx[d] = rem % g.shape[d];
      rem /= g.shape[d];
    }
    int64_t pos = begin;
    while (pos < end) {
      std::array<char*, N> p = g.base;
      for (int64_t d = 0; d < nd; ++d)
        for (size_t k = 0; k < N; ++k) p[k] += idx[d] * g.strides[k][d];
      int64_t n = std::min(g.shape[nd - 1] - idx[nd - 1], end - pos);
      inner(p, istr, n);
      pos += n;
      idx[nd - 1] += n;
      for (int64_t d = nd - 1; d > 0 && idx[d] == g.shape[d]; --d) {
        idx[d] = 0;
        ++idx[d - 1];
      }
    }
  };
  if (parallel)
    parallel_for(0, g.numel, kGrain, run);
  else
    run(0, g.numel);
}

/// The first element of a tensor the CPU backend works on: on kCPU or on kCPU1, the second
/// CPU device, whose tensors the public data_ptr refuses (host code must .to(kCPU) them).
template <class T>
inline T* data(const Tensor& t) {
  return static_cast<T*>(t.impl().storage->data) + t.storage_offset();
}

template <class T>
inline T& at(char* p, int64_t byte_offset) {
  return *reinterpret_cast<T*>(p + byte_offset);
}

}  // namespace zg::cpu
