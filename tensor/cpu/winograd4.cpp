// Winograd F(4×4, 3×3) on one image plane (winograd_planes.h has the plan; the math is at
// the top of tensor/raw_winograd.cpp). 6×6 input tiles step by 4; rows are sorted by their
// padded row number mod 4, so tile ty reads sorts 0, 1, 2, 3 at row ty and sorts 0, 1 at
// row ty + 1. Per element it does 36/16 = 2.25 multiplies where F(2×2, 3×3) does 4.
#include <algorithm>

#include "tensor/cpu/winograd_planes.h"

namespace zg::cpu::winograd::f4 {

namespace {

// Plain structs rather than arrays, so that the vectoriser keeps the values in registers
// (it gives up on a loop that indexes a local array).
template <class T>
struct Six {
  T v0, v1, v2, v3, v4, v5;
};
template <class T>
struct Four {
  T v0, v1, v2, v3;
};

// Bᵀ on (a0 .. a5): its rows are [4 0 −5 0 1 0], [0 −4 −4 1 1 0], [0 4 −4 −1 1 0],
// [0 −2 −1 2 1 0], [0 2 −1 −2 1 0], [0 4 0 −5 0 1].
template <class T>
inline Six<T> b_transpose(T a0, T a1, T a2, T a3, T a4, T a5) {
  return {T(4) * a0 - T(5) * a2 + a4,   (a3 + a4) - T(4) * (a1 + a2), (a4 - a3) + T(4) * (a1 - a2),
          (a4 - a2) + T(2) * (a3 - a1), (a4 - a2) - T(2) * (a3 - a1), T(4) * a1 - T(5) * a3 + a5};
}

// Aᵀ on (s0 .. s5): its rows are [1 1 1 1 1 0], [0 1 −1 2 −2 0], [0 1 1 4 4 0],
// [0 1 −1 8 −8 1].
template <class T>
inline Four<T> a_transpose(T s0, T s1, T s2, T s3, T s4, T s5) {
  const T p12 = s1 + s2, m12 = s1 - s2, p34 = s3 + s4, m34 = s3 - s4;
  return {s0 + p12 + p34, m12 + T(2) * m34, p12 + T(4) * p34, m12 + T(8) * m34 + s5};
}

// A on (u0 .. u3), the adjoint of a_transpose: A's rows are Aᵀ's columns.
template <class T>
inline Six<T> a_apply(T u0, T u1, T u2, T u3) {
  const T e = u0 + u2, o = u1 + u3, e4 = u0 + T(4) * u2, o4 = T(2) * u1 + T(8) * u3;
  return {u0, e + o, e - o, e4 + o4, e4 - o4, u3};
}

}  // namespace

// buf: 6 transforms × 4 sorts of (th + 1) rows of tw, then the 4·(th + 1) padded rows.
int64_t input_scratch(const Tiles& t) { return 40 * (t.th + 1) * t.tw + 2; }
int64_t output_scratch(const Tiles& t) { return 16 * t.count(); }

template <class T>
void input_plane(T* v, int64_t vs, const T* src, int64_t s_h, int64_t s_w, const Tiles& t, T* buf) {
  const int64_t size = (t.th + 1) * t.tw, pitch = 4 * t.tw;
  // Padded row p (image row p − 1) is kept as row (p mod 4)·(th + 1) + p / 4 of both q (its
  // values) and h (Bᵀ along it): sorted by p mod 4, as the column pass below wants.
  auto sorted_row = [&](int64_t p) { return (p % 4) * (t.th + 1) + p / 4; };
  auto sorted = [&](int b, int64_t p) { return buf + 4 * b * size + sorted_row(p) * t.tw; };
  // q: the padded rows, 4·tw apart, q[row·4tw + x + 1] = image[p − 1][x]. Then tile tx of a
  // row reads q[row·4tw + 4tx .. + 5], i.e. q[4j .. 4j + 5] for j = row·tw + tx: one flat
  // loop over all rows' tiles, where a loop per row would be too short to vectorise (2 to 7
  // tiles on the UNet's images). The price: a row's last tile reads two values past the
  // row (padded columns 4tw and 4tw + 1 fall into the next row), so those tiles are redone.
  T* q = buf + 24 * size;
  std::fill(q, q + 16 * size + 2, T(0));
  const int64_t fits = std::min(t.w, pitch - 1);  // image column 4tw − 1 has no room
  for (int64_t y = 0; y < t.h; ++y) {
    T* dst = q + sorted_row(y + 1) * pitch + 1;
    const T* row = src + y * s_h;
    if (s_w == 1)
      std::copy(row, row + fits, dst);
    else
      for (int64_t x = 0; x < fits; ++x) dst[x] = row[x * s_w];
  }
  T *h0 = sorted(0, 0), *h1 = sorted(1, 0), *h2 = sorted(2, 0), *h3 = sorted(3, 0),
    *h4 = sorted(4, 0), *h5 = sorted(5, 0);
#pragma omp simd
  for (int64_t j = 0; j < 4 * size; ++j) {
    const T* a = q + 4 * j;
    const Six<T> h = b_transpose(a[0], a[1], a[2], a[3], a[4], a[5]);
    h0[j] = h.v0, h1[j] = h.v1, h2[j] = h.v2, h3[j] = h.v3, h4[j] = h.v4, h5[j] = h.v5;
  }
  // Each row's last tile again, from the image: columns 4tw − 5 .. 4tw, 0 outside.
  const int64_t last = t.tw - 1;
  for (int64_t p = 0; p < 4 * t.th + 2; ++p) {
    const int64_t y = p - 1, j = sorted_row(p) * t.tw + last;
    T a[6] = {};
    if (y >= 0 && y < t.h)
      for (int i = 0; i < 6; ++i) {
        const int64_t x = 4 * last - 1 + i;
        if (x >= 0 && x < t.w) a[i] = src[y * s_h + x * s_w];
      }
    const Six<T> h = b_transpose(a[0], a[1], a[2], a[3], a[4], a[5]);
    h0[j] = h.v0, h1[j] = h.v1, h2[j] = h.v2, h3[j] = h.v3, h4[j] = h.v4, h5[j] = h.v5;
  }
  // Bᵀ down the columns, flat over the tiles: rows (d0 .. d5) of tile t are sorts 0 .. 3 at
  // t and sorts 0, 1 at t + tw; the results go to ξ = 6a + b.
  for (int b = 0; b < 6; ++b) {
    const T *d0 = sorted(b, 0), *d1 = sorted(b, 1), *d2 = sorted(b, 2), *d3 = sorted(b, 3),
            *d4 = sorted(b, 4), *d5 = sorted(b, 5);
    T* out[6];
    for (int a = 0; a < 6; ++a) out[a] = v + (6 * a + b) * vs;
    T *v0 = out[0], *v1 = out[1], *v2 = out[2], *v3 = out[3], *v4 = out[4], *v5 = out[5];
#pragma omp simd
    for (int64_t k = 0; k < t.count(); ++k) {
      const Six<T> h = b_transpose(d0[k], d1[k], d2[k], d3[k], d4[k], d5[k]);
      v0[k] = h.v0, v1[k] = h.v1, v2[k] = h.v2, v3[k] = h.v3, v4[k] = h.v4, v5[k] = h.v5;
    }
  }
}

template <class T>
void output_plane(T* dst, int64_t s_h, int64_t s_w, const T* m, int64_t ms, T bias, const Tiles& t,
                  T* buf) {
  const int64_t n = t.count();
  const T* p[36];
  for (int x = 0; x < 36; ++x) p[x] = m + x * ms;
  // Aᵀ m_t A, flat over the tiles, into y[4r + c][t]: A on the columns of each row a, then
  // Aᵀ down each column c.
  T* y[16];
  for (int x = 0; x < 16; ++x) y[x] = buf + x * n;
#pragma omp simd
  for (int64_t k = 0; k < n; ++k) {
    // (k is passed, not captured: a captured loop variable stops the vectoriser.)
    auto row = [&p](int a, int64_t i) {
      return a_transpose(p[6 * a][i], p[6 * a + 1][i], p[6 * a + 2][i], p[6 * a + 3][i],
                         p[6 * a + 4][i], p[6 * a + 5][i]);
    };
    const Four<T> r0 = row(0, k), r1 = row(1, k), r2 = row(2, k), r3 = row(3, k), r4 = row(4, k),
                  r5 = row(5, k);
    const Four<T> c0 = a_transpose(r0.v0, r1.v0, r2.v0, r3.v0, r4.v0, r5.v0);
    const Four<T> c1 = a_transpose(r0.v1, r1.v1, r2.v1, r3.v1, r4.v1, r5.v1);
    const Four<T> c2 = a_transpose(r0.v2, r1.v2, r2.v2, r3.v2, r4.v2, r5.v2);
    const Four<T> c3 = a_transpose(r0.v3, r1.v3, r2.v3, r3.v3, r4.v3, r5.v3);
    y[0][k] = c0.v0 + bias, y[1][k] = c1.v0 + bias, y[2][k] = c2.v0 + bias, y[3][k] = c3.v0 + bias;
    y[4][k] = c0.v1 + bias, y[5][k] = c1.v1 + bias, y[6][k] = c2.v1 + bias, y[7][k] = c3.v1 + bias;
    y[8][k] = c0.v2 + bias, y[9][k] = c1.v2 + bias, y[10][k] = c2.v2 + bias;
    y[11][k] = c3.v2 + bias;
    y[12][k] = c0.v3 + bias, y[13][k] = c1.v3 + bias, y[14][k] = c2.v3 + bias;
    y[15][k] = c3.v3 + bias;
  }
  // Interleave: image row 4ty + r, column 4k + c is y[4r + c][ty·tw + k].
  const int64_t whole = t.w / 4, rest = t.w % 4;
  for (int64_t row = 0; row < t.h; ++row) {
    T* out = dst + row * s_h;
    const T* y = buf + 4 * (row % 4) * n + (row / 4) * t.tw;
    const T *y0 = y, *y1 = y + n, *y2 = y + 2 * n, *y3 = y + 3 * n;
    if (s_w == 1) {
#pragma omp simd
      for (int64_t k = 0; k < whole; ++k) {
        out[4 * k] = y0[k];
        out[4 * k + 1] = y1[k];
        out[4 * k + 2] = y2[k];
        out[4 * k + 3] = y3[k];
      }
    } else {
      for (int64_t k = 0; k < whole; ++k)
        for (int c = 0; c < 4; ++c) out[(4 * k + c) * s_w] = y[c * n + k];
    }
    for (int c = 0; c < rest; ++c) out[(4 * whole + c) * s_w] = y[c * n + whole];
  }
}

template <class T>
void output_adjoint_plane(T* m, int64_t ms, const T* src, int64_t s_h, int64_t s_w, const Tiles& t,
                          T* buf) {
  const int64_t n = t.count();
  // De-interleave g into g[4r + c][t], zero outside the image.
  const int64_t whole = t.w / 4, rest = t.w % 4;
  for (int64_t r = t.h % 4 ? t.h % 4 : 4; r < 4; ++r)  // rows below the image
    for (int c = 0; c < 4; ++c)
      std::fill(buf + (4 * r + c) * n + n - t.tw, buf + (4 * r + c) * n + n, T(0));
  for (int64_t row = 0; row < t.h; ++row) {
    const T* in = src + row * s_h;
    T* g = buf + 4 * (row % 4) * n + (row / 4) * t.tw;
    T *g0 = g, *g1 = g + n, *g2 = g + 2 * n, *g3 = g + 3 * n;
    if (s_w == 1) {
#pragma omp simd
      for (int64_t k = 0; k < whole; ++k) {
        g0[k] = in[4 * k];
        g1[k] = in[4 * k + 1];
        g2[k] = in[4 * k + 2];
        g3[k] = in[4 * k + 3];
      }
    } else {
      for (int64_t k = 0; k < whole; ++k)
        for (int c = 0; c < 4; ++c) g[c * n + k] = in[(4 * k + c) * s_w];
    }
    if (rest)
      for (int c = 0; c < 4; ++c) g[c * n + whole] = c < rest ? in[(4 * whole + c) * s_w] : T(0);
  }
  // m_t = A g_t Aᵀ, flat over the tiles, into m[6i + j][t]: A down each column c of g_t,
  // then A along each row i.
  T* p[36];
  for (int x = 0; x < 36; ++x) p[x] = m + x * ms;
  const T* g[16];
  for (int x = 0; x < 16; ++x) g[x] = buf + x * n;
#pragma omp simd
  for (int64_t k = 0; k < n; ++k) {
    // (k is passed, not captured: a captured loop variable stops the vectoriser.)
    auto column = [&g](int c, int64_t i) {
      return a_apply(g[c][i], g[4 + c][i], g[8 + c][i], g[12 + c][i]);
    };
    const Six<T> z0 = column(0, k), z1 = column(1, k), z2 = column(2, k), z3 = column(3, k);
    auto store = [&p](int i, int64_t at, const Six<T>& r) {
      T* const* row = p + 6 * i;
      row[0][at] = r.v0, row[1][at] = r.v1, row[2][at] = r.v2, row[3][at] = r.v3;
      row[4][at] = r.v4, row[5][at] = r.v5;
    };
    store(0, k, a_apply(z0.v0, z1.v0, z2.v0, z3.v0));
    store(1, k, a_apply(z0.v1, z1.v1, z2.v1, z3.v1));
    store(2, k, a_apply(z0.v2, z1.v2, z2.v2, z3.v2));
    store(3, k, a_apply(z0.v3, z1.v3, z2.v3, z3.v3));
    store(4, k, a_apply(z0.v4, z1.v4, z2.v4, z3.v4));
    store(5, k, a_apply(z0.v5, z1.v5, z2.v5, z3.v5));
  }
}

ZG_WINOGRAD_INSTANTIATE(float)
ZG_WINOGRAD_INSTANTIATE(double)

}  // namespace zg::cpu::winograd::f4
