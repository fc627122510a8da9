// Winograd F(2x2, 3x3) and F(4x4, 3x3) (tensor/raw_winograd.cpp) against im2col + GEMM: the
// same three maps (forward, input gradient, weight gradient) on every image size from 1x1
// up, odd and even, on strided inputs, in several chunks and on several threads, in float64
// (to rounding) and float32 (to float32's accuracy), each tile size forced in turn. The
// gradchecks of the 3x3 s1 p1 cases in test_conv_grad.cpp run through it as well.
#include <cmath>
#include <tuple>

#include "tensor/winograd.h"
#include "tests/autograd/grad_test_util.h"

using namespace zg;
using namespace zg::test;
namespace F = zg::nn::functional;

namespace {

struct ConvResult {
  Tensor y, gx, gw, gb;
};

// conv2d (3x3, stride 1, padding 1) and its three gradients for the output gradient g.
// `tile`: Winograd's output tile (2 or 4), or 0 for im2col.
ConvResult run_conv(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& g, int tile) {
  ConvWinogradSetting setting(tile != 0, tile);
  Tensor y = F::conv2d(x, w, b, 1, 1);
  auto grads = autograd::grad({y}, {x, w, b}, {.grad_outputs = {g}});
  return {y.detach(), grads[0], grads[1], grads[2]};
}

// ‖a − b‖∞ / max(1, ‖b‖∞).
double rel_diff(const Tensor& a, const Tensor& b) {
  const double scale = std::max(1.0, b.abs().max().to(kFloat64).item<double>());
  return max_abs_diff(a, b) / scale;
}

void check_same(const ConvResult& a, const ConvResult& b, double tol) {
  CHECK(rel_diff(a.y, b.y) < tol);
  CHECK(rel_diff(a.gx, b.gx) < tol);
  CHECK(rel_diff(a.gw, b.gw) < tol);
  CHECK(rel_diff(a.gb, b.gb) < tol);
}

Tensor param(const Shape& s, Generator& gen, DType dtype) {
  Tensor t = randn(s, gen, dtype);
  t.requires_grad_();
  return t;
}

}  // namespace

TEST_CASE("winograd: the conv maps equal im2col + GEMM for every small image size") {
  Generator gen(21);
  for (int64_t h = 1; h <= 10; ++h)
    for (int64_t wd = 1; wd <= 10; wd += (h <= 6 ? 1 : 3)) {
      Tensor x = param({3, 2, h, wd}, gen, kFloat64), w = param({5, 2, 3, 3}, gen, kFloat64);
      Tensor b = param({5}, gen, kFloat64), g = randn({3, 5, h, wd}, gen, kFloat64);
      const ConvResult reference = run_conv(x, w, b, g, 0);
      for (int tile : {2, 4}) {
        INFO("image " << h << "x" << wd << ", F(" << tile << "x" << tile << ", 3x3)");
        check_same(run_conv(x, w, b, g, tile), reference, 1e-13);
      }
    }
}

TEST_CASE("winograd: strided inputs and output gradients") {
  Generator gen(22);
  // x channels-last, w every other output channel of a larger weight, g transposed in space.
  Tensor x = randn({2, 7, 9, 4}, gen, kFloat64).permute({0, 3, 1, 2});
  x.requires_grad_();
  Tensor w = randn({12, 4, 3, 3}, gen, kFloat64).slice(0, 0, 12, 2);
  w.requires_grad_();
  Tensor b = param({6}, gen, kFloat64);
  Tensor g = randn({2, 6, 9, 7}, gen, kFloat64).transpose(2, 3);
  REQUIRE_FALSE(x.is_contiguous());
  REQUIRE_FALSE(w.is_contiguous());
  REQUIRE_FALSE(g.is_contiguous());
  const ConvResult reference = run_conv(x, w, b, g, 0);
  for (int tile : {2, 4}) {
    INFO("F(" << tile << "x" << tile << ", 3x3)");
    check_same(run_conv(x, w, b, g, tile), reference, 1e-13);
  }
}

