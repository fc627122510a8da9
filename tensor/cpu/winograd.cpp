// CpuBackend's Winograd tile transforms: the per-plane kernels of winograd_planes.h (F(2×2,
// 3×3) in winograd2.cpp, F(4×4, 3×3) in winograd4.cpp) run over the N·C planes of a batch.
#include <algorithm>
#include <vector>

#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/loops.h"
#include "tensor/cpu/winograd_planes.h"

namespace zg {
using namespace cpu;
using cpu::winograd::Tiles;

namespace {

void check_tile(const char* op, int tile) {
  ZG_CHECK(tile == 2 || tile == 4, "{}: Winograd F(m×m, 3×3) has m = 2 or 4 here, got {}", op,
           tile);
}

// Runs plane(ni, ci, scratch) for the n·c planes of a float dtype, split over the threads
// so that each has about kGrain elements of tiles to write, each with `scratch` elements of
// its own.
template <class F>
void for_each_plane(DType dtype, int64_t n, int64_t c, const Tiles& t, int64_t scratch, F&& plane) {
  const int64_t grain =
      std::max<int64_t>(1, kGrain / std::max<int64_t>(1, t.alpha() * t.alpha() * t.count()));
  visit_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      parallel_for(0, n * c, grain, [&](int64_t b, int64_t e) {
        std::vector<T> buf(scratch);
        for (int64_t q = b; q < e; ++q) plane(q / c, q % c, buf.data());
      });
    }
  });
}

}  // namespace

void CpuBackend::winograd_input(const Tensor& v, const Tensor& in, int tile) {
  check_tile("winograd_input", tile);
  const Tiles t(tile, in.size(2), in.size(3));
  const auto& is = in.strides();
  const int64_t vs = v.stride(0), vc = v.stride(1);
  const int64_t scratch =
      tile == 2 ? cpu::winograd::f2::input_scratch(t) : cpu::winograd::f4::input_scratch(t);
  for_each_plane(in.dtype(), in.size(0), in.size(1), t, scratch,
                 [&](int64_t ni, int64_t ci, auto* buf) {
                   using T = std::remove_pointer_t<decltype(buf)>;
                   T* dst = data<T>(v) + ci * vc + ni * t.count();
                   const T* src = data<T>(in) + ni * is[0] + ci * is[1];
                   if (tile == 2)
                     cpu::winograd::f2::input_plane(dst, vs, src, is[2], is[3], t, buf);
                   else
                     cpu::winograd::f4::input_plane(dst, vs, src, is[2], is[3], t, buf);
                 });
}

void CpuBackend::winograd_output(const Tensor& out, const Tensor& m, const Tensor& bias, int tile) {
  check_tile("winograd_output", tile);
  const Tiles t(tile, out.size(2), out.size(3));
  const auto& os = out.strides();
  const int64_t ms = m.stride(0), mc = m.stride(1);
  const int64_t scratch =
      tile == 2 ? cpu::winograd::f2::output_scratch(t) : cpu::winograd::f4::output_scratch(t);
  for_each_plane(out.dtype(), out.size(0), out.size(1), t, scratch,
                 [&](int64_t ni, int64_t ci, auto* buf) {
                   using T = std::remove_pointer_t<decltype(buf)>;
                   const T b = bias.defined() ? data<T>(bias)[ci * bias.stride(0)] : T(0);
                   T* dst = data<T>(out) + ni * os[0] + ci * os[1];
                   const T* src = data<T>(m) + ci * mc + ni * t.count();
                   if (tile == 2)
                     cpu::winograd::f2::output_plane(dst, os[2], os[3], src, ms, b, t, buf);
                   else
                     cpu::winograd::f4::output_plane(dst, os[2], os[3], src, ms, b, t, buf);
                 });
}

void CpuBackend::winograd_output_adjoint(const Tensor& m, const Tensor& g, int tile) {
  check_tile("winograd_output_adjoint", tile);
  const Tiles t(tile, g.size(2), g.size(3));
  const auto& gs = g.strides();
  const int64_t ms = m.stride(0), mc = m.stride(1);
  const int64_t scratch =
      tile == 2 ? cpu::winograd::f2::output_scratch(t) : cpu::winograd::f4::output_scratch(t);
  for_each_plane(g.dtype(), g.size(0), g.size(1), t, scratch,
                 [&](int64_t ni, int64_t ci, auto* buf) {
                   using T = std::remove_pointer_t<decltype(buf)>;
                   T* dst = data<T>(m) + ci * mc + ni * t.count();
                   const T* src = data<T>(g) + ni * gs[0] + ci * gs[1];
                   if (tile == 2)
                     cpu::winograd::f2::output_adjoint_plane(dst, ms, src, gs[2], gs[3], t, buf);
                   else
                     cpu::winograd::f4::output_adjoint_plane(dst, ms, src, gs[2], gs[3], t, buf);
                 });
}

}  // namespace zg
