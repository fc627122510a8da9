// The convolution family in float64: im2col against a direct loop, im2col/col2im adjointness,
// and gradcheck / gradgradcheck of every op with odd sizes, strides, padding, dilation,
// groups, batch > 1, non-contiguous inputs, and several im2col chunks per batch.
#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "tests/autograd/grad_test_util.h"

using namespace zg;
using namespace zg::test;
namespace F = zg::nn::functional;

namespace {

// The definition of im2col, one element at a time.
Tensor im2col_reference(const Tensor& x, const Window2d& w) {
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3);
  const int64_t oh = w.out_h(h), ow = w.out_w(wd);
  Tensor xc = x.contiguous();
  auto xv = xc.to_vector<double>();
  std::vector<double> out(n * c * w.kh * w.kw * oh * ow, 0.0);
  int64_t k = 0;
  for (int64_t ni = 0; ni < n; ++ni)
    for (int64_t ci = 0; ci < c; ++ci)
      for (int64_t i = 0; i < w.kh; ++i)
        for (int64_t j = 0; j < w.kw; ++j)
          for (int64_t a = 0; a < oh; ++a)
            for (int64_t b = 0; b < ow; ++b, ++k) {
              int64_t ih = a * w.sh - w.ph + i * w.dh, iw = b * w.sw - w.pw + j * w.dw;
              if (ih >= 0 && ih < h && iw >= 0 && iw < wd)
                out[k] = xv[((ni * c + ci) * h + ih) * wd + iw];
            }
  return from_vector(out, {n, c * w.kh * w.kw, oh * ow}).to(x.dtype());
}

// A [n, c, h, w] leaf that is a permuted view (strides of an [n, h, w, c] tensor).
Tensor channels_last_leaf(const Shape& s, Generator& gen) {
  Tensor t = randn({s[0], s[2], s[3], s[1]}, gen, kFloat64).permute({0, 3, 1, 2});
  REQUIRE_FALSE(t.is_contiguous());
  return leaf(t);
}

// Distinct values 0.1 apart in random order (max pooling is smooth away from ties).
Tensor distinct(const Shape& shape, uint32_t seed) {
  std::vector<double> v(numel_of(shape));
  for (size_t i = 0; i < v.size(); ++i) v[i] = 0.1 * static_cast<double>(i);
  std::shuffle(v.begin(), v.end(), std::mt19937(seed));
  return from_vector(v, shape);
}

const std::vector<Window2d> kWindows = {
    {3, 3, 1, 1, 0, 0, 1, 1},  // plain 3×3
    {3, 3, 2, 2, 1, 1, 1, 1},  // stride 2, padding 1
    {4, 4, 2, 2, 1, 1, 1, 1},  // the DCGAN window
    {3, 2, 1, 2, 2, 1, 2, 1},  // dilation 2 in h, stride 2 in w, padding beyond 1
    {1, 1, 2, 3, 0, 0, 1, 1},  // 1×1 with strides
};

}  // namespace

