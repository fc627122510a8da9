// Winograd F(2×2, 3×3) on one image plane (winograd_planes.h has the plan; the math is at
// the top of tensor/raw_winograd.cpp):  Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],
// Aᵀ = [1 1 1 0; 0 1 −1 −1]. Rows are sorted by parity: tile ty reads even rows ty, ty + 1
// and odd rows ty, ty + 1 of the padded image.
#include <algorithm>

#include "tensor/cpu/winograd_planes.h"

namespace zg::cpu::winograd::f2 {

int64_t input_scratch(const Tiles& t) { return 8 * (t.th + 1) * t.tw; }
int64_t output_scratch(const Tiles& t) { return 4 * t.count(); }

namespace {

// B on one image row: for tile column tx, with (a0, a1, a2, a3) = row[2tx − 1 .. 2tx + 2]
// (0 outside the row), h = (a0 − a2, a1 + a2, a2 − a1, a1 − a3).
template <class T>
void row_transform(T* const h[4], const T* row, int64_t s_w, const Tiles& t) {
  auto at = [&](int64_t x) { return x >= 0 && x < t.w ? row[x * s_w] : T(0); };
  auto edge = [&](int64_t k) {
    const T a0 = at(2 * k - 1), a1 = at(2 * k), a2 = at(2 * k + 1), a3 = at(2 * k + 2);
    h[0][k] = a0 - a2;
    h[1][k] = a1 + a2;
    h[2][k] = a2 - a1;
    h[3][k] = a1 - a3;
  };
  // Tiles whose four columns all lie inside the row: 1 <= tx <= (w − 3) / 2.
  const int64_t lo = std::min<int64_t>(1, t.tw), hi = std::max(lo, (t.w - 1) / 2);
  for (int64_t k = 0; k < lo; ++k) edge(k);
  if (s_w == 1) {
    T *h0 = h[0], *h1 = h[1], *h2 = h[2], *h3 = h[3];
#pragma omp simd simdlen(8)
    for (int64_t k = lo; k < hi; ++k) {
      const T a0 = row[2 * k - 1], a1 = row[2 * k], a2 = row[2 * k + 1], a3 = row[2 * k + 2];
      h0[k] = a0 - a2;
      h1[k] = a1 + a2;
      h2[k] = a2 - a1;
      h3[k] = a1 - a3;
    }
  } else {
    for (int64_t k = lo; k < hi; ++k) edge(k);
  }
  for (int64_t k = hi; k < t.tw; ++k) edge(k);
}

}  // namespace

// v[ξ·vs + t] = (Bᵀ d B)[ξ] for the 4×4 tile d of every tile t of one plane. buf holds
// 8·(th + 1)·tw elements: the row transforms of padded rows p = 0 .. 2·th + 1 (image row
// p − 1), even p in `even`, odd p in `odd`, th + 1 rows of tw each.
template <class T>
void input_plane(T* v, int64_t vs, const T* src, int64_t s_h, int64_t s_w, const Tiles& t, T* buf) {
  const int64_t size = (t.th + 1) * t.tw;
  T *even[4], *odd[4];
  for (int b = 0; b < 4; ++b) {
    even[b] = buf + 2 * b * size;
    odd[b] = even[b] + size;
  }
  for (int64_t p = 0; p < 2 * (t.th + 1); ++p) {
    T* h[4];
    for (int b = 0; b < 4; ++b) h[b] = (p % 2 ? odd[b] : even[b]) + (p / 2) * t.tw;
    const int64_t y = p - 1;
    if (y >= 0 && y < t.h) {
      row_transform(h, src + y * s_h, s_w, t);
    } else {
      for (T* r : h) std::fill(r, r + t.tw, T(0));
    }
  }
  // Bᵀ down the columns: rows (d0, d1, d2, d3) of tile t are even[t], odd[t], even[t + tw],
  // odd[t + tw]; (d0 − d2, d1 + d2, d2 − d1, d1 − d3) go to ξ = 4a + b for a = 0 .. 3.
  for (int b = 0; b < 4; ++b) {
    const T *e0 = even[b], *o0 = odd[b], *e1 = even[b] + t.tw, *o1 = odd[b] + t.tw;
    T *v0 = v + b * vs, *v1 = v0 + 4 * vs, *v2 = v1 + 4 * vs, *v3 = v2 + 4 * vs;
#pragma omp simd
    for (int64_t k = 0; k < t.count(); ++k) {
      v0[k] = e0[k] - e1[k];
      v1[k] = o0[k] + e1[k];
      v2[k] = e1[k] - o0[k];
      v3[k] = o0[k] - o1[k];
    }
  }
}

// out tile t = Aᵀ m_t A (+ bias), one plane; m[ξ·ms + t]. buf holds 4·T elements.
template <class T>
void output_plane(T* dst, int64_t s_h, int64_t s_w, const T* m, int64_t ms, T bias, const Tiles& t,
                  T* buf) {
  const int64_t n = t.count();
  T* y[4] = {buf, buf + n, buf + 2 * n, buf + 3 * n};  // the tiles' (r, c) = 00, 01, 10, 11
  T *y00 = y[0], *y01 = y[1], *y10 = y[2], *y11 = y[3];
  const T* p[16];
  for (int x = 0; x < 16; ++x) p[x] = m + x * ms;
#pragma omp simd
  for (int64_t k = 0; k < n; ++k) {
    T s0[4], s1[4];  // A on the columns of row a: (m0 + m1 + m2, m1 − m2 − m3)
    for (int a = 0; a < 4; ++a) {
      s0[a] = p[4 * a][k] + p[4 * a + 1][k] + p[4 * a + 2][k];
      s1[a] = p[4 * a + 1][k] - p[4 * a + 2][k] - p[4 * a + 3][k];
    }
    y00[k] = s0[0] + s0[1] + s0[2] + bias;  // Aᵀ on the rows
    y01[k] = s1[0] + s1[1] + s1[2] + bias;
    y10[k] = s0[1] - s0[2] - s0[3] + bias;
    y11[k] = s1[1] - s1[2] - s1[3] + bias;
  }
  for (int64_t row = 0; row < t.h; ++row) {
    T* out = dst + row * s_h;
    const int64_t first = (row / 2) * t.tw;
    const T *even = y[2 * (row % 2)] + first, *odd = y[2 * (row % 2) + 1] + first;
    const int64_t pairs = t.w / 2;
    if (s_w == 1) {
#pragma omp simd simdlen(8)
      for (int64_t k = 0; k < pairs; ++k) {
        out[2 * k] = even[k];
        out[2 * k + 1] = odd[k];
      }
    } else {
      for (int64_t k = 0; k < pairs; ++k) {
        out[2 * k * s_w] = even[k];
        out[(2 * k + 1) * s_w] = odd[k];
      }
    }
    if (t.w % 2) out[(t.w - 1) * s_w] = even[pairs];
  }
}

// The adjoint of output_plane (no bias): m_t = A g_t Aᵀ, g zero outside the image. buf
// holds 4·T elements.
template <class T>
void output_adjoint_plane(T* m, int64_t ms, const T* src, int64_t s_h, int64_t s_w, const Tiles& t,
                          T* buf) {
  const int64_t n = t.count();
  T* g[4] = {buf, buf + n, buf + 2 * n, buf + 3 * n};       // the tiles' (r, c) = 00, 01, 10, 11
  if (t.h % 2) std::fill(g[2] + n - t.tw, g[2] + n, T(0));  // the row below the image
  if (t.h % 2) std::fill(g[3] + n - t.tw, g[3] + n, T(0));
  for (int64_t row = 0; row < t.h; ++row) {
    const T* in = src + row * s_h;
    const int64_t first = (row / 2) * t.tw;
    T *even = g[2 * (row % 2)] + first, *odd = g[2 * (row % 2) + 1] + first;
    const int64_t pairs = t.w / 2;
    if (s_w == 1) {
#pragma omp simd simdlen(8)
      for (int64_t k = 0; k < pairs; ++k) {
        even[k] = in[2 * k];
        odd[k] = in[2 * k + 1];
      }
    } else {
      for (int64_t k = 0; k < pairs; ++k) {
        even[k] = in[2 * k * s_w];
        odd[k] = in[(2 * k + 1) * s_w];
      }
    }
    if (t.w % 2) {
      even[pairs] = in[(t.w - 1) * s_w];
      odd[pairs] = T(0);
    }
  }
  T* p[16];
  for (int x = 0; x < 16; ++x) p[x] = m + x * ms;
  const T *g00 = g[0], *g01 = g[1], *g10 = g[2], *g11 = g[3];
#pragma omp simd
  for (int64_t k = 0; k < n; ++k) {
    // A on the rows: (y0, y0 + y1, y0 − y1, −y1), then the same on the columns.
    const T ue[4] = {g00[k], g00[k] + g10[k], g00[k] - g10[k], -g10[k]};
    const T uo[4] = {g01[k], g01[k] + g11[k], g01[k] - g11[k], -g11[k]};
    for (int i = 0; i < 4; ++i) {
      p[4 * i][k] = ue[i];
      p[4 * i + 1][k] = ue[i] + uo[i];
      p[4 * i + 2][k] = ue[i] - uo[i];
      p[4 * i + 3][k] = -uo[i];
    }
  }
}

ZG_WINOGRAD_INSTANTIATE(float)
ZG_WINOGRAD_INSTANTIATE(double)

}  // namespace zg::cpu::winograd::f2
