// The per-plane tile transforms behind CpuBackend's winograd_* primitives (tensor/backend.h
// has their contract, tensor/raw_winograd.cpp the math): one (n, c) image plane at a time,
// F(2×2, 3×3) in winograd2.cpp and F(4×4, 3×3) in winograd4.cpp, for float and double.
//
// The tiles overlap and step by m, so a tile-by-tile loop has short, strided inner loops (7
// tiles across a 14×14 image) that the compiler leaves scalar. Instead, each transform is
// split into its one strided step and flat steps over all T tiles of the plane:
//  - input: Bᵀ along each image row, once per row, into rows sorted by their row number
//    mod m; Bᵀ down the columns is then one flat loop over t = ty·tw + tx, because tile ty
//    reads padded rows m·ty .. m·ty + m + 1, which sit at offset t (or t + tw) in those sorts;
//  - output: Aᵀ · A per tile is flat over t (the tiles' values lie in α² arrays of T); the
//    m×m results are then interleaved into the image rows;
//  - adjoint: the reverse, de-interleave then flat.
#pragma once
#include <cstdint>

namespace zg::cpu::winograd {

struct Tiles {
  int64_t m, h, w, th, tw;  // tile size, image size, tiles per column and per row
  Tiles(int64_t m_, int64_t h_, int64_t w_)
      : m(m_), h(h_), w(w_), th((h_ + m_ - 1) / m_), tw((w_ + m_ - 1) / m_) {}
  int64_t count() const { return th * tw; }
  int64_t alpha() const { return m + 2; }
};

// Each kernel: one plane (src/dst at strides s_h, s_w), its tile arrays at v/m[ξ·vs + t],
// and `buf`, scratch of the matching *_scratch(t) elements.
#define ZG_WINOGRAD_PLANES(ns)                                                               \
  namespace ns {                                                                             \
  int64_t input_scratch(const Tiles& t);                                                     \
  int64_t output_scratch(const Tiles& t);                                                    \
  template <class T>                                                                         \
  void input_plane(T* v, int64_t vs, const T* src, int64_t s_h, int64_t s_w, const Tiles& t, \
                   T* buf);                                                                  \
  template <class T>                                                                         \
  void output_plane(T* dst, int64_t s_h, int64_t s_w, const T* m, int64_t ms, T bias,        \
                    const Tiles& t, T* buf);                                                 \
  template <class T>                                                                         \
  void output_adjoint_plane(T* m, int64_t ms, const T* src, int64_t s_h, int64_t s_w,        \
                            const Tiles& t, T* buf);                                         \
  }
ZG_WINOGRAD_PLANES(f2)  // F(2×2, 3×3): winograd2.cpp
ZG_WINOGRAD_PLANES(f4)  // F(4×4, 3×3): winograd4.cpp
#undef ZG_WINOGRAD_PLANES

// Explicit instantiations, at the end of each kernel file.
#define ZG_WINOGRAD_INSTANTIATE(T)                                                             \
  template void input_plane<T>(T*, int64_t, const T*, int64_t, int64_t, const Tiles&, T*);     \
  template void output_plane<T>(T*, int64_t, int64_t, const T*, int64_t, T, const Tiles&, T*); \
  template void output_adjoint_plane<T>(T*, int64_t, const T*, int64_t, int64_t, const Tiles&, T*);

}  // namespace zg::cpu::winograd