TEST_CASE("im2col: matches the direct definition; col2im is its adjoint") {
  Generator gen(1);
  // Windows x input widths cover the kernel's three ways of filling a plane: gather (output
  // rows narrower than 16), flat (stride 1 with out_w == w) and row by row (the rest).
  std::vector<Window2d> windows = kWindows;
  windows.push_back({3, 3, 1, 1, 1, 1, 1, 1});  // "same" 3×3: flat
  windows.push_back({3, 5, 1, 1, 1, 2, 1, 1});  // "same" 3×5: flat, two wrapped columns
  windows.push_back({3, 3, 1, 1, 2, 2, 2, 2});  // "same" dilated: flat
  windows.push_back({5, 5, 1, 1, 1, 2, 1, 1});  // same width only
  // The last shape is large enough for the kernels to split planes across threads.
  for (const Shape& xs :
       {Shape{2, 3, 5, 7}, Shape{2, 3, 6, 20}, Shape{1, 2, 4, 40}, Shape{3, 16, 20, 21}}) {
    for (const Window2d& w : windows) {
      if (xs[2] + 2 * w.ph < w.dh * (w.kh - 1) + 1) continue;
      INFO(w.str() << " on " << shape_str(xs));
      Tensor x = randn(xs, gen, kFloat64);
      Tensor cols = im2col(x, w);
      CHECK(max_abs_diff(cols, im2col_reference(x, w)) == 0.0);
      // Any input layout reads the same values.
      Tensor xp = randn({xs[0], xs[2], xs[3], xs[1]}, gen, kFloat64).permute({0, 3, 1, 2});
      CHECK(max_abs_diff(im2col(xp, w), im2col_reference(xp, w)) == 0.0);
      // ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩.
      Tensor c = randn(cols.shape(), gen, kFloat64);
      double lhs = (cols * c).sum().item<double>();
      double rhs = (x * col2im(c, xs[2], xs[3], w)).sum().item<double>();
      CHECK(lhs == doctest::Approx(rhs).epsilon(1e-12));
      // float32 gives the same values (copies, no arithmetic).
      CHECK(max_abs_diff(im2col(x.to(kFloat32), w), cols.to(kFloat32)) == 0.0);
    }
  }
}

TEST_CASE("im2col / col2im: gradcheck and gradgradcheck") {
  Generator gen(2);
  for (const Window2d& w : kWindows) {
    INFO(w.str());
    auto unfold = [w](const Inputs& in) { return im2col(in[0], w); };
    CHECK(gradcheck(unfold, {rnd({2, 3, 5, 7}, gen)}));
    CHECK(gradcheck(unfold, {channels_last_leaf({2, 3, 5, 7}, gen)}));
    CHECK(gradgradcheck(unfold, {rnd({1, 2, 5, 7}, gen)}));
    const int64_t l = w.out_h(5) * w.out_w(7);
    auto fold = [w](const Inputs& in) { return col2im(in[0], 5, 7, w); };
    CHECK(gradcheck(fold, {rnd({2, 3 * w.kh * w.kw, l}, gen)}));
    CHECK(gradcheck(fold,
                    {transposed_leaf(randn({l, 2 * w.kh * w.kw}, gen, kFloat64)).unsqueeze(0)}));
    CHECK(gradgradcheck(fold, {rnd({1, 2 * w.kh * w.kw, l}, gen)}));
  }
  // Wide inputs (the flat and row-by-row paths).
  for (const Window2d& w : {Window2d{3, 3, 1, 1, 1, 1, 1, 1}, Window2d{3, 3, 2, 2, 1, 1, 1, 1}}) {
    INFO(w.str());
    CHECK(gradcheck([w](const Inputs& in) { return im2col(in[0], w); }, {rnd({1, 2, 4, 40}, gen)}));
    CHECK(gradcheck([w](const Inputs& in) { return col2im(in[0], 4, 40, w); },
                    {rnd({1, 2 * 9, w.out_h(4) * w.out_w(40)}, gen)}));
  }
}

