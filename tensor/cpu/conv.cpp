// im2col / col2im: the two sliding-window kernels every convolution and pooling op uses.
//
// Both walk one (n, c) input plane at a time, so OpenMP can split the planes with no two
// threads writing the same output. For each kernel offset (i, j) the output columns that
// fall inside the input, [lo_j, hi_j), are worked out once per offset; the loops then copy
// (or add) whole rows of out_w elements without a per-element bounds test, division or
// modulo, and write their destination contiguously.
#include <algorithm>
#include <vector>

#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/loops.h"

namespace zg {
using namespace cpu;

namespace {

struct Plane {
  int64_t h, w, oh, ow;         // input and output spatial sizes
  std::vector<int64_t> lo, hi;  // per kernel column j: valid ow in [lo, hi)
};

Plane make_plane(int64_t h, int64_t w, const Window2d& win) {
  Plane p{h, w, win.out_h(h), win.out_w(w), {}, {}};
  for (int64_t j = 0; j < win.kw; ++j) {
    const int64_t iw0 = j * win.dw - win.pw;  // input column read by ow = 0
    int64_t lo = iw0 >= 0 ? 0 : (-iw0 + win.sw - 1) / win.sw;
    int64_t hi = w - iw0 <= 0 ? 0 : (w - iw0 + win.sw - 1) / win.sw;
    lo = std::min(lo, p.ow);
    hi = std::clamp(hi, lo, p.ow);
    p.lo.push_back(lo);
    p.hi.push_back(hi);
  }
  return p;
}

// Rows of one plane: cols row (i·kw + j) at dst + row·row_stride, length oh·ow.
template <class T>
void im2col_plane(T* dst, int64_t row_stride, const T* src, int64_t s_h, int64_t s_w,
                  const Plane& p, const Window2d& win) {
  for (int64_t i = 0; i < win.kh; ++i) {
    for (int64_t j = 0; j < win.kw; ++j, dst += row_stride) {
      const int64_t lo = p.lo[j], hi = p.hi[j], iw0 = j * win.dw - win.pw;
      const int64_t step = win.sw * s_w;
      T* out = dst;
      for (int64_t oh = 0; oh < p.oh; ++oh, out += p.ow) {
        const int64_t ih = oh * win.sh - win.ph + i * win.dh;
        if (ih < 0 || ih >= p.h) {
          std::fill(out, out + p.ow, T(0));
          continue;
        }
        std::fill(out, out + lo, T(0));
        const T* in = src + ih * s_h + (iw0 + lo * win.sw) * s_w;
        if (step == 1) {
          std::copy(in, in + (hi - lo), out + lo);
        } else {
          for (int64_t ow = lo; ow < hi; ++ow) out[ow] = in[(ow - lo) * step];
        }
        std::fill(out + hi, out + p.ow, T(0));
      }
    }
  }
}

// The adjoint of im2col_plane: dst (a contiguous h×w plane) = Σ over rows of src.
template <class T>
void col2im_plane(T* dst, const T* src, int64_t row_stride, const Plane& p, const Window2d& win) {
  std::fill(dst, dst + p.h * p.w, T(0));
  for (int64_t i = 0; i < win.kh; ++i) {
    for (int64_t j = 0; j < win.kw; ++j, src += row_stride) {
      const int64_t lo = p.lo[j], hi = p.hi[j], iw0 = j * win.dw - win.pw;
      const T* in = src;
      for (int64_t oh = 0; oh < p.oh; ++oh, in += p.ow) {
        const int64_t ih = oh * win.sh - win.ph + i * win.dh;
        if (ih < 0 || ih >= p.h) continue;
        T* out = dst + ih * p.w + iw0 + lo * win.sw;
        if (win.sw == 1) {
#pragma omp simd
          for (int64_t ow = lo; ow < hi; ++ow) out[ow - lo] += in[ow];
        } else {
          for (int64_t ow = lo; ow < hi; ++ow) out[(ow - lo) * win.sw] += in[ow];
        }
      }
    }
  }
}

// Planes per thread: enough that a thread has kGrain elements of work.
int64_t plane_grain(const Plane& p, const Window2d& win) {
  return std::max<int64_t>(1, kGrain / std::max<int64_t>(1, win.kh * win.kw * p.oh * p.ow));
}

}  // namespace

void CpuBackend::im2col(const Tensor& cols, const Tensor& in, const Window2d& win) {
  const int64_t n = in.size(0), c = in.size(1);
  const Plane p = make_plane(in.size(2), in.size(3), win);
  const int64_t kk = win.kh * win.kw;
  visit_dtype(in.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      const T* src = in.data_ptr<T>();
      T* dst = cols.data_ptr<T>();
      const auto& is = in.strides();
      const int64_t cn = cols.stride(0), ck = cols.stride(1);
      parallel_for(0, n * c, plane_grain(p, win), [&](int64_t b, int64_t e) {
        for (int64_t q = b; q < e; ++q) {
          const int64_t ni = q / c, ci = q % c;
          im2col_plane(dst + ni * cn + ci * kk * ck, ck, src + ni * is[0] + ci * is[1], is[2],
                       is[3], p, win);
        }
      });
    }
  });
}

void CpuBackend::col2im(const Tensor& out, const Tensor& cols, const Window2d& win) {
  const int64_t n = out.size(0), c = out.size(1);
  const Plane p = make_plane(out.size(2), out.size(3), win);
  const int64_t kk = win.kh * win.kw;
  visit_dtype(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      const T* src = cols.data_ptr<T>();
      T* dst = out.data_ptr<T>();
      const int64_t cn = cols.stride(0), ck = cols.stride(1);
      parallel_for(0, n * c, plane_grain(p, win), [&](int64_t b, int64_t e) {
        for (int64_t q = b; q < e; ++q) {
          const int64_t ni = q / c, ci = q % c;
          col2im_plane(dst + q * p.h * p.w, src + ni * cn + ci * kk * ck, ck, p, win);
        }
      });
    }
  });
}

}  // namespace zg
