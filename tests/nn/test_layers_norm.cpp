// Normalisation: the moments/affine building blocks and BatchNorm, GroupNorm, LayerNorm —
// values against the textbook composition, float64 gradcheck and gradgradcheck (broadcast,
// non-contiguous and odd-sized inputs), running statistics, train/eval, bad input.
#include <doctest/doctest.h>

#include "tests/autograd/grad_test_util.h"
#include "tests/test_util.h"
#include "zerogen.h"

namespace zg {
namespace {
using namespace test;
namespace F = nn::functional;

// The textbook forms, composed from mean/var: what the fused layers must equal.
Tensor ref_norm(const Tensor& x, const Shape& dims, double eps) {
  return (x - x.mean(dims, true)) * (x.var(dims, false, true) + eps).rsqrt();
}
Tensor ref_batch_norm(const Tensor& x, const Tensor& w, const Tensor& b, double eps) {
  Shape dims{0};
  for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  Shape s(x.dim(), 1);
  s[1] = x.size(1);
  return ref_norm(x, dims, eps) * w.reshape(s) + b.reshape(s);
}
Tensor ref_group_norm(const Tensor& x, int64_t g, const Tensor& w, const Tensor& b, double eps) {
  Tensor v = x.reshape({x.size(0), g, -1});
  Shape s(x.dim(), 1);
  s[1] = x.size(1);
  return ref_norm(v, {2}, eps).reshape(x.shape()) * w.reshape(s) + b.reshape(s);
}

Tensor pack(const Moments& m) {
  return cat({m.mean_a.flatten(), m.mean_b.flatten(), m.cov.flatten()});
}

TEST_CASE("moments: values equal mean/var/covariance composed, any dims and layout") {
  Generator gen(1);
  Tensor a = randn({4, 3, 5}, gen, kFloat64), b = randn({4, 3, 5}, gen, kFloat64);
  for (Shape dims : {Shape{0}, Shape{1}, Shape{2}, Shape{0, 2}, Shape{1, 2}, Shape{}}) {
    INFO(shape_str(dims));
    Moments m = moments(a, b, dims);
    Shape all = dims.empty() ? Shape{0, 1, 2} : dims;
    Tensor ma = a.mean(all, true), mb = b.mean(all, true);
    CHECK(max_abs_diff(m.mean_a, ma) < 1e-14);
    CHECK(max_abs_diff(m.mean_b, mb) < 1e-14);
    CHECK(max_abs_diff(m.cov, ((a - ma) * (b - mb)).mean(all, true)) < 1e-14);
    CHECK(max_abs_diff(moments(a, a, dims).cov, a.var(all, false, true)) < 1e-14);
  }
  // Transposed and sliced views read in their own layout.
  Tensor t = a.transpose(0, 2), s = b.slice(2, 0, 5, 2);
  CHECK(max_abs_diff(moments(t, t, {0, 1}).cov, t.var({0, 1}, false, true)) < 1e-14);
  CHECK(max_abs_diff(moments(s, s, {1}).mean_a, s.mean({1}, true)) < 1e-14);
  // float32 variance of data far from zero: the two-pass form keeps its digits.
  Tensor big = randn({64, 300}, gen) + 1e4;
  Tensor v = moments(big, big, {1}).cov;
  Tensor v64 = big.to(kFloat64).var({1}, false, true);
  CHECK(max_abs_diff(v.to(kFloat64), v64) < 1e-3);  // float32 data step at 1e4 is ~1e-3
  // Long rows (beyond the short-row kernel) and strided rows take the lane path.
  Tensor longrow = randn({2, 9000}, gen, kFloat64);
  CHECK(max_abs_diff(moments(longrow, longrow, {1}).cov, longrow.var({1}, false, true)) < 1e-13);
  // float32 BatchNorm layout (many rows of 49 per slice, lanes across rows) vs float64.
  Tensor bn32 = randn({64, 6, 49}, gen) * 3 + 2;
  Moments mb = moments(bn32, bn32, {0, 2});
  Tensor bn64 = bn32.to(kFloat64);
  CHECK(max_abs_diff(mb.cov.to(kFloat64), bn64.var({0, 2}, false, true)) < 1e-5 * 9);
  CHECK(max_abs_diff(mb.mean_a.to(kFloat64), bn64.mean({0, 2}, true)) < 1e-5);
  Tensor f32 = randn({3, 5000}, gen);
  CHECK(max_abs_diff(moments(f32, f32, {1}).cov.to(kFloat64),
                     f32.to(kFloat64).var({1}, false, true)) < 1e-5);
}

TEST_CASE("moments and affine: gradcheck and gradgradcheck") {
  Generator gen(2);
  auto mom = [](Shape dims) {
    return [dims](const Inputs& in) { return pack(moments(in[0], in[1], dims)); };
  };
  auto var_of = [](Shape dims) {
    return [dims](const Inputs& in) { return pack(moments(in[0], in[0], dims)); };
  };
  Tensor a = rnd({3, 4, 2}, gen), b = rnd({3, 4, 2}, gen);
  for (Shape dims : {Shape{0}, Shape{1, 2}, Shape{0, 2}, Shape{}}) {
    INFO(shape_str(dims));
    CHECK(gradcheck(mom(dims), {a, b}));
    CHECK(gradcheck(var_of(dims), {a}));
    CHECK(gradgradcheck(mom(dims), {a, b}));
    CHECK(gradgradcheck(var_of(dims), {a}));
  }
  Tensor t = transposed_leaf(randn({5, 3}, gen, kFloat64));
  CHECK(gradcheck(mom({1}), {t, rnd({3, 5}, gen)}));
  CHECK(gradgradcheck(var_of({0}), {t}));

  auto aff3 = [](const Inputs& in) { return affine(in[0], in[1], in[2]); };
  auto aff5 = [](const Inputs& in) { return affine(in[0], in[1], in[2], in[3], in[4]); };
  Inputs bc3{rnd({2, 3, 4}, gen), rnd({1, 3, 1}, gen), rnd({3, 1}, gen)};
  Inputs bc5{rnd({2, 3, 4}, gen), rnd({3, 1}, gen), rnd({2, 3, 4}, gen), rnd({2, 1, 1}, gen),
             rnd({4}, gen)};
  CHECK(gradcheck(aff3, bc3));
  CHECK(gradgradcheck(aff3, bc3));
  CHECK(gradcheck(aff5, bc5));
  CHECK(gradgradcheck(aff5, bc5));
  // the operand itself broadcast (a smaller than the result)
  CHECK(gradcheck(aff3, {rnd({3, 1}, gen), rnd({1, 4}, gen), rnd({2, 1, 1}, gen)}));
  CHECK(gradcheck(aff3, {t, rnd({5}, gen), rnd({3, 1}, gen)}));  // t is [3, 5]
}

TEST_CASE("batch_norm, group_norm, layer_norm: forward equals the composed formula") {
  Generator gen(3);
  for (Shape s : {Shape{6, 3}, Shape{4, 3, 5}, Shape{3, 4, 3, 5}, Shape{2, 5, 1, 1}}) {
    INFO(shape_str(s));
    Tensor x = randn(s, gen, kFloat64) * 3 + 1, w = randn({s[1]}, gen, kFloat64),
           b = randn({s[1]}, gen, kFloat64);
    Tensor y = F::batch_norm(x, {}, {}, w, b, true, 0.1, 1e-5);
    CHECK(max_abs_diff(y, ref_batch_norm(x, w, b, 1e-5)) < 1e-12);
    Tensor y2 = F::batch_norm(x, {}, {}, {}, {}, true, 0.1, 1e-3);
    CHECK(max_abs_diff(y2, ref_batch_norm(x, ones({s[1]}, kFloat64), zeros({s[1]}, kFloat64),
                                          1e-3)) < 1e-12);
  }
  for (const auto& sg : {std::pair{Shape{2, 6, 3, 5}, 3}, std::pair{Shape{3, 4, 7}, 2},
                         std::pair{Shape{2, 4}, 4}, std::pair{Shape{2, 4, 3}, 1}}) {
    const Shape s = sg.first;
    const int64_t g = sg.second;
    INFO(shape_str(s), " groups ", g);
    Tensor x = randn(s, gen, kFloat64) - 2, w = randn({s[1]}, gen, kFloat64),
           b = randn({s[1]}, gen, kFloat64);
    CHECK(max_abs_diff(F::group_norm(x, g, w, b), ref_group_norm(x, g, w, b, 1e-5)) < 1e-12);
  }
  Tensor x = randn({2, 3, 4, 5}, gen, kFloat64), w = randn({4, 5}, gen, kFloat64),
         b = randn({4, 5}, gen, kFloat64);
  CHECK(max_abs_diff(F::layer_norm(x, {4, 5}, w, b), ref_norm(x, {2, 3}, 1e-5) * w + b) < 1e-12);
  CHECK(max_abs_diff(F::layer_norm(x, {5}), ref_norm(x, {3}, 1e-5)) < 1e-12);
  // A non-contiguous input gives the same values as its contiguous copy.
  Tensor xt = randn({5, 4, 3}, gen, kFloat64).transpose(0, 2);  // [3, 4, 5]
  Tensor w4 = randn({4}, gen, kFloat64), b4 = randn({4}, gen, kFloat64);
  CHECK(max_abs_diff(F::batch_norm(xt, {}, {}, w4, b4, true),
                     F::batch_norm(xt.contiguous(), {}, {}, w4, b4, true)) < 1e-14);
  CHECK(max_abs_diff(F::group_norm(xt, 2, w4, b4), F::group_norm(xt.contiguous(), 2, w4, b4)) <
        1e-14);
  CHECK(max_abs_diff(F::layer_norm(xt, {5}), F::layer_norm(xt.contiguous(), {5})) < 1e-14);
}

TEST_CASE("batch_norm, group_norm, layer_norm: gradcheck (x, weight, bias)") {
  Generator gen(4);
  auto bn = [](const Inputs& in) { return F::batch_norm(in[0], {}, {}, in[1], in[2], true); };
  auto bn_plain = [](const Inputs& in) { return F::batch_norm(in[0], {}, {}, {}, {}, true); };
  for (Shape s : {Shape{5, 3}, Shape{4, 3, 5}, Shape{3, 2, 3, 5}, Shape{2, 3, 1, 1}}) {
    INFO("batch_norm ", shape_str(s));
    Inputs in{rnd(s, gen), rnd({s[1]}, gen), rnd({s[1]}, gen)};
    CHECK(gradcheck(bn, in));
    CHECK(gradcheck(bn_plain, {in[0]}));
  }
  // eval mode: fixed running statistics
  Tensor rm = randn({3}, gen, kFloat64), rv = rand({3}, gen, kFloat64) + 0.5;
  CHECK(
      gradcheck([&](const Inputs& in) { return F::batch_norm(in[0], rm, rv, in[1], in[2], false); },
                {rnd({4, 3, 2}, gen), rnd({3}, gen), rnd({3}, gen)}));
  auto gn = [](int64_t g) {
    return [g](const Inputs& in) { return F::group_norm(in[0], g, in[1], in[2]); };
  };
  for (const auto& sg : {std::pair{Shape{2, 6, 3, 3}, 3}, std::pair{Shape{3, 4, 5}, 2},
                         std::pair{Shape{2, 4}, 4}, std::pair{Shape{1, 3, 7}, 1}}) {
    const Shape s = sg.first;
    const int64_t g = sg.second;
    INFO("group_norm ", shape_str(s), " groups ", g);
    CHECK(gradcheck(gn(g), {rnd(s, gen), rnd({s[1]}, gen), rnd({s[1]}, gen)}));
  }
  CHECK(gradcheck([](const Inputs& in) { return F::group_norm(in[0], 2); }, {rnd({2, 4, 3}, gen)}));
  auto ln = [](Shape ns) {
    return [ns](const Inputs& in) { return F::layer_norm(in[0], ns, in[1], in[2]); };
  };
  CHECK(gradcheck(ln({5}), {rnd({3, 5}, gen), rnd({5}, gen), rnd({5}, gen)}));
  CHECK(gradcheck(ln({3, 4}), {rnd({2, 3, 4}, gen), rnd({3, 4}, gen), rnd({3, 4}, gen)}));
  CHECK(gradcheck([](const Inputs& in) { return F::layer_norm(in[0], {7}); }, {rnd({2, 7}, gen)}));
  // Non-contiguous leaves (a transposed [C, N] tensor used as [N, C]).
  Tensor t = transposed_leaf(randn({3, 5}, gen, kFloat64));  // [5, 3]
  CHECK(gradcheck(bn, {t, rnd({3}, gen), rnd({3}, gen)}));
  CHECK(gradcheck(gn(3), {t, rnd({3}, gen), rnd({3}, gen)}));
  CHECK(gradcheck(ln({3}), {t, rnd({3}, gen), rnd({3}, gen)}));
  // Only the parameters require grad; only the input does.
  Tensor x = randn({4, 3, 2}, gen, kFloat64);
  CHECK(gradcheck(bn, {x, rnd({3}, gen), rnd({3}, gen)}));
  CHECK(gradcheck(bn, {rnd({4, 3, 2}, gen), randn({3}, gen, kFloat64), randn({3}, gen, kFloat64)}));
}

TEST_CASE("batch_norm (train), group_norm, layer_norm: gradgradcheck") {
  Generator gen(5);
  auto bn = [](const Inputs& in) { return F::batch_norm(in[0], {}, {}, in[1], in[2], true); };
  CHECK(gradgradcheck(bn, {rnd({4, 3}, gen), rnd({3}, gen), rnd({3}, gen)}));
  CHECK(gradgradcheck(bn, {rnd({3, 2, 2, 3}, gen), rnd({2}, gen), rnd({2}, gen)}));
  CHECK(gradgradcheck([](const Inputs& in) { return F::batch_norm(in[0], {}, {}, {}, {}, true); },
                      {rnd({3, 2, 5}, gen)}));
  auto gn = [](int64_t g) {
    return [g](const Inputs& in) { return F::group_norm(in[0], g, in[1], in[2]); };
  };
  CHECK(gradgradcheck(gn(2), {rnd({2, 4, 3}, gen), rnd({4}, gen), rnd({4}, gen)}));
  CHECK(gradgradcheck(gn(3), {rnd({2, 3, 2, 2}, gen), rnd({3}, gen), rnd({3}, gen)}));
  CHECK(gradgradcheck(gn(1), {rnd({2, 2, 3}, gen), rnd({2}, gen), rnd({2}, gen)}));
  auto ln = [](Shape ns) {
    return [ns](const Inputs& in) { return F::layer_norm(in[0], ns, in[1], in[2]); };
  };
  CHECK(gradgradcheck(ln({4}), {rnd({3, 4}, gen), rnd({4}, gen), rnd({4}, gen)}));
  CHECK(gradgradcheck(ln({2, 3}), {rnd({2, 2, 3}, gen), rnd({2, 3}, gen), rnd({2, 3}, gen)}));
  Tensor t = transposed_leaf(randn({3, 4}, gen, kFloat64));  // [4, 3]
  CHECK(gradgradcheck(bn, {t, rnd({3}, gen), rnd({3}, gen)}));
  CHECK(gradgradcheck(gn(3), {t, rnd({3}, gen), rnd({3}, gen)}));
}

TEST_CASE("BatchNorm: running statistics, num_batches_tracked, train vs eval") {
  manual_seed(0);
  nn::BatchNorm2d bn(3);
  CHECK(bn->running_mean.to_vector<double>() == std::vector<double>{0, 0, 0});
  CHECK(bn->running_var.to_vector<double>() == std::vector<double>{1, 1, 1});
  CHECK(bn->num_batches_tracked.dim() == 0);
  CHECK(bn->num_batches_tracked.dtype() == kInt64);
  Tensor x = randn({4, 3, 2, 5}) * 2 + 3;
  Tensor y = bn(x);
  const int64_t n = 4 * 2 * 5;
  Tensor mean = x.mean({0, 2, 3}), var = x.var({0, 2, 3}, false);
  CHECK(max_abs_diff(bn->running_mean, mean * 0.1) < 1e-6);
  CHECK(max_abs_diff(bn->running_var, var * (double(n) / (n - 1)) * 0.1 + 0.9) < 1e-5);
  CHECK(bn->num_batches_tracked.item<int64_t>() == 1);
  // Training output uses the batch statistics (biased variance).
  CHECK(max_abs_diff(y, ref_batch_norm(x, ones({3}), zeros({3}), 1e-5)) < 1e-5);
  bn(x);
  CHECK(bn->num_batches_tracked.item<int64_t>() == 2);
  CHECK(max_abs_diff(bn->running_mean, mean * 0.19) < 1e-5);
  // eval: running statistics, no update
  bn->eval();
  Tensor rm = bn->running_mean.clone(), rv = bn->running_var.clone();
  Tensor ye = bn(x);
  Tensor expect = (x - rm.reshape({1, 3, 1, 1})) / (rv.reshape({1, 3, 1, 1}) + 1e-5).sqrt();
  CHECK(max_abs_diff(ye, expect) < 1e-5);
  CHECK(max_abs_diff(bn->running_mean, rm) == 0.0);
  CHECK(bn->num_batches_tracked.item<int64_t>() == 2);

  // momentum = None: the cumulative average of the batch statistics.
  nn::BatchNorm1d cum(nn::BatchNormOptions(2).momentum(std::nullopt));
  Tensor a = randn({6, 2}), b = randn({6, 2});
  cum(a);
  cum(b);
  CHECK(max_abs_diff(cum->running_mean, (a.mean({0}) + b.mean({0})) * 0.5) < 1e-6);
  CHECK(max_abs_diff(cum->running_var, (a.var({0}) + b.var({0})) * 0.5) < 1e-6);
  // track_running_stats = false: no buffers, batch statistics also in eval.
  nn::BatchNorm1d free_bn(nn::BatchNormOptions(2).track_running_stats(false).affine(false));
  CHECK(free_bn->named_buffers().empty());
  CHECK(free_bn->parameters().empty());
  free_bn->eval();
  CHECK(max_abs_diff(free_bn(a), ref_norm(a, {0}, 1e-5)) < 1e-5);
  // state dict names as torch's
  auto sd = bn->state_dict();
  for (const char* k : {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"})
    CHECK(sd.count(k) == 1);
  CHECK(bn->extra_repr() == "3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True");
  CHECK(cum->extra_repr() == "2, eps=1e-05, momentum=None, affine=True, track_running_stats=True");
}

TEST_CASE("GroupNorm, LayerNorm modules: defaults, repr, parameters") {
  nn::GroupNorm gn(8, 32);
  CHECK(gn->weight.to_vector<double>() == std::vector<double>(32, 1.0));
  CHECK(gn->bias.to_vector<double>() == std::vector<double>(32, 0.0));
  CHECK(gn->extra_repr() == "8, 32, eps=1e-05, affine=True");
  CHECK(gn(randn({2, 32, 3, 3})).shape() == Shape{2, 32, 3, 3});
  nn::LayerNorm ln(nn::LayerNormOptions({4}));
  CHECK(ln->extra_repr() == "(4,), eps=1e-05, elementwise_affine=True");
  nn::LayerNorm ln2(nn::LayerNormOptions({2, 3}).elementwise_affine(false));
  CHECK(ln2->extra_repr() == "(2, 3), eps=1e-05, elementwise_affine=False");
  CHECK(ln2->parameters().empty());
  CHECK(ln(randn({5, 4})).shape() == Shape{5, 4});
}

TEST_CASE("normalisation: bad input is refused with a message") {
  auto msg = [](auto&& f) -> std::string {
    try {
      f();
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  };
  auto has = [](const std::string& m, const std::string& part) {
    INFO(m);
    CHECK(m.find(part) != std::string::npos);
  };
  has(msg([] {
        F::batch_norm(zeros({1, 3}), {}, {}, {}, {}, true);
      }),
      "more than 1 value per channel");
  has(msg([] { F::batch_norm(zeros({4}), {}, {}, {}, {}, true); }), "[N, C, *]");
  has(msg([] {
        F::batch_norm(zeros({4, 3}), {}, {}, ones({4}), {}, true);
      }),
      "weight must have shape [3]");
  has(msg([] { F::batch_norm(zeros({4, 3}), {}, {}, {}, {}, false); }), "needed when not training");
  has(msg([] { F::group_norm(zeros({2, 6, 3}), 4); }), "num_groups 4");
  has(msg([] { F::layer_norm(zeros({2, 6}), {5}); }), "does not end in normalized_shape [5]");
  has(msg([] { F::group_norm(zeros({2, 4}, kInt64), 2); }), "floating");
  has(msg([] { F::batch_norm(zeros({4, 3}), {}, {}, ones({3}, kFloat64), {}, true); }), "dtype");
  nn::BatchNorm2d bn(3);
  has(msg([&] { bn(zeros({4, 3, 2})); }), "BatchNorm2d: expected a 4-d input");
  has(msg([&] { bn(zeros({4, 2, 2, 2})); }), "has 2 channels, expected 3");
  nn::BatchNorm1d bn1(3);
  has(msg([&] { bn1(zeros({4, 3, 2, 2})); }), "BatchNorm1d: expected a 2-d or 3-d input");
  has(msg([] { nn::GroupNorm(3, 8); }), "GroupNorm: num_groups 3");
  has(msg([] { moments(zeros({2, 3}), zeros({3, 2}), {0}); }), "same shape");
}

}  // namespace
}  // namespace zg