namespace {

struct ConvCase {
  std::string name;
  Shape x, w;
  F::Size2 stride, padding, dilation;
  int64_t groups;
  int tile = 0;  // for 3x3 s1 p1: Winograd's output tile (0: the conv's own choice)
};

// Odd sizes throughout: 5×7 inputs, 3×3 and 4×4 kernels, stride 2, padding 1, dilation 2,
// groups 2, batch 3.
const std::vector<ConvCase> kConvCases = {
    {"3x3 s1 p0", {3, 2, 5, 7}, {4, 2, 3, 3}, 1, 0, 1, 1},
    {"3x3 s2 p1 groups 2", {3, 4, 5, 7}, {6, 2, 3, 3}, 2, 1, 1, 2},
    {"4x4 s2 p1 (DCGAN)", {3, 2, 7, 5}, {3, 2, 4, 4}, 2, 1, 1, 1},
    {"3x3 dilation 2 padding 2", {2, 3, 7, 5}, {2, 3, 3, 3}, 1, 2, 2, 1},
    {"mixed (3, 2) s(1, 2) p(1, 0) d(2, 1)", {2, 2, 5, 7}, {3, 2, 3, 2}, {1, 2}, {1, 0}, {2, 1}, 1},
    {"1x1 groups 3", {2, 3, 5, 7}, {6, 1, 1, 1}, 1, 0, 1, 3},
    // Stride 1, padding 1: Winograd F(2x2, 3x3) and F(4x4, 3x3), odd and even image sizes.
    {"3x3 s1 p1 (Winograd F(2x2), odd)", {3, 2, 5, 7}, {4, 2, 3, 3}, 1, 1, 1, 1, 2},
    {"3x3 s1 p1 (Winograd F(2x2), even)", {2, 3, 4, 6}, {2, 3, 3, 3}, 1, 1, 1, 1, 2},
    {"3x3 s1 p1 (Winograd F(4x4), odd)", {3, 2, 5, 7}, {4, 2, 3, 3}, 1, 1, 1, 1, 4},
    {"3x3 s1 p1 (Winograd F(4x4), even)", {2, 3, 8, 6}, {2, 3, 3, 3}, 1, 1, 1, 1, 4},
};

}  // namespace

TEST_CASE("conv2d: gradcheck over shapes, layouts and chunkings") {
  Generator gen(3);
  for (const ConvCase& c : kConvCases) {
    INFO(c.name);
    const ConvWinogradSetting winograd(true, c.tile);  // the 3x3 s1 p1 cases, few channels
    auto conv = [c](const Inputs& in) {
      return F::conv2d(in[0], in[1], in.size() > 2 ? in[2] : Tensor(), c.stride, c.padding,
                       c.dilation, c.groups);
    };
    // One chunk (the default), one sample per chunk, and two samples per chunk (so batch 3
    // runs as chunks of 2 and 1: the permuted-GEMM path and the direct path, and a weight
    // gradient summed over chunks).
    Window2d win{c.w[2],      c.w[3],      c.stride.h,   c.stride.w,
                 c.padding.h, c.padding.w, c.dilation.h, c.dilation.w};
    const int64_t saved = conv_chunk_bytes();
    const int64_t two = 2 * c.x[1] * win.kh * win.kw * win.out_h(c.x[2]) * win.out_w(c.x[3]) * 8;
    for (int64_t bytes : {saved, int64_t(1), two}) {
      set_conv_chunk_bytes(bytes);
      INFO("chunk bytes " << bytes);
      CHECK(gradcheck(conv, {rnd(c.x, gen), rnd(c.w, gen), rnd({c.w[0]}, gen)}));
    }
    set_conv_chunk_bytes(saved);
    // A channels-last input and a weight that is every other row of a larger one (both
    // non-contiguous).
    Shape ws2 = c.w;
    ws2[0] *= 2;
    Tensor wt = leaf(randn(ws2, gen, kFloat64).slice(0, 0, ws2[0], 2));
    REQUIRE_FALSE(wt.is_contiguous());
    CHECK(gradcheck(conv, {channels_last_leaf(c.x, gen), wt}));
    // Without bias, only the weight needing a gradient, and only the input.
    CHECK(gradcheck(conv, {rnd(c.x, gen).detach(), rnd(c.w, gen)}));
    CHECK(gradcheck(conv, {rnd(c.x, gen), rnd(c.w, gen).detach()}));
  }
}

