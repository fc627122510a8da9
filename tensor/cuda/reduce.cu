// Reductions, arg-reductions, moments and softmax: the kernels of tensor/cuda/kernels.h that
// fold a slice of elements per output.
//
// One kernel shape serves every fold: a group of kGroup threads per output, striding over
// its slice, then combining the group's partial results.
//  - kGroup = 1 (one thread per output, a serial walk): short slices, and slices strided
//    across memory while the outputs are adjacent (the threads of a warp then read adjacent
//    elements);
//  - kGroup = 32 (a warp per output, combined by shuffles): slices of moderate length;
//  - kGroup = kBlock (a block per output, shuffles then shared memory): long slices.
// reduce and arg_reduce have a fourth way for a few outputs with very long slices (a loss,
// a gradient's norm): each slice is split over several blocks, which leave their partials in
// a static scratch; the last block of an output to finish (a ticket counter, as in CUDA's
// threadFenceReduction sample) combines them in a fixed order, so the sum is deterministic.
//
// Max and Min carry the index of the element they hold and combine by (NaN first, then the
// extreme value, then the smaller index): whatever order the group meets the elements in,
// the result is the CPU's sequential one, the first NaN or else the first extreme element
// (which also decides between −0 and +0). One difference: the CPU's reduce starts Max (Min)
// from the lowest (highest) finite value, so a float64 slice of only −inf (+inf) gives ∓DBL_MAX
// there and ∓inf here. Sums accumulate in double (int64 for int64), in a tree, so they may
// differ from the CPU's sequential sums in the last bits.
//
// moments (two passes per output: the means, then the centred products, all in double) and
// softmax (max, Σ exp in double, then the outputs) use the groups of 1, 32 or kBlock threads,
// with the group's result broadcast between passes; they have no split path.
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "tensor/cuda/loop.cuh"

