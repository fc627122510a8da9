// Reductions (sum/max/min over a set of dims), arg-reductions and the fused softmax.
#include <cmath>
#include <limits>

#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/loops.h"
#include "tensor/cpu/vec_math.h"

namespace zg {
using namespace cpu;

namespace {

// A strided sub-space (the reduced dims), coalesced; strides in elements.
struct SubSpace {
  std::vector<int64_t> shape, strides;
  int64_t numel = 1;
  void add(int64_t size, int64_t stride) {
    if (size == 1) return;
    if (!shape.empty() && strides.back() == stride * size) {
      shape.back() *= size;
      strides.back() = stride;
    } else {
      shape.push_back(size);
      strides.push_back(stride);
    }
    numel *= size;
  }
  // Offset (in elements) of linear index i.
  int64_t offset(int64_t i) const {
    int64_t off = 0;
    for (size_t d = shape.size(); d-- > 0;) {
      off += (i % shape[d]) * strides[d];
      i /= shape[d];
    }
    return off;
  }
};

template <class T>
using acc_t = std::conditional_t<std::is_same_v<T, float>, double, T>;

// Folds elements [begin, end) of `space` rooted at p into acc.
template <ReduceOp kOp, class T, class A>
A fold(const T* p, const SubSpace& space, int64_t begin, int64_t end, A acc) {
  if (space.shape.empty()) return kOp == ReduceOp::Sum ? acc + A(*p) : (begin < end ? A(*p) : acc);
  const int64_t nd = space.shape.size(), inner = space.shape[nd - 1], s = space.strides[nd - 1];
  // A sum over unit-stride rows keeps kLanes partial sums across all of them and adds them
  // up once at the end: the rows are often short (a 7×7 plane is 49 elements), and adding
  // up a vector's lanes after every row cost as much as the row itself.
  constexpr int kLanes = 16;
  A lanes[kLanes] = {};
  int64_t pos = begin;
  while (pos < end) {
    int64_t col = pos % inner, n = std::min(inner - col, end - pos);
    const T* row = p + space.offset(pos);
    if constexpr (kOp == ReduceOp::Sum) {
      if (s == 1) {
        int64_t i = 0;
        for (; i + kLanes <= n; i += kLanes)
#pragma omp simd
          for (int l = 0; l < kLanes; ++l) lanes[l] += A(row[i + l]);
        for (; i < n; ++i) acc += A(row[i]);
      } else {
        for (int64_t i = 0; i < n; ++i) acc += A(row[i * s]);
      }
    } else {
      for (int64_t i = 0; i < n; ++i) {
        A x = A(row[i * s]);
        // NaN wins, as in torch.max.
        if (kOp == ReduceOp::Max ? (x > acc || x != x) : (x < acc || x != x)) acc = x;
      }
    }
    pos += n;
  }
  if constexpr (kOp == ReduceOp::Sum)
    for (int l = 0; l < kLanes; ++l) acc += lanes[l];
  return acc;
}

template <ReduceOp kOp, class T>
void reduce_typed(const Tensor& out, const Tensor& in, const std::vector<bool>& reduced) {
  using A = acc_t<T>;
  const A init = kOp == ReduceOp::Sum   ? A(0)
                 : kOp == ReduceOp::Max ? std::numeric_limits<A>::lowest()
                                        : std::numeric_limits<A>::max();
  SubSpace kept_in, red;
  std::vector<int64_t> kept_out_strides, kept_shape;
  for (int64_t d = 0; d < in.dim(); ++d) {
    if (in.shape()[d] == 1) continue;
    if (reduced[d]) {
      red.add(in.shape()[d], in.strides()[d]);
    } else {
      kept_shape.push_back(in.shape()[d]);
      kept_in.shape.push_back(in.shape()[d]);
      kept_in.strides.push_back(in.strides()[d]);
      kept_out_strides.push_back(out.strides()[d]);
    }
  }
  const T* ip = data<T>(in);
  T* op = data<T>(out);
  const int64_t n_out = numel_of(kept_shape), n_red = red.numel;
  if (n_out == 1) {  // one output: split the reduction itself across threads
    std::vector<A> partial(omp_get_max_threads() + 1, init);
    std::vector<int> used(partial.size(), 0);
    parallel_for(0, n_red, kGrain, [&](int64_t b, int64_t e) {
      int t = omp_in_parallel() ? omp_get_thread_num() : 0;
      partial[t] = fold<kOp>(ip, red, b, e, init);
      used[t] = 1;
    });
    A acc = init;
    bool any = false;
    for (size_t t = 0; t < partial.size(); ++t) {
      if (!used[t]) continue;
      if (kOp == ReduceOp::Sum)
        acc += partial[t];
      else if (!any || (kOp == ReduceOp::Max ? (partial[t] > acc || partial[t] != partial[t])
                                             : (partial[t] < acc || partial[t] != partial[t])))
        acc = partial[t];
      any = true;
    }
    *op = T(acc);
    return;
  }
  SubSpace kept_out{kept_shape, kept_out_strides, n_out};
  parallel_for(0, n_out, std::max<int64_t>(1, kGrain / std::max<int64_t>(n_red, 1)),
               [&](int64_t b, int64_t e) {
                 for (int64_t o = b; o < e; ++o)
                   op[kept_out.offset(o)] =
                       T(fold<kOp>(ip + kept_in.offset(o), red, 0, n_red, init));
               });
}

}  // namespace

void CpuBackend::reduce(ReduceOp op, const Tensor& out, const Tensor& in,
                        const std::vector<bool>& reduced) {
  visit_dtype(in.dtype(), [&](auto tag) {
    using T = decltype(tag);
    switch (op) {
      case ReduceOp::Sum:
        return reduce_typed<ReduceOp::Sum, T>(out, in, reduced);
      case ReduceOp::Max:
        return reduce_typed<ReduceOp::Max, T>(out, in, reduced);
      case ReduceOp::Min:
        return reduce_typed<ReduceOp::Min, T>(out, in, reduced);
    }
  });
}

void CpuBackend::arg_reduce(ReduceOp op, const Tensor& values, const Tensor& indices,
                            const Tensor& in, int64_t dim) {
  visit_dtype(in.dtype(), [&](auto tag) {
    using T = decltype(tag);
    SubSpace kin, kval, kidx;
    for (int64_t d = 0; d < in.dim(); ++d) {
      if (d == dim) continue;
      for (auto* sp : {&kin, &kval, &kidx}) sp->shape.push_back(in.shape()[d]);
      kin.strides.push_back(in.strides()[d]);
      kval.strides.push_back(values.strides()[d]);
      kidx.strides.push_back(indices.strides()[d]);
    }
    const int64_t n_out = numel_of(kin.shape), len = in.shape()[dim], s = in.strides()[dim];
    const T* ip = data<T>(in);
    T* vp = data<T>(values);
    int64_t* xp = data<int64_t>(indices);
    const bool is_max = op == ReduceOp::Max;
    // Walk the kept dims with a carried multi-index (a div/mod per output would cost more
    // than the comparisons of a short reduced dim, e.g. the 4 of a 2×2 max-pool window).
    const size_t kd = kin.shape.size();
    parallel_for(0, n_out, std::max<int64_t>(1, kGrain / std::max<int64_t>(len, 1)),
                 [&](int64_t b, int64_t e) {
                   std::vector<int64_t> idx(kd);
                   int64_t rest = b, oi = 0, ov = 0, ox = 0;
                   for (size_t d = kd; d-- > 0;) {
                     idx[d] = rest % kin.shape[d];
                     rest /= kin.shape[d];
                     oi += idx[d] * kin.strides[d];
                     ov += idx[d] * kval.strides[d];
                     ox += idx[d] * kidx.strides[d];
                   }
                   for (int64_t o = b; o < e; ++o) {
                     const T* p = ip + oi;
                     T best = p[0];
                     int64_t arg = 0;
                     for (int64_t i = 1; i < len && best == best; ++i) {
                       T x = p[i * s];
                       if (x != x || (is_max ? x > best : x < best)) best = x, arg = i;
                     }
                     vp[ov] = best;
                     xp[ox] = arg;
                     for (size_t d = kd; d-- > 0;) {  // next output: carry through the dims
                       oi += kin.strides[d], ov += kval.strides[d], ox += kidx.strides[d];
                       if (++idx[d] < kin.shape[d]) break;
                       oi -= kin.strides[d] * kin.shape[d];
                       ov -= kval.strides[d] * kin.shape[d];
                       ox -= kidx.strides[d] * kin.shape[d];
                       idx[d] = 0;
                     }
                   }
                 });
  });
}

namespace {

template <class T>
ZG_VM_INLINE T exp_(T x) {
  if constexpr (std::is_same_v<T, float>) return vm::exp(x);
  return std::exp(x);
}

// One contiguous row: max, then e^(x - max) written to y and summed (in double for float),
// then scaled; log_softmax writes (x - max) - log(sum) instead.
template <class T>
void softmax_row(const T* __restrict x, T* __restrict y, int64_t len, bool log) {
  T m = -std::numeric_limits<T>::infinity();
#pragma omp simd reduction(max : m)
  for (int64_t i = 0; i < len; ++i) m = x[i] > m ? x[i] : m;  // NaN propagates via the sum
  if (!std::isfinite(m)) m = 0;                               // all -inf row: keep exp() finite
  acc_t<T> sum = 0;
  if (log) {
#pragma omp simd reduction(+ : sum)
    for (int64_t i = 0; i < len; ++i) sum += exp_(x[i] - m);
    const T log_sum = T(std::log(sum));  // (x - m) - log(sum), as in the strided path
#pragma omp simd
    for (int64_t i = 0; i < len; ++i) y[i] = (x[i] - m) - log_sum;
  } else {
#pragma omp simd reduction(+ : sum)
    for (int64_t i = 0; i < len; ++i) {
      const T e = exp_(x[i] - m);
      y[i] = e;
      sum += e;
    }
    const T inv = T(1 / sum);
#pragma omp simd
    for (int64_t i = 0; i < len; ++i) y[i] *= inv;
  }
}

}  // namespace

void CpuBackend::softmax(const Tensor& out, const Tensor& in, int64_t dim, bool log) {
  visit_dtype(in.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      int64_t outer = 1, inner = 1, len = in.shape()[dim];
      for (int64_t d = 0; d < dim; ++d) outer *= in.shape()[d];
      for (int64_t d = dim + 1; d < in.dim(); ++d) inner *= in.shape()[d];
      const T* ip = data<T>(in);
      T* op = data<T>(out);
      parallel_for(0, outer * inner, std::max<int64_t>(1, kGrain / std::max<int64_t>(len, 1)),
                   [&](int64_t b, int64_t e) {
                     if (inner == 1) {
                       for (int64_t r = b; r < e; ++r)
                         softmax_row(ip + r * len, op + r * len, len, log);
                       return;
                     }
                     for (int64_t r = b; r < e; ++r) {
                       int64_t base = (r / inner) * len * inner + r % inner;
                       const T* x = ip + base;
                       T* y = op + base;
                       T m = -std::numeric_limits<T>::infinity();
                       for (int64_t i = 0; i < len; ++i) m = std::max(m, x[i * inner]);
                       if (!std::isfinite(m)) m = 0;  // all -inf row: keep exp() finite
                       acc_t<T> sum = 0;
                       for (int64_t i = 0; i < len; ++i) sum += exp_(x[i * inner] - m);
                       if (log) {
                         // (x - m) - log(sum): adding m back first would round the
                         // large log-sum-exp to T and lose the small differences.
                         T log_sum = T(std::log(sum));
                         for (int64_t i = 0; i < len; ++i)
                           y[i * inner] = (x[i * inner] - m) - log_sum;
                       } else {
                         T inv = T(1 / sum);
                         for (int64_t i = 0; i < len; ++i)
                           y[i * inner] = exp_(x[i * inner] - m) * inv;
                       }
                     }
                   });
    }
  });
}

}  // namespace zg