TEST_CASE("conv2d: gradgradcheck (its backward is differentiable)") {
  Generator gen(4);
  for (const ConvCase& c : kConvCases) {
    INFO(c.name);
    const ConvWinogradSetting winograd(true, c.tile);  // the 3x3 s1 p1 cases, few channels
    auto conv = [c](const Inputs& in) {
      return F::conv2d(in[0], in[1], in[2], c.stride, c.padding, c.dilation, c.groups);
    };
    Shape xs = c.x;
    xs[0] = 2;
    CHECK(gradgradcheck(conv, {rnd(xs, gen), rnd(c.w, gen), rnd({c.w[0]}, gen)}));
  }
  // Several chunks in the second-order pass too.
  const int64_t saved = conv_chunk_bytes();
  set_conv_chunk_bytes(1);
  const ConvCase& c = kConvCases[1];
  CHECK(gradgradcheck(
      [c](const Inputs& in) {
        return F::conv2d(in[0], in[1], {}, c.stride, c.padding, c.dilation, c.groups);
      },
      {channels_last_leaf({2, 4, 5, 7}, gen), rnd(c.w, gen)}));
  set_conv_chunk_bytes(saved);
}

namespace {

struct ConvTCase {
  std::string name;
  Shape x, w;  // w: [C_in, C_out/groups, kh, kw]
  F::Size2 stride, padding, output_padding, dilation;
  int64_t groups;
  int tile = 0;  // as in ConvCase
};

const std::vector<ConvTCase> kConvTCases = {
    {"3x3 s1", {3, 2, 5, 7}, {2, 3, 3, 3}, 1, 0, 0, 1, 1},
    {"4x4 s2 p1 (DCGAN)", {3, 4, 3, 5}, {4, 2, 4, 4}, 2, 1, 0, 1, 1},
    {"3x3 s2 p1 output_padding 1 groups 2", {2, 4, 5, 3}, {4, 3, 3, 3}, 2, 1, 1, 1, 2},
    {"3x3 s2 dilation 2 output_padding (1, 0)", {2, 3, 3, 5}, {3, 2, 3, 3}, 2, 1, {1, 0}, 2, 1},
    {"mixed (2, 3) s(3, 1) p(0, 1)", {2, 2, 4, 3}, {2, 2, 2, 3}, {3, 1}, {0, 1}, {2, 0}, 1, 1},
    {"3x3 s1 p1 (Winograd F(2x2))", {3, 2, 5, 7}, {2, 3, 3, 3}, 1, 1, 0, 1, 1, 2},
    {"3x3 s1 p1 (Winograd F(4x4))", {3, 2, 5, 7}, {2, 3, 3, 3}, 1, 1, 0, 1, 1, 4},
};

}  // namespace

TEST_CASE("conv_transpose2d: gradcheck and gradgradcheck") {
  Generator gen(5);
  for (const ConvTCase& c : kConvTCases) {
    INFO(c.name);
    const ConvWinogradSetting winograd(true, c.tile);  // the 3x3 s1 p1 cases, few channels
    auto convt = [c](const Inputs& in) {
      return F::conv_transpose2d(in[0], in[1], in.size() > 2 ? in[2] : Tensor(), c.stride,
                                 c.padding, c.output_padding, c.groups, c.dilation);
    };
    const int64_t out_c = c.w[1] * c.groups;
    CHECK(gradcheck(convt, {rnd(c.x, gen), rnd(c.w, gen), rnd({out_c}, gen)}));
    CHECK(gradcheck(convt, {channels_last_leaf(c.x, gen), rnd(c.w, gen)}));
    const int64_t saved = conv_chunk_bytes();
    set_conv_chunk_bytes(1);
    CHECK(gradcheck(convt, {rnd(c.x, gen), rnd(c.w, gen)}));
    set_conv_chunk_bytes(saved);
    Shape xs = c.x;
    xs[0] = 2;
    CHECK(gradgradcheck(convt, {rnd(xs, gen), rnd(c.w, gen), rnd({out_c}, gen)}));
  }
}