namespace zg::cuda {
namespace {

constexpr int kWarp = 32;
constexpr unsigned kFullMask = 0xffffffffu;

// Slices up to this long get a thread each; up to kWarpSlice a warp each.
constexpr int64_t kSerialSlice = 32;
constexpr int64_t kWarpSlice = 4096;
// Strided slices (the reduced dims are not the innermost in memory) get a thread each when
// there are this many outputs: their reads are then coalesced across the outputs.
constexpr int64_t kManyOutputs = 8192;
// The split path: at most kFewOutputs outputs, blocks of at least kSplitChunk elements, at
// most kMaxPartials partial results in all.
constexpr int64_t kFewOutputs = 128;
constexpr int64_t kSplitChunk = 16 * kBlock;
constexpr int64_t kMaxPartials = 2048;

template <class T>
__device__ __forceinline__ T load(const char* p) {
  return *reinterpret_cast<const T*>(p);
}

template <class T>
__device__ __forceinline__ bool is_nan(T x) {
  if constexpr (std::is_floating_point_v<T>) return x != x;
  return false;
}

/// Byte offset of flat element i of a loop's operand k, without the base: a reduction's
/// inner loop walks a slice that starts wherever the kept loop puts it. Its div/mod per dim
/// run in 32 bits when the loop allows (a 64-bit division costs several times more).
template <int N>
__device__ __forceinline__ int64_t offset_of(const Loop<N>& loop, int k, int64_t i) {
  if (loop.nd == 1) return i * loop.stride[k][0];
  int64_t off = 0;
  if (loop.numel <= UINT32_MAX) {  // then so is every size and index
    uint32_t rest = static_cast<uint32_t>(i);
    for (int d = loop.nd - 1; d > 0; --d) {
      const uint32_t size = static_cast<uint32_t>(loop.shape[d]);
      off += static_cast<int64_t>(rest % size) * loop.stride[k][d];
      rest /= size;
    }
    return off + static_cast<int64_t>(rest) * loop.stride[k][0];
  }
  for (int d = loop.nd - 1; d > 0; --d) {
    const int64_t size = loop.shape[d];
    off += (i % size) * loop.stride[k][d];
    i /= size;
  }
  return off + i * loop.stride[k][0];
}

// ---- the folds: identity, one element, combine two partials, move a partial in a warp ----

template <class T>
struct SumOf {
  using Elem = T;
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
  static __device__ Acc identity() { return Acc(0); }
  static __device__ Acc element(const char* p, int64_t) { return Acc(load<T>(p)); }
  static __device__ Acc combine(Acc a, Acc b) { return a + b; }
  static __device__ Acc shuffle_down(Acc a, int delta) {
    return __shfl_down_sync(kFullMask, a, delta);
  }
  static __device__ Acc load_partial(const Acc* p) { return __ldcg(p); }
  template <int N>
  static __device__ void store(char* (&p)[N], Acc acc) {
    at<T>(p[0]) = T(acc);
  }
};

/// An element and its flat index in the slice; index kNone: no element yet.
template <class T>
struct Extreme {
  T value;
  int64_t index;
};

template <class T, bool kMax>
struct ExtremeOf {
  using Elem = T;
  using Acc = Extreme<T>;
  static constexpr int64_t kNone = std::numeric_limits<int64_t>::max();
  static __device__ Acc identity() { return {T(0), kNone}; }
  static __device__ Acc element(const char* p, int64_t i) { return {load<T>(p), i}; }
  /// Whether a is the result of folding both: NaN first, then the extreme, then the first.
  static __device__ bool wins(const Acc& a, const Acc& b) {
    if (a.index == kNone || b.index == kNone) return b.index == kNone;
    const bool a_nan = is_nan(a.value), b_nan = is_nan(b.value);
    if (a_nan || b_nan) return a_nan && (!b_nan || a.index < b.index);
    if (a.value != b.value) return kMax ? a.value > b.value : a.value < b.value;
    return a.index < b.index;
  }
  static __device__ Acc combine(const Acc& a, const Acc& b) { return wins(a, b) ? a : b; }
  static __device__ Acc shuffle_down(const Acc& a, int delta) {
    return {__shfl_down_sync(kFullMask, a.value, delta),
            __shfl_down_sync(kFullMask, a.index, delta)};
  }
  static __device__ Acc load_partial(const Acc* p) {
    return {__ldcg(&p->value), __ldcg(&p->index)};
  }
  /// reduce writes the value; arg_reduce (operands values, indices, in) also the index.
  template <int N>
  static __device__ void store(char* (&p)[N], const Acc& acc) {
    at<T>(p[0]) = acc.value;
    if constexpr (N == 3) at<int64_t>(p[1]) = acc.index;
  }
};

/// Softmax's row maximum: NaN is skipped (x > m is false), as the CPU's max loop does.
template <class T>
struct MaxIgnoringNan {
  using Acc = T;
  static __device__ Acc identity() { return -static_cast<T>(INFINITY); }
  static __device__ Acc combine(Acc a, Acc b) { return b > a ? b : a; }
  static __device__ Acc shuffle_down(Acc a, int delta) {
    return __shfl_down_sync(kFullMask, a, delta);
  }
};

/// The two sums of moments' first pass.
struct PairSum {
  struct Acc {
    double a, b;
  };
  static __device__ Acc identity() { return {0.0, 0.0}; }
  static __device__ Acc combine(Acc x, Acc y) { return {x.a + y.a, x.b + y.b}; }
  static __device__ Acc shuffle_down(Acc x, int delta) {
    return {__shfl_down_sync(kFullMask, x.a, delta), __shfl_down_sync(kFullMask, x.b, delta)};
  }
};

// ---- groups of threads per output ----

/// Thread groups of kGroup (1, a warp or the block): which output a group starts at, how
/// many groups the grid has, and the thread's lane in its group.
template <int kGroup>
struct Group {
  static_assert(kGroup == 1 || kGroup == kWarp || kGroup == kBlock);
  int64_t first, count;
  int lane;
  __device__ Group()
      : first((static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / kGroup),
        count(static_cast<int64_t>(gridDim.x) * blockDim.x / kGroup),
        lane(static_cast<int>(threadIdx.x % kGroup)) {}
};

/// Blocks for groups of kGroup threads, one group per output (grid-stride beyond the cap).
template <int kGroup>
unsigned blocks_for(int64_t outputs) {
  return grid_for(outputs * kGroup);
}

/// Combines the partials of a group; the result is complete in the group's lane 0. Every
/// thread of the group must call it (for the block, every thread of the block).
template <class Op, int kGroup>
__device__ typename Op::Acc group_reduce(typename Op::Acc acc) {
  if constexpr (kGroup > 1) {
#pragma unroll
    for (int delta = kWarp / 2; delta > 0; delta /= 2)
      acc = Op::combine(acc, Op::shuffle_down(acc, delta));
  }
  if constexpr (kGroup > kWarp) {
    constexpr int kWarps = kGroup / kWarp;
    __shared__ typename Op::Acc warp_partial[kWarps];
    const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
    __syncthreads();  // the last call's reads of warp_partial are done
    if (lane == 0) warp_partial[warp] = acc;
    __syncthreads();
    if (warp == 0) {
      acc = lane < kWarps ? warp_partial[lane] : Op::identity();
#pragma unroll
      for (int delta = kWarp / 2; delta > 0; delta /= 2)
        acc = Op::combine(acc, Op::shuffle_down(acc, delta));
    }
  }
  return acc;
}

/// Lane 0's v, in every thread of the group.
template <int kGroup, class V>
__device__ V group_broadcast(V v) {
  if constexpr (kGroup == kWarp) {
    return __shfl_sync(kFullMask, v, 0);
  } else if constexpr (kGroup == kBlock) {
    __shared__ V slot;
    __syncthreads();  // the last call's reads of slot are done
    if (threadIdx.x == 0) slot = v;
    __syncthreads();
    return slot;
  } else {
    return v;
  }
}

// ---- reduce and arg_reduce ----

/// One group per output: operands (outputs..., in), the input last.
template <class Op, int N, int kGroup>
__global__ void reduce_kernel(const __grid_constant__ Reduction<N> r) {
  const Group<kGroup> g;
  const int64_t len = r.inner.numel;
  for (int64_t o = g.first; o < r.kept.numel; o += g.count) {
    char* p[N];
    locate(r.kept, o, p);
    typename Op::Acc acc = Op::identity();
    for (int64_t i = g.lane; i < len; i += kGroup)
      acc = Op::combine(acc, Op::element(p[N - 1] + offset_of(r.inner, N - 1, i), i));
    acc = group_reduce<Op, kGroup>(acc);
    if (g.lane == 0) Op::store(p, acc);
  }
}

// The split path's scratch: partials [output, split] and one ticket counter per output, zero
// between launches (the last block of an output resets its counter). One stream, so no two
// launches use them at once.
__device__ __align__(16) unsigned char split_partials[kMaxPartials * 16];
__device__ unsigned split_tickets[kMaxPartials];

/// Block (s, o) folds chunk s of output o's slice; the last block of o folds the partials.
template <class Op, int N>
__global__ void reduce_split_kernel(const __grid_constant__ Reduction<N> r, int64_t chunk) {
  using Acc = typename Op::Acc;
  static_assert(sizeof(Acc) <= 16);
  const int64_t o = blockIdx.y, splits = gridDim.x, s = blockIdx.x;
  const int64_t begin = s * chunk, end = min(begin + chunk, r.inner.numel);
  char* p[N];
  locate(r.kept, o, p);
  Acc acc = Op::identity();
  for (int64_t i = begin + threadIdx.x; i < end; i += kBlock)
    acc = Op::combine(acc, Op::element(p[N - 1] + offset_of(r.inner, N - 1, i), i));
  acc = group_reduce<Op, kBlock>(acc);

  Acc* partials = reinterpret_cast<Acc*>(split_partials) + o * splits;
  __shared__ bool last;
  if (threadIdx.x == 0) {
    partials[s] = acc;
    __threadfence();  // the partial is visible to every block before the ticket is
    last = atomicAdd(&split_tickets[o], 1u) == splits - 1;
  }
  __syncthreads();
  if (!last) return;
  acc = Op::identity();
  for (int64_t k = threadIdx.x; k < splits; k += kBlock)
    acc = Op::combine(acc, Op::load_partial(partials + k));  // from L2: other blocks wrote
  acc = group_reduce<Op, kBlock>(acc);
  if (threadIdx.x == 0) {
    Op::store(p, acc);
    split_tickets[o] = 0;
  }
}

/// Picks the way to fold (see the top of the file) and launches it.
template <class Op, int N>
void launch_reduce(const Reduction<N>& r, const char* what) {
  const int64_t outputs = r.kept.numel, len = r.inner.numel;
  if (outputs == 0) return;
  const bool contiguous_slice =
      r.inner.stride[N - 1][r.inner.nd - 1] == static_cast<int64_t>(sizeof(typename Op::Elem));
  if (len <= kSerialSlice || (!contiguous_slice && outputs >= kManyOutputs)) {
    reduce_kernel<Op, N, 1><<<blocks_for<1>(outputs), kBlock>>>(r);
  } else if (const int64_t splits = std::min((len + kSplitChunk - 1) / kSplitChunk,
                                             kMaxPartials / std::max<int64_t>(outputs, 1));
             outputs <= kFewOutputs && splits >= 2) {
    const int64_t chunk = (len + splits - 1) / splits;
    const dim3 grid(static_cast<unsigned>(splits), static_cast<unsigned>(outputs));
    reduce_split_kernel<Op, N><<<grid, kBlock>>>(r, chunk);
  } else if (len <= kWarpSlice) {
    reduce_kernel<Op, N, kWarp><<<blocks_for<kWarp>(outputs), kBlock>>>(r);
  } else {
    reduce_kernel<Op, N, kBlock><<<blocks_for<kBlock>(outputs), kBlock>>>(r);
  }
  check_launch(what);
}

// ---- moments ----

/// Per output: the means of a and b (pass 1), then the mean of (a − ā)(b − b̄) (pass 2), all
/// in double. kSame: b is a (a variance), read once.
template <class T, int kGroup, bool kSame>
__global__ void moments_kernel(const __grid_constant__ Reduction<5> r) {
  const Group<kGroup> g;
  const int64_t len = r.inner.numel;
  const double n = static_cast<double>(len);
  for (int64_t o = g.first; o < r.kept.numel; o += g.count) {
    char* p[5];  // mean_a, mean_b, cov, a, b
    locate(r.kept, o, p);
    PairSum::Acc sums = PairSum::identity();
    for (int64_t i = g.lane; i < len; i += kGroup) {
      sums.a += static_cast<double>(load<T>(p[3] + offset_of(r.inner, 3, i)));
      if constexpr (!kSame) sums.b += static_cast<double>(load<T>(p[4] + offset_of(r.inner, 4, i)));
    }
    sums = group_reduce<PairSum, kGroup>(sums);
    const double mean_a = group_broadcast<kGroup>(sums.a) / n;
    const double mean_b = kSame ? mean_a : group_broadcast<kGroup>(sums.b) / n;
    double cross = 0;
    for (int64_t i = g.lane; i < len; i += kGroup) {
      const double da = static_cast<double>(load<T>(p[3] + offset_of(r.inner, 3, i))) - mean_a;
      if constexpr (kSame) {
        cross += da * da;
      } else {
        const double db = static_cast<double>(load<T>(p[4] + offset_of(r.inner, 4, i))) - mean_b;
        cross += da * db;
      }
    }
    cross = group_reduce<SumOf<double>, kGroup>(cross);
    if (g.lane == 0) {
      at<T>(p[0]) = static_cast<T>(mean_a);
      at<T>(p[1]) = static_cast<T>(mean_b);
      at<T>(p[2]) = static_cast<T>(cross / n);
    }
  }
}

template <class T, bool kSame>
void launch_moments(const Reduction<5>& r) {
  const int64_t outputs = r.kept.numel, len = r.inner.numel;
  const bool contiguous_slice =
      r.inner.stride[3][r.inner.nd - 1] == static_cast<int64_t>(sizeof(T));
  if (len <= kSerialSlice || (!contiguous_slice && outputs >= kManyOutputs))
    moments_kernel<T, 1, kSame><<<blocks_for<1>(outputs), kBlock>>>(r);
  else if (len <= kWarpSlice)
    moments_kernel<T, kWarp, kSame><<<blocks_for<kWarp>(outputs), kBlock>>>(r);
  else
    moments_kernel<T, kBlock, kSame><<<blocks_for<kBlock>(outputs), kBlock>>>(r);
}

// ---- softmax ----

__device__ __forceinline__ float exp_of(float x) { return expf(x); }
__device__ __forceinline__ double exp_of(double x) { return exp(x); }

/// One group per (outer, inner) pair, walking x[o, 0 .. n, j] at a stride of `inner`
/// elements, as the CPU: m = the max (NaN skipped; 0 when not finite, so an all −inf row keeps
/// exp finite), sum = Σ exp(x − m) in double, then (x − m) − T(log sum) for log_softmax and
/// exp(x − m)·T(1 / sum) for softmax.
template <class T, int kGroup>
__global__ void softmax_kernel(char* out, const char* in, int64_t outer, int64_t n, int64_t inner,
                               bool log) {
  const Group<kGroup> g;
  for (int64_t r = g.first; r < outer * inner; r += g.count) {
    const int64_t first = (r / inner) * n * inner + r % inner;
    const T* x = reinterpret_cast<const T*>(in) + first;
    T* y = reinterpret_cast<T*>(out) + first;
    T m = MaxIgnoringNan<T>::identity();
    for (int64_t i = g.lane; i < n; i += kGroup) m = MaxIgnoringNan<T>::combine(m, x[i * inner]);
    m = group_broadcast<kGroup>(group_reduce<MaxIgnoringNan<T>, kGroup>(m));
    if (!isfinite(m)) m = 0;
    double sum = 0;
    for (int64_t i = g.lane; i < n; i += kGroup)
      sum += static_cast<double>(exp_of(x[i * inner] - m));
    sum = group_broadcast<kGroup>(group_reduce<SumOf<double>, kGroup>(sum));
    if (log) {
      const T log_sum = static_cast<T>(::log(sum));
      for (int64_t i = g.lane; i < n; i += kGroup) y[i * inner] = (x[i * inner] - m) - log_sum;
    } else {
      const T inv = static_cast<T>(1 / sum);
      for (int64_t i = g.lane; i < n; i += kGroup) y[i * inner] = exp_of(x[i * inner] - m) * inv;
    }
  }
}

}  // namespace

void reduce(ReduceOp op, const Reduction<2>& r, DType dtype) {
  dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    switch (op) {
      case ReduceOp::Sum:
        return launch_reduce<SumOf<T>>(r, "cuda reduce");
      case ReduceOp::Max:
        return launch_reduce<ExtremeOf<T, true>>(r, "cuda reduce");
      case ReduceOp::Min:
        return launch_reduce<ExtremeOf<T, false>>(r, "cuda reduce");
    }
  });
}

