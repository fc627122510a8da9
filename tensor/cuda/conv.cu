// The sliding-window kernels of tensor/cuda/kernels.h: im2col and its adjoint col2im, and the
// three tile transforms of Winograd F(2×2, 3×3) (tensor/raw_winograd.cpp has the math).
//
// Every kernel gives one thread to one element it writes, so no two threads write one
// address and no atomics are needed:
//  - im2col: a thread per column entry, in the columns' order (adjacent threads write adjacent
//    entries of a row), reading its input element or 0 in the padding;
//  - col2im: a thread per image element, summing the column entries that read it (the gather
//    form of the CPU's scatter), over the kernel offsets in the CPU's order, so the sums are
//    the CPU's to the bit;
//  - Winograd: a thread per (c, tile), the tiles of all samples innermost, so adjacent threads
//    write adjacent entries of the [16, C, N·T] tile arrays; the 4×4 transforms run in
//    registers with the CPU's operations in the CPU's order (tensor/cpu/winograd.cpp), so
//    they agree to the bit too.
// All float only, as the CPU.
#include <cuda_runtime.h>

#include <cstdint>
#include <type_traits>

#include "tensor/cuda/loop.cuh"

namespace zg::cuda {
namespace {

template <class T>
__device__ __forceinline__ T load(const char* p) {
  return *reinterpret_cast<const T*>(p);
}

/// Element (y, x) of plane (n, c) of an image, 0 outside H×W.
template <class T>
__device__ __forceinline__ T pixel_or_zero(const Image& im, const char* plane, int64_t y,
                                           int64_t x) {
  return y >= 0 && y < im.h && x >= 0 && x < im.w ? load<T>(plane + y * im.sh + x * im.sw) : T(0);
}

// ---- im2col / col2im ----

// Their index arithmetic runs in I: uint32_t when every index fits (the launchers check), as
// a 64-bit division costs several times a 32-bit one, else uint64_t.

/// cols[n, (c·kh + i)·kw + j, oy·ow + ox] = in[n, c, oy·sh − ph + i·dh, ox·sw − pw + j·dw].
template <class T, class I>
__global__ void im2col_kernel(Columns cols, Image in, Window2d win, int64_t oh, int64_t ow) {
  const I positions = static_cast<I>(oh * ow), width = static_cast<I>(ow);
  const I rows = static_cast<I>(in.c * win.kh * win.kw);
  const I kh = static_cast<I>(win.kh), kw = static_cast<I>(win.kw);
  ZG_CUDA_FOR(flat, in.n * rows * positions) {
    const I e = static_cast<I>(flat), row_i = (e / positions) % rows;
    const int64_t l = e % positions, row = row_i, n = e / positions / rows;
    const int64_t j = row_i % kw, i = (row_i / kw) % kh, c = row_i / kw / kh;
    const int64_t y =
        static_cast<int64_t>(static_cast<I>(l) / width) * win.sh - win.ph + i * win.dh;
    const int64_t x =
        static_cast<int64_t>(static_cast<I>(l) % width) * win.sw - win.pw + j * win.dw;
    at<T>(cols.base + n * cols.sn + row * cols.sk + l * static_cast<int64_t>(sizeof(T))) =
        pixel_or_zero<T>(in, in.base + n * in.sn + c * in.sc, y, x);
  }
}

/// out[n, c, y, x] = Σ over kernel offsets (i, j) of the column entry that read (y, x), if
/// any: the output position (oy, ox) with oy·sh = y + ph − i·dh, ox·sw = x + pw − j·dw.
template <class T, class I>
__global__ void col2im_kernel(Image out, Columns cols, Window2d win, int64_t oh, int64_t ow) {
  const I h = static_cast<I>(out.h), w = static_cast<I>(out.w), channels = static_cast<I>(out.c);
  const I sh = static_cast<I>(win.sh), sw = static_cast<I>(win.sw);
  ZG_CUDA_FOR(flat, out.n * out.c * out.h * out.w) {
    const I e = static_cast<I>(flat);
    const int64_t x = e % w, y = (e / w) % h, c = (e / w / h) % channels, n = e / w / h / channels;
    const char* plane_cols = cols.base + n * cols.sn + c * win.kh * win.kw * cols.sk;
    T sum = T(0);
    for (int64_t i = 0; i < win.kh; ++i) {
      const int64_t sy = y + win.ph - i * win.dh;  // oy·sh
      if (sy < 0 || static_cast<I>(sy) % sh != 0 || static_cast<I>(sy) / sh >= oh) continue;
      const int64_t oy = static_cast<I>(sy) / sh;
      for (int64_t j = 0; j < win.kw; ++j) {
        const int64_t sx = x + win.pw - j * win.dw;  // ox·sw
        if (sx < 0 || static_cast<I>(sx) % sw != 0 || static_cast<I>(sx) / sw >= ow) continue;
        const int64_t l = oy * ow + static_cast<I>(sx) / sw;
        sum +=
            load<T>(plane_cols + (i * win.kw + j) * cols.sk + l * static_cast<int64_t>(sizeof(T)));
      }
    }
    at<T>(out.base + n * out.sn + c * out.sc + y * out.sh + x * out.sw) = sum;
  }
}

// ---- Winograd F(2×2, 3×3) ----

/// Where thread e of a tile kernel works: channel c, sample n, tile t = ty·⌈W/2⌉ + tx, and
/// the byte offset of its entry in a [16, C, N·T] tile array (plus ξ·s_xi).
struct TileIndex {
  int64_t c, n, ty, tx, entry;
};

/// The tiles of all samples innermost: e = c·(N·T) + n·T + t.
template <class T>
__device__ __forceinline__ TileIndex tile_index(int64_t e, const Image& im, const Tiles& tiles) {
  const int64_t tw = (im.w + 1) / 2, per_sample = ((im.h + 1) / 2) * tw, cols = im.n * per_sample;
  const int64_t col = e % cols, t = col % per_sample;
  return {e / cols, col / per_sample, t / tw, t % tw,
          (e / cols) * tiles.s_c + col * static_cast<int64_t>(sizeof(T))};
}

/// Thread-per-(c, tile) work items of an image's tile arrays.
__host__ __device__ inline int64_t tile_items(const Image& im) {
  return im.c * im.n * ((im.h + 1) / 2) * ((im.w + 1) / 2);
}

/// v[ξ = 4a + b] = (Bᵀ d B)[a, b] for the 4×4 input tile d at rows 2ty − 1 .. 2ty + 2,
/// columns 2tx − 1 .. 2tx + 2 (0 outside): B on each row, h = (d0 − d2, d1 + d2, d2 − d1,
/// d1 − d3), then Bᵀ down the columns, the same combination of the rows.
template <class T>
__global__ void winograd_input_kernel(Tiles v, Image in) {
  ZG_CUDA_FOR(e, tile_items(in)) {
    const TileIndex ti = tile_index<T>(e, in, v);
    const char* plane = in.base + ti.n * in.sn + ti.c * in.sc;
    T h[4][4];
#pragma unroll
    for (int r = 0; r < 4; ++r) {
      const int64_t y = 2 * ti.ty - 1 + r;
      if (y < 0 || y >= in.h) {
#pragma unroll
        for (int b = 0; b < 4; ++b) h[r][b] = T(0);
        continue;
      }
      T d[4];
#pragma unroll
      for (int q = 0; q < 4; ++q) d[q] = pixel_or_zero<T>(in, plane, y, 2 * ti.tx - 1 + q);
      h[r][0] = d[0] - d[2];
      h[r][1] = d[1] + d[2];
      h[r][2] = d[2] - d[1];
      h[r][3] = d[1] - d[3];
    }
    char* dst = v.base + ti.entry;
#pragma unroll
    for (int b = 0; b < 4; ++b) {
      at<T>(dst + b * v.s_xi) = h[0][b] - h[2][b];
      at<T>(dst + (4 + b) * v.s_xi) = h[1][b] + h[2][b];
      at<T>(dst + (8 + b) * v.s_xi) = h[2][b] - h[1][b];
      at<T>(dst + (12 + b) * v.s_xi) = h[1][b] - h[3][b];
    }
  }
}

/// The 2×2 out tile = Aᵀ m A + bias, cut to H×W: A on the columns of each row a,
/// (m0 + m1 + m2, m1 − m2 − m3), then Aᵀ on the rows, the same combination.
template <class T>
__global__ void winograd_output_kernel(Image out, Tiles m, const char* bias) {
  ZG_CUDA_FOR(e, tile_items(out)) {
    const TileIndex ti = tile_index<T>(e, out, m);
    const char* src = m.base + ti.entry;
    T s0[4], s1[4];
#pragma unroll
    for (int a = 0; a < 4; ++a) {
      const T m0 = load<T>(src + (4 * a) * m.s_xi), m1 = load<T>(src + (4 * a + 1) * m.s_xi);
      const T m2 = load<T>(src + (4 * a + 2) * m.s_xi), m3 = load<T>(src + (4 * a + 3) * m.s_xi);
      s0[a] = m0 + m1 + m2;
      s1[a] = m1 - m2 - m3;
    }
    // The CPU adds T(0) without a bias too (which turns −0 into +0).
    const T b = bias ? load<T>(bias + ti.c * static_cast<int64_t>(sizeof(T))) : T(0);
    const T y[2][2] = {{s0[0] + s0[1] + s0[2] + b, s1[0] + s1[1] + s1[2] + b},
                       {s0[1] - s0[2] - s0[3] + b, s1[1] - s1[2] - s1[3] + b}};
    char* plane = out.base + ti.n * out.sn + ti.c * out.sc;
#pragma unroll
    for (int r = 0; r < 2; ++r)
#pragma unroll
      for (int q = 0; q < 2; ++q) {
        const int64_t oy = 2 * ti.ty + r, ox = 2 * ti.tx + q;
        if (oy < out.h && ox < out.w) at<T>(plane + oy * out.sh + ox * out.sw) = y[r][q];
      }
  }
}

/// The adjoint of the output transform (no bias): m = A g Aᵀ for the 2×2 tile g of the
/// gradient (0 outside H×W): A on the rows, (y0, y0 + y1, y0 − y1, −y1), then on the columns.
template <class T>
__global__ void winograd_output_adjoint_kernel(Tiles m, Image g) {
  ZG_CUDA_FOR(e, tile_items(g)) {
    const TileIndex ti = tile_index<T>(e, g, m);
    const char* plane = g.base + ti.n * g.sn + ti.c * g.sc;
    const int64_t y = 2 * ti.ty, x = 2 * ti.tx;
    const T g00 = pixel_or_zero<T>(g, plane, y, x), g01 = pixel_or_zero<T>(g, plane, y, x + 1);
    const T g10 = pixel_or_zero<T>(g, plane, y + 1, x);
    const T g11 = pixel_or_zero<T>(g, plane, y + 1, x + 1);
    const T ue[4] = {g00, g00 + g10, g00 - g10, -g10};
    const T uo[4] = {g01, g01 + g11, g01 - g11, -g11};
    char* dst = m.base + ti.entry;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      at<T>(dst + (4 * i) * m.s_xi) = ue[i];
      at<T>(dst + (4 * i + 1) * m.s_xi) = ue[i] + uo[i];
      at<T>(dst + (4 * i + 2) * m.s_xi) = ue[i] - uo[i];
      at<T>(dst + (4 * i + 3) * m.s_xi) = -uo[i];
    }
  }
}

/// f(T{}) for the float dtypes; int64 has no sliding-window kernels (the CPU has none).
template <class F>
void dispatch_float(DType dtype, F&& f) {
  dispatch(dtype, [&](auto tag) {
    if constexpr (std::is_floating_point_v<decltype(tag)>) f(tag);
  });
}

}  // namespace