TEST_CASE("winograd: float32 at a realistic size, in chunks, on 1-3 threads") {
  // 32 -> 48 channels of 14x13: several default-size chunks per batch of 20, and with a
  // 1-byte chunk size one sample per chunk. float32 Winograd rounds differently from
  // im2col, so the bar is float32's, not float64's: the transforms add up to 16 (F(2x2))
  // or 36 (F(4x4)) terms, and F(4x4)'s have entries up to 5 (Bᵀ), 8 (Aᵀ) and 1/24 (G), so
  // its partial sums are larger than the result. Lavin & Gray (2016) and Barabasz et al.
  // (2020) measure F(4x4, 3x3) in float32 at about ten times the error of direct
  // convolution; here F(4x4)'s forward is 6-9 times float32 im2col's, about 5e-6 of the
  // largest output, F(2x2)'s 1-3 times. (Its input gradient is off by as much, 4-6e-6, but
  // im2col's is unusually close there, 2e-7, so that ratio is some 25.)
  Generator gen(23);
  Tensor x = param({20, 32, 14, 13}, gen, kFloat32), w = param({48, 32, 3, 3}, gen, kFloat32);
  Tensor b = param({48}, gen, kFloat32), g = randn({20, 48, 14, 13}, gen, kFloat32);
  // The reference in float64 through im2col.
  auto to64 = [](const Tensor& t) { return t.detach().to(kFloat64).requires_grad_(); };
  const ConvResult ref = run_conv(to64(x), to64(w), to64(b), g.to(kFloat64), 0);
  const ConvResult im2col32 = run_conv(x, w, b, g, 0);
  const int saved_threads = get_num_threads();
  const int64_t saved_chunk = conv_chunk_bytes();
  for (int tile : {2, 4})
    for (int threads : {1, 2, 3})
      for (int64_t chunk : {saved_chunk, int64_t(1)}) {
        INFO("F(" << tile << "x" << tile << ", 3x3), threads " << threads << ", chunk bytes "
                  << chunk);
        set_num_threads(threads);
        set_conv_chunk_bytes(chunk);
        const ConvResult ours = run_conv(x, w, b, g, tile);
        check_same(ours, ref, 2e-5);
        // And no worse than float32 im2col's error times the tile's factor.
        const double factor = tile == 2 ? 4 : 16;
        CHECK(rel_diff(ours.y, ref.y) < factor * rel_diff(im2col32.y, ref.y) + 1e-7);
      }
  set_num_threads(saved_threads);
  set_conv_chunk_bytes(saved_chunk);
}

TEST_CASE("winograd: conv_transpose2d (stride 1, padding 1) runs its maps the other way") {
  Generator gen(24);
  Tensor x = param({3, 4, 6, 5}, gen, kFloat64), w = param({4, 3, 3, 3}, gen, kFloat64);
  Tensor b = param({3}, gen, kFloat64), g = randn({3, 3, 6, 5}, gen, kFloat64);
  auto run = [&](int tile) {
    ConvWinogradSetting setting(tile != 0, tile);
    Tensor y = F::conv_transpose2d(x, w, b, 1, 1);
    auto grads = autograd::grad({y}, {x, w, b}, {.grad_outputs = {g}});
    return ConvResult{y.detach(), grads[0], grads[1], grads[2]};
  };
  const ConvResult reference = run(0);
  check_same(run(2), reference, 1e-13);
  check_same(run(4), reference, 1e-13);
}

TEST_CASE("winograd: which convolutions it takes") {
  const Window2d same{3, 3, 1, 1, 1, 1, 1, 1};
  const int64_t min = conv_winograd_min_channels();
  CHECK(raw::winograd::applies(same, 1, min));
  CHECK_FALSE(raw::winograd::applies(same, 1, min - 1));  // too few channels to pay off
  CHECK_FALSE(raw::winograd::applies(same, 2, 64));       // groups
  CHECK_FALSE(raw::winograd::applies({3, 3, 2, 2, 1, 1, 1, 1}, 1, 64));  // stride 2
  CHECK_FALSE(raw::winograd::applies({3, 3, 1, 1, 0, 0, 1, 1}, 1, 64));  // no padding
  CHECK_FALSE(raw::winograd::applies({3, 3, 1, 1, 2, 2, 2, 2}, 1, 64));  // dilation 2
  CHECK_FALSE(raw::winograd::applies({5, 5, 1, 1, 2, 2, 1, 1}, 1, 64));  // 5x5
  {
    const ConvWinogradSetting off(false);
    CHECK_FALSE(raw::winograd::applies(same, 1, 64));
  }
  CHECK(raw::winograd::applies(same, 1, 64));
}

TEST_CASE("winograd: each image size gets the tile with fewer multiplies") {
  // α² multiplies per tile: 16 for F(2x2) per 2x2 outputs, 36 for F(4x4) per 4x4.
  CHECK(raw::winograd::tile_for(kCPU, 28, 28) == 4);  // 16·196 = 3136 against 36·49 = 1764
  CHECK(raw::winograd::tile_for(kCPU, 14, 14) == 4);  // 784 against 576
  CHECK(raw::winograd::tile_for(kCPU, 7, 7) == 4);    // 256 against 144
  CHECK(raw::winograd::tile_for(kCPU, 2, 2) == 2);    // 16 against 36
  CHECK(raw::winograd::tile_for(kCPU, 2, 8) == 2);    // 64 against 72
  CHECK(raw::winograd::tile_for(kCPU, 3, 3) == 4);    // 64 against 36
  {
    const ConvWinogradSetting f2(true, 2);
    CHECK(raw::winograd::tile_for(kCPU, 28, 28) == 2);
  }
  {
    const ConvWinogradSetting f4(true, 4);
    CHECK(raw::winograd::tile_for(kCPU, 2, 2) == 4);
  }
  CHECK_THROWS_WITH_AS(set_conv_winograd_tile(3), doctest::Contains("set_conv_winograd_tile"),
                       Error);
}