void arg_reduce(ReduceOp op, const Reduction<3>& r, DType dtype) {
  if (r.inner.numel == 0) return;  // the caller rejects empty dims: no element to point at
  dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    if (op == ReduceOp::Min)
      launch_reduce<ExtremeOf<T, false>>(r, "cuda arg_reduce");
    else
      launch_reduce<ExtremeOf<T, true>>(r, "cuda arg_reduce");
  });
}

void moments(const Reduction<5>& r, DType dtype) {
  if (r.kept.numel == 0) return;
  dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      // b is a (same base and strides): a variance, which reads one operand.
      bool same = r.kept.base[3] == r.kept.base[4];
      for (int d = 0; d < r.kept.nd; ++d) same = same && r.kept.stride[3][d] == r.kept.stride[4][d];
      for (int d = 0; d < r.inner.nd; ++d)
        same = same && r.inner.stride[3][d] == r.inner.stride[4][d];
      if (same)
        launch_moments<T, true>(r);
      else
        launch_moments<T, false>(r);
      check_launch("cuda moments");
    }
  });
}

void softmax(char* out, const char* in, int64_t outer, int64_t n, int64_t inner, DType dtype,
             bool log) {
  const int64_t rows = outer * inner;
  if (rows == 0 || n == 0) return;
  dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      // A group per row when its elements are adjacent (inner == 1) or the rows are too few
      // to fill the GPU; otherwise a thread per row, and a warp's threads read adjacent
      // elements.
      const bool grouped = inner == 1 || rows < kManyOutputs;
      if (grouped && n > kWarpSlice)
        softmax_kernel<T, kBlock>
            <<<blocks_for<kBlock>(rows), kBlock>>>(out, in, outer, n, inner, log);
      else if (grouped && n > kSerialSlice)
        softmax_kernel<T, kWarp>
            <<<blocks_for<kWarp>(rows), kBlock>>>(out, in, outer, n, inner, log);
      else
        softmax_kernel<T, 1><<<blocks_for<1>(rows), kBlock>>>(out, in, outer, n, inner, log);
      check_launch("cuda softmax");
    }
  });
}

}  // namespace zg::cuda