TEST_CASE("conv2d: the three convolution maps are adjoint to each other") {
  // ⟨F(x, w), g⟩ = ⟨x, T(g, w)⟩ = ⟨w, W(x, g)⟩, checked directly on the maps.
  Generator gen(6);
  for (const ConvCase& c : kConvCases) {
    INFO(c.name);
    const ConvWinogradSetting winograd(true, c.tile);
    Window2d win{c.w[2],      c.w[3],      c.stride.h,   c.stride.w,
                 c.padding.h, c.padding.w, c.dilation.h, c.dilation.w};
    Tensor x = randn(c.x, gen, kFloat64), w = randn(c.w, gen, kFloat64);
    Tensor y = conv2d_forward(x, w, win, c.groups);
    Tensor g = randn(y.shape(), gen, kFloat64);
    double a = (y * g).sum().item<double>();
    double b =
        (x * conv2d_backward_input(g, w, c.x[2], c.x[3], win, c.groups)).sum().item<double>();
    double d = (w * conv2d_backward_weight(x, g, win, c.groups)).sum().item<double>();
    CHECK(a == doctest::Approx(b).epsilon(1e-12));
    CHECK(a == doctest::Approx(d).epsilon(1e-12));
  }
}

TEST_CASE("max_pool2d: gradcheck; ties send the gradient to the first maximum") {
  Generator gen(7);
  struct Case {
    F::Size2 k;
    std::optional<F::Size2> s;
    F::Size2 p, d;
  };
  for (const Case& c : std::vector<Case>{{2, {}, 0, 1},
                                         {3, 2, 1, 1},
                                         {{3, 2}, {{1, 2}}, {1, 1}, 1},
                                         {2, 1, 1, 2},
                                         {4, 2, 2, 1}}) {
    INFO(c.k.str() << " " << c.p.str() << " " << c.d.str());
    auto pool = [c](const Inputs& in) { return F::max_pool2d(in[0], c.k, c.s, c.p, c.d); };
    // Distinct values far apart relative to the finite-difference step.
    CHECK(gradcheck(pool, {leaf(distinct({2, 3, 5, 7}, 1))}));
    CHECK(gradcheck(pool, {leaf(distinct({2, 5, 7, 3}, 2).permute({0, 3, 1, 2}))}));
  }
  // All-equal input: each window's gradient lands on its first element in row-major order.
  Tensor x = leaf(ones({1, 1, 4, 4}, kFloat64));
  F::max_pool2d(x, 2).sum().backward();
  CHECK(x.grad().to_vector<double>() ==
        std::vector<double>{1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0});
  // Overlapping windows add up, and padding never wins even against negative values.
  Tensor y = leaf(-ones({1, 1, 3, 3}, kFloat64));
  Tensor out = F::max_pool2d(y, 3, 1, 1);
  CHECK(out.to_vector<double>() == std::vector<double>(9, -1.0));
  out.sum().backward();
  CHECK(y.grad().to_vector<double>() == std::vector<double>{4, 2, 0, 2, 1, 0, 0, 0, 0});
}