void im2col(const Columns& cols, const Image& in, const Window2d& win, int64_t oh, int64_t ow,
            DType dtype) {
  const int64_t total = in.n * in.c * win.kh * win.kw * oh * ow;
  if (total == 0) return;
  const bool small = total <= UINT32_MAX;  // and so is every index
  dispatch_float(dtype, [&](auto tag) {
    using T = decltype(tag);
    if (small)
      im2col_kernel<T, uint32_t><<<grid_for(total), kBlock>>>(cols, in, win, oh, ow);
    else
      im2col_kernel<T, uint64_t><<<grid_for(total), kBlock>>>(cols, in, win, oh, ow);
    check_launch("cuda im2col");
  });
}

void col2im(const Image& out, const Columns& cols, const Window2d& win, int64_t oh, int64_t ow,
            DType dtype) {
  const int64_t total = out.n * out.c * out.h * out.w;
  if (total == 0) return;
  // Every index fits 32 bits, and so do y + ph and x + pw (padding may exceed the image).
  const bool small =
      total <= UINT32_MAX && out.h + win.ph <= UINT32_MAX && out.w + win.pw <= UINT32_MAX;
  dispatch_float(dtype, [&](auto tag) {
    using T = decltype(tag);
    if (small)
      col2im_kernel<T, uint32_t><<<grid_for(total), kBlock>>>(out, cols, win, oh, ow);
    else
      col2im_kernel<T, uint64_t><<<grid_for(total), kBlock>>>(out, cols, win, oh, ow);
    check_launch("cuda col2im");
  });
}

void winograd_input(const Tiles& v, const Image& in, DType dtype) {
  const int64_t total = tile_items(in);
  if (total == 0) return;
  dispatch_float(dtype, [&](auto tag) {
    winograd_input_kernel<decltype(tag)><<<grid_for(total), kBlock>>>(v, in);
    check_launch("cuda winograd_input");
  });
}

void winograd_output(const Image& out, const Tiles& m, const char* bias, DType dtype) {
  const int64_t total = tile_items(out);
  if (total == 0) return;
  dispatch_float(dtype, [&](auto tag) {
    winograd_output_kernel<decltype(tag)><<<grid_for(total), kBlock>>>(out, m, bias);
    check_launch("cuda winograd_output");
  });
}

void winograd_output_adjoint(const Tiles& m, const Image& g, DType dtype) {
  const int64_t total = tile_items(g);
  if (total == 0) return;
  dispatch_float(dtype, [&](auto tag) {
    winograd_output_adjoint_kernel<decltype(tag)><<<grid_for(total), kBlock>>>(m, g);
    check_launch("cuda winograd_output_adjoint");
  });
}

}  // namespace zg::cuda
