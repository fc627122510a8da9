// The normalisation primitives: per-slice moments (two passes: means, then centred
// products) and the fused elementwise out = a·s + b·t + c.
#include <algorithm>
#include <type_traits>

#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/loops.h"

namespace zg {
using namespace cpu;

namespace {

template <class T>
using acc_t = std::conditional_t<std::is_same_v<T, float>, double, T>;

// Dims iterated jointly by several strided operands (strides in elements), coalesced where
// every operand allows it.
template <size_t K>
struct Space {
  std::vector<int64_t> shape;
  std::array<std::vector<int64_t>, K> strides;
  int64_t numel = 1;
  void add(int64_t size, const std::array<int64_t, K>& st) {
    if (size == 1) return;
    numel *= size;
    bool merge = !shape.empty();
    for (size_t k = 0; k < K && merge; ++k) merge = strides[k].back() == st[k] * size;
    if (merge) {
      shape.back() *= size;
      for (size_t k = 0; k < K; ++k) strides[k].back() = st[k];
      return;
    }
    shape.push_back(size);
    for (size_t k = 0; k < K; ++k) strides[k].push_back(st[k]);
  }
  int64_t offset(int64_t i, size_t k) const {
    int64_t off = 0;
    for (size_t d = shape.size(); d-- > 0;) {
      off += (i % shape[d]) * strides[k][d];
      i /= shape[d];
    }
    return off;
  }
};

// Pairwise sum of L lanes (log₂ L vector adds; a simd reduction clause compiles to a serial
// chain of scalar adds here).
template <class T, int L>
[[gnu::always_inline]] inline T tree_sum(T* v) {
  for (int w = L / 2; w > 0; w /= 2)
    for (int l = 0; l < w; ++l) v[l] += v[l + w];
  return v[0];
}

// A sum kept in L vector lanes of T across many short rows (a BatchNorm slice is N rows of
// H·W, often 49): one horizontal reduction per slice instead of per row, and the lanes are
// folded into acc_t<T> (double for float32) every kFlush elements, so float32 partial sums
// stay short (≤ kFlush / L terms per lane and in the tail).
template <class T>
struct LaneSum {
  static constexpr int L = 32 / sizeof(T);
  static constexpr int64_t kFlush = 4096;
  alignas(64) T lanes[L] = {};
  T tail = 0;  // row tails: kept out of the lanes (see row_moments)
  acc_t<T> total = 0;
  int64_t pending = 0, tail_n = 0;
  // Adds f(0) + ... + f(n - 1).
  template <class F>
  void add(int64_t n, F&& f) {
    int64_t i = 0;
    for (; i + L <= n; i += L) {
#pragma omp simd
      for (int l = 0; l < L; ++l) lanes[l] += f(i + l);
    }
    tail_n += n - i;
    for (; i < n; ++i) tail += f(i);
    if ((pending += n) >= kFlush || tail_n >= kFlush / L) flush();
  }
  void flush() {
    total += acc_t<T>(tree_sum<T, L>(lanes)) + acc_t<T>(tail);
    for (int l = 0; l < L; ++l) lanes[l] = 0;
    tail = 0;
    pending = tail_n = 0;
  }
  acc_t<T> value() {
    flush();
    return total;
  }
};

// Calls f(row_a, row_b) at the start of every innermost row of a reduced space (operands 0
// and 1), stepping the outer dims like an odometer.
template <class T, class F>
void for_rows(const Space<2>& red, const T* pa, const T* pb, F&& f) {
  const int64_t nd = static_cast<int64_t>(red.shape.size());
  if (nd <= 1) return f(pa, pb);
  std::vector<int64_t> idx(nd - 1, 0);
  int64_t oa = 0, ob = 0;
  while (true) {
    f(pa + oa, pb + ob);
    int64_t d = nd - 2;
    for (; d >= 0; --d) {
      oa += red.strides[0][d];
      ob += red.strides[1][d];
      if (++idx[d] < red.shape[d]) break;
      oa -= red.strides[0][d] * red.shape[d];
      ob -= red.strides[1][d] * red.shape[d];
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

// One contiguous row, short enough to sit in L1 and to sum in T lanes without loss (a
// GroupNorm group or cell, a LayerNorm row): both sums in one loop, then the centred
// products. Writes mean(a), mean(b) and the covariance.
constexpr int64_t kShortRow = 4096;

template <class T>
[[gnu::always_inline]] inline void row_moments(const T* __restrict a, const T* __restrict b,
                                               int64_t n, bool same, T* out) {
  constexpr int L = 32 / sizeof(T);  // one 256-bit vector: short rows waste less on tails
  // The tails go to scalars, never into the lane arrays: a scalar store into a vector that
  // is then reloaded whole stalls store forwarding, which cost more than the sums themselves
  // on 49-element rows.
  const int64_t body = n - n % L;
  T sa = 0, sb = 0;
  {
    alignas(64) T la[L] = {}, lb[L] = {};
    for (int64_t i = 0; i < body; i += L) {
#pragma omp simd
      for (int l = 0; l < L; ++l) la[l] += a[i + l], lb[l] += b[i + l];
    }
    sa = tree_sum<T, L>(la), sb = tree_sum<T, L>(lb);
  }
  for (int64_t i = body; i < n; ++i) sa += a[i], sb += b[i];
  const T inv_n = T(1) / T(n);
  const T ma = sa * inv_n, mb = same ? ma : sb * inv_n;
  T sc = 0;
  {
    alignas(64) T lc[L] = {};
    for (int64_t i = 0; i < body; i += L) {
#pragma omp simd
      for (int l = 0; l < L; ++l) lc[l] += (a[i + l] - ma) * (b[i + l] - mb);
    }
    sc = tree_sum<T, L>(lc);
  }
  for (int64_t i = body; i < n; ++i) sc += (a[i] - ma) * (b[i] - mb);
  out[0] = ma, out[1] = mb, out[2] = sc * inv_n;
}

template <class T>
void moments_typed(const Tensor& mean_a, const Tensor& mean_b, const Tensor& cov, const Tensor& a,
                   const Tensor& b, const std::vector<bool>& reduced) {
  using A = acc_t<T>;
  // Same storage, offset and strides: the variance, which reads one operand.
  const bool same = a.impl().storage == b.impl().storage &&
                    a.storage_offset() == b.storage_offset() && a.strides() == b.strides();
  Space<5> kept;  // a, b, mean_a, mean_b, cov
  Space<2> red;   // a, b
  for (int64_t d = 0; d < a.dim(); ++d) {
    if (reduced[d])
      red.add(a.shape()[d], {a.strides()[d], b.strides()[d]});
    else
      kept.add(a.shape()[d], {a.strides()[d], b.strides()[d], mean_a.strides()[d],
                              mean_b.strides()[d], cov.strides()[d]});
  }
  const T* ap = data<T>(a);
  const T* bp = data<T>(b);
  T* map = data<T>(mean_a);
  T* mbp = data<T>(mean_b);
  T* cp = data<T>(cov);
  const int64_t n_red = red.numel;
  const size_t nd = red.shape.size();
  const int64_t inner = nd ? red.shape[nd - 1] : 1;
  const int64_t sa = nd ? red.strides[0][nd - 1] : 1, sb = nd ? red.strides[1][nd - 1] : 1;
  // A slice that is one short contiguous row (GroupNorm, LayerNorm) takes row_moments; a
  // slice of many rows (BatchNorm: N rows of H·W) is summed across rows in vector lanes.
  const bool one_short_row = nd <= 1 && sa == 1 && sb == 1 && inner <= kShortRow;

  // Writes the three statistics of the slice rooted at (pa, pb) into r.
  auto slice = [&](const T* pa, const T* pb, T* r) {
    if (one_short_row) return row_moments(pa, pb, inner, same, r);
    // Long or strided rows: two passes over the whole slice, sums kept in vector lanes.
    LaneSum<T> sum_a, sum_b, cross;
    const bool contiguous = sa == 1 && sb == 1;
    for_rows(red, pa, pb, [&](const T* ra, const T* rb) {
      if (contiguous) {
        sum_a.add(inner, [ra](int64_t i) { return ra[i]; });
        if (!same) sum_b.add(inner, [rb](int64_t i) { return rb[i]; });
      } else {
        sum_a.add(inner, [ra, sa](int64_t i) { return ra[i * sa]; });
        if (!same) sum_b.add(inner, [rb, sb](int64_t i) { return rb[i * sb]; });
      }
    });
    const T ma = T(sum_a.value() / A(n_red));
    const T mb = same ? ma : T(sum_b.value() / A(n_red));
    for_rows(red, pa, pb, [&](const T* ra, const T* rb) {
      if (contiguous)
        cross.add(inner, [=](int64_t i) { return (ra[i] - ma) * (rb[i] - mb); });
      else
        cross.add(inner, [=](int64_t i) { return (ra[i * sa] - ma) * (rb[i * sb] - mb); });
    });
    r[0] = ma, r[1] = mb, r[2] = T(cross.value() / A(n_red));
  };

  parallel_for(0, kept.numel, std::max<int64_t>(1, kGrain / std::max<int64_t>(n_red, 1)),
               [&](int64_t begin, int64_t end) {
                 // Output offsets advance like an odometer (no divisions per slice).
                 const int64_t kd = static_cast<int64_t>(kept.shape.size());
                 std::vector<int64_t> idx(kd);
                 for (int64_t d = kd - 1, rem = begin; d >= 0; --d) {
                   idx[d] = rem % kept.shape[d];
                   rem /= kept.shape[d];
                 }
                 std::array<int64_t, 5> off{};
                 for (size_t k = 0; k < 5; ++k) off[k] = kept.offset(begin, k);
                 for (int64_t o = begin; o < end; ++o) {
                   T r[3];
                   slice(ap + off[0], bp + off[1], r);
                   map[off[2]] = r[0], mbp[off[3]] = r[1], cp[off[4]] = r[2];
                   for (int64_t d = kd - 1; d >= 0; --d) {
                     for (size_t k = 0; k < 5; ++k) off[k] += kept.strides[k][d];
                     if (++idx[d] < kept.shape[d]) break;
                     for (size_t k = 0; k < 5; ++k) off[k] -= kept.strides[k][d] * kept.shape[d];
                     idx[d] = 0;
                   }
                 }
               });
}

// out = a·s (+ b·t) + c over one row. The common layouts get their own vectorised loops:
// per-channel coefficients constant along the row (BatchNorm/GroupNorm), or everything
// contiguous (LayerNorm's elementwise affine, BatchNorm1d on [N, C]).
template <class T, bool kTwo, size_t N>
void affine_row(const std::array<char*, N>& p, const std::array<int64_t, N>& s, int64_t n) {
  constexpr int64_t e = sizeof(T);
  T* out = reinterpret_cast<T*>(p[0]);
  const T* a = reinterpret_cast<const T*>(p[1]);
  const T* sc = reinterpret_cast<const T*>(p[2]);
  const T* c = reinterpret_cast<const T*>(p[N - 1]);
  if constexpr (kTwo) {
    const T* b = reinterpret_cast<const T*>(p[3]);
    const T* t = reinterpret_cast<const T*>(p[4]);
    const bool data_contig = s[0] == e && s[1] == e && s[3] == e;
    if (data_contig && s[2] == 0 && s[4] == 0 && s[5] == 0) {
      const T sv = *sc, tv = *t, cv = *c;
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) out[i] = a[i] * sv + b[i] * tv + cv;
    } else if (data_contig && s[2] == e && s[4] == e && s[5] == e) {
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) out[i] = a[i] * sc[i] + b[i] * t[i] + c[i];
    } else {
      for (int64_t i = 0; i < n; ++i)
        at<T>(p[0], i * s[0]) = at<T>(p[1], i * s[1]) * at<T>(p[2], i * s[2]) +
                                at<T>(p[3], i * s[3]) * at<T>(p[4], i * s[4]) +
                                at<T>(p[5], i * s[5]);
    }
  } else {
    const bool data_contig = s[0] == e && s[1] == e;
    if (data_contig && s[2] == 0 && s[3] == 0) {
      const T sv = *sc, cv = *c;
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) out[i] = a[i] * sv + cv;
    } else if (data_contig && s[2] == e && s[3] == e) {
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) out[i] = a[i] * sc[i] + c[i];
    } else {
      for (int64_t i = 0; i < n; ++i)
        at<T>(p[0], i * s[0]) =
            at<T>(p[1], i * s[1]) * at<T>(p[2], i * s[2]) + at<T>(p[3], i * s[3]);
    }
  }
}

// cpu::for_each for short rows: the same row split, but the operand pointers advance like an
// odometer instead of being rebuilt from the index for every row — on 7×7 feature maps
// (rows of 49) that rebuild was half of the affine pass.
template <size_t N, class F>
void for_rows_of(const Geometry<N>& g, F&& row) {
  if (g.numel == 0) return;
  const int64_t nd = static_cast<int64_t>(g.shape.size()), inner = g.shape[nd - 1];
  std::array<int64_t, N> istr;
  for (size_t k = 0; k < N; ++k) istr[k] = g.strides[k][nd - 1];
  parallel_for(0, g.numel / inner, std::max<int64_t>(1, kGrain / inner), [&](int64_t b, int64_t e) {
    std::vector<int64_t> idx(nd, 0);
    std::array<char*, N> p = g.base;
    for (int64_t d = nd - 2, rem = b; d >= 0; --d) {
      idx[d] = rem % g.shape[d];
      rem /= g.shape[d];
      for (size_t k = 0; k < N; ++k) p[k] += idx[d] * g.strides[k][d];
    }
    for (int64_t r = b; r < e; ++r) {
      row(p, istr, inner);
      for (int64_t d = nd - 2; d >= 0; --d) {
        for (size_t k = 0; k < N; ++k) p[k] += g.strides[k][d];
        if (++idx[d] < g.shape[d]) break;
        for (size_t k = 0; k < N; ++k) p[k] -= g.strides[k][d] * g.shape[d];
        idx[d] = 0;
      }
    }
  });
}

}  // namespace

void CpuBackend::moments(const Tensor& mean_a, const Tensor& mean_b, const Tensor& cov,
                         const Tensor& a, const Tensor& b, const std::vector<bool>& reduced) {
  visit_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) moments_typed<T>(mean_a, mean_b, cov, a, b, reduced);
  });
}

void CpuBackend::affine(const Tensor& out, const Tensor& a, const Tensor& s, const Tensor& b,
                        const Tensor& t, const Tensor& c) {
  visit_dtype(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      if (b.defined())
        for_rows_of(
            make_geometry<6>(out.shape(), {&out, &a, &s, &b, &t, &c}),
            [](const auto& p, const auto& st, int64_t n) { affine_row<T, true>(p, st, n); });
      else
        for_rows_of(
            make_geometry<4>(out.shape(), {&out, &a, &s, &c}),
            [](const auto& p, const auto& st, int64_t n) { affine_row<T, false>(p, st, n); });
    }
  });
}

}  // namespace zg