TEST_CASE("avg_pool2d and upsample_nearest2d: gradcheck and gradgradcheck") {
  Generator gen(8);
  for (bool include : {true, false}) {
    for (auto [k, s, p] : std::vector<std::tuple<F::Size2, F::Size2, F::Size2>>{
             {2, 2, 0}, {3, 2, 1}, {{3, 2}, {1, 2}, {1, 1}}, {4, 3, 2}}) {
      INFO(k.str() << " " << s.str() << " " << p.str() << " include_pad " << include);
      auto pool = [=](const Inputs& in) { return F::avg_pool2d(in[0], k, s, p, include); };
      CHECK(gradcheck(pool, {rnd({2, 3, 5, 7}, gen)}));
      CHECK(gradcheck(pool, {channels_last_leaf({2, 3, 5, 7}, gen)}));
      CHECK(gradgradcheck(pool, {rnd({1, 2, 5, 7}, gen)}));
    }
  }
  // count_include_pad=false at a corner: (x00 + x01 + x10 + x11) / 4 for a 3×3 window.
  Tensor x = arange(0, 9, 1, kFloat64).reshape({1, 1, 3, 3});
  CHECK(F::avg_pool2d(x, 3, 1, 1, false).to_vector<double>()[0] == doctest::Approx(2.0));
  CHECK(F::avg_pool2d(x, 3, 1, 1, true).to_vector<double>()[0] == doctest::Approx(8.0 / 9));

  for (F::Size2 scale : {F::Size2(2), F::Size2(1, 3), F::Size2(3, 2)}) {
    INFO(scale.str());
    auto up = [scale](const Inputs& in) { return F::upsample_nearest2d(in[0], scale); };
    CHECK(gradcheck(up, {rnd({2, 3, 5, 7}, gen)}));
    CHECK(gradcheck(up, {channels_last_leaf({2, 3, 5, 7}, gen)}));
    CHECK(gradgradcheck(up, {rnd({1, 2, 3, 5}, gen)}));
  }
  Tensor u = F::upsample_nearest2d(tensor({1, 2, 3, 4}, kFloat64).reshape({1, 1, 2, 2}), 2);
  CHECK(u.to_vector<double>() ==
        std::vector<double>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
}

TEST_CASE("conv2d at a realistic size: several default-size chunks, threads, vs im2col @ W") {
  // 32 channels of 14×14 with a 3×3 window: 225 KB of float64 columns per sample, so batch
  // 20 runs as chunks of 9, 9 and 2 under the default 2 MiB on one thread. On 2 and 3
  // threads the chunks become tasks of Backend::run_tasks, the same number per worker
  // (4 chunks of 5 samples; 7, 7 and 6), and the weight gradient is summed per worker. The
  // reference is the textbook composition (grouped matmul over the whole batch's im2col),
  // differentiated by autograd.
  Generator gen(9);
  const int64_t groups = 2;
  Window2d win{3, 3, 1, 1, 1, 1, 1, 1};
  Tensor x = rnd({20, 32, 14, 14}, gen), w = rnd({24, 16, 3, 3}, gen), b = rnd({24}, gen);
  Tensor cols = im2col(x, win).view({20, groups, 16 * 9, 196});
  Tensor ref = (w.view({groups, 12, 16 * 9}).unsqueeze(0).matmul(cols)).view({20, 24, 14, 14}) +
               b.view({1, 24, 1, 1});
  Tensor g = randn(ref.shape(), gen, kFloat64);
  auto gr = autograd::grad({ref}, {x, w, b}, {.grad_outputs = {g}});
  const int saved = get_num_threads();
  for (int threads : {1, 2, 3}) {
    INFO("threads " << threads);
    set_num_threads(threads);
    Tensor y = F::conv2d(x, w, b, 1, 1, 1, groups);
    CHECK(max_abs_diff(y, ref) < 1e-12);
    auto gy = autograd::grad({y}, {x, w, b}, {.grad_outputs = {g}});
    for (int i = 0; i < 3; ++i) CHECK(max_abs_diff(gy[i], gr[i]) < 1e-10);
  }
  set_num_threads(saved);
}

TEST_CASE("conv family: an empty batch gives empty outputs and zero parameter gradients") {
  Tensor x = leaf(zeros({0, 4, 5, 7}, kFloat64)), w = leaf(ones({6, 2, 3, 3}, kFloat64));
  Tensor b = leaf(ones({6}, kFloat64));
  Tensor y = F::conv2d(x, w, b, 2, 1, 1, 2);
  CHECK(y.shape() == Shape{0, 6, 3, 4});
  y.sum().backward();
  CHECK(x.grad().shape() == x.shape());
  CHECK(w.grad().abs().max().item<double>() == 0.0);
  CHECK(b.grad().abs().max().item<double>() == 0.0);
  Tensor wt = leaf(ones({4, 3, 4, 4}, kFloat64));
  Tensor z = F::conv_transpose2d(x, wt, {}, 2, 1);
  CHECK(z.shape() == Shape{0, 3, 10, 14});
  z.sum().backward();
  CHECK(wt.grad().abs().max().item<double>() == 0.0);
  CHECK(F::max_pool2d(x, 2).shape() == Shape{0, 4, 2, 3});
  CHECK(F::avg_pool2d(x, 3, 2, 1, false).shape() == Shape{0, 4, 3, 4});
  CHECK(F::upsample_nearest2d(x, 2).shape() == Shape{0, 4, 10, 14});
}
