// Losses: values against direct formulas, reductions, float64 gradcheck (with broadcast and
// non-contiguous inputs) and gradgradcheck, module forms, bad input.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>

#include "tests/autograd/grad_test_util.h"
#include "tests/check_error.h"
#include "tests/test_util.h"
#include "zerogen.h"

namespace zg {
namespace {
using namespace test;
namespace F = nn::functional;

TEST_CASE("mse_loss and binary_cross_entropy_with_logits: values and reductions") {
  Tensor x = tensor({-30.0, -2.0, 0.0, 0.5, 40.0}, kFloat64);
  Tensor y = tensor({1.0, 0.0, 1.0, 0.3, 0.0}, kFloat64);
  Tensor se = F::mse_loss(x, y, "none");
  CHECK(max_abs_diff(se, (x - y).square()) == 0.0);
  CHECK(F::mse_loss(x, y).item<double>() ==
        doctest::Approx((x - y).square().mean().item<double>()));
  CHECK(F::mse_loss(x, y, "sum").item<double>() ==
        doctest::Approx((x - y).square().sum().item<double>()));
  // BCE: −[y log σ(x) + (1 − y) log(1 − σ(x))], evaluated with log1p in double per element.
  Tensor l = F::binary_cross_entropy_with_logits(x, y, {}, "none");
  auto xv = x.to_vector<double>(), yv = y.to_vector<double>(), lv = l.to_vector<double>();
  for (size_t i = 0; i < xv.size(); ++i) {
    double log_sig = -std::log1p(std::exp(-xv[i]));  // log σ(x)
    double log_1m = -std::log1p(std::exp(xv[i]));    // log(1 − σ(x))
    if (xv[i] > 30) log_1m = -xv[i] - std::log1p(std::exp(-xv[i]));
    double expect = -(yv[i] * log_sig + (1 - yv[i]) * log_1m);
    CHECK(lv[i] == doctest::Approx(expect).epsilon(1e-12));
  }
  // Large logits stay finite (no exp overflow) in float32 too.
  Tensor big = F::binary_cross_entropy_with_logits(tensor({100.0f, -100.0f}), tensor({0.0f, 1.0f}),
                                                   {}, "none");
  CHECK(max_abs_diff(big, tensor({100.0f, 100.0f})) < 1e-4);
  // The gradient at x = 0 is σ(0) − y = 0.5 − y, not a one-sided slope.
  Tensor z = zeros({3}, kFloat64).requires_grad_();
  F::binary_cross_entropy_with_logits(z, tensor({0.0, 1.0, 0.25}, kFloat64), {}, "sum").backward();
  CHECK(max_abs_diff(z.grad(), tensor({0.5, -0.5, 0.25}, kFloat64)) < 1e-15);
  // weight multiplies each element
  Tensor w = tensor({1.0, 2.0, 0.0, 1.0, 3.0}, kFloat64);
  CHECK(max_abs_diff(F::binary_cross_entropy_with_logits(x, y, w, "none"), l * w) < 1e-15);
}

TEST_CASE("nll_loss and cross_entropy: values, weights, ignore_index, label smoothing") {
  Generator gen(1);
  Tensor logits = randn({4, 3}, gen, kFloat64);
  Tensor t = from_vector<int64_t>({2, 0, 1, 2});
  Tensor logp = logits.log_softmax(1);
  auto lp = [&](int i, int c) { return logp.select(0, i).select(0, c).item<double>(); };
  double nll[4] = {-lp(0, 2), -lp(1, 0), -lp(2, 1), -lp(3, 2)};
  CHECK(F::cross_entropy(logits, t).item<double>() ==
        doctest::Approx((nll[0] + nll[1] + nll[2] + nll[3]) / 4));
  CHECK(F::nll_loss(logp, t, {}, -100, "sum").item<double>() ==
        doctest::Approx(nll[0] + nll[1] + nll[2] + nll[3]));
  // weighted mean: Σ w[y]·nll / Σ w[y]
  Tensor w = tensor({0.5, 2.0, 1.5}, kFloat64);
  double num = 1.5 * nll[0] + 0.5 * nll[1] + 2.0 * nll[2] + 1.5 * nll[3],
         den = 1.5 + 0.5 + 2.0 + 1.5;
  CHECK(F::cross_entropy(logits, t, {.weight = w}).item<double>() == doctest::Approx(num / den));
  // ignore_index drops a sample from numerator and denominator
  Tensor ti = from_vector<int64_t>({2, -100, 1, 2});
  CHECK(F::cross_entropy(logits, ti).item<double>() ==
        doctest::Approx((nll[0] + nll[2] + nll[3]) / 3));
  Tensor none = F::cross_entropy(logits, ti, {.reduction = "none"});
  CHECK(none.select(0, 1).item<double>() == 0.0);
  // label smoothing ε: (1 − ε)·nll + ε/C·Σ_c −log p_c, averaged
  double eps = 0.2, smooth = 0;
  for (int i = 0; i < 4; ++i)
    smooth += (1 - eps) * nll[i] - eps / 3 * (lp(i, 0) + lp(i, 1) + lp(i, 2));
  CHECK(F::cross_entropy(logits, t, {.label_smoothing = eps}).item<double>() ==
        doctest::Approx(smooth / 4));
  // [N, C, d] layout equals the [N·d, C] one
  Tensor l3 = randn({2, 3, 5}, gen, kFloat64);
  Tensor t3 = randint(0, 3, {2, 5}, gen);
  Tensor flat = l3.permute({0, 2, 1}).reshape({10, 3});
  CHECK(F::cross_entropy(l3, t3, {.label_smoothing = 0.1}).item<double>() ==
        doctest::Approx(
            F::cross_entropy(flat, t3.reshape({10}), {.label_smoothing = 0.1}).item<double>()));
  // unbatched [C] with a 0-d target
  CHECK(
      F::cross_entropy(logits.select(0, 0), from_vector<int64_t>({2}).reshape({})).item<double>() ==
      doctest::Approx(nll[0]));
  // probability targets: −Σ p·log softmax; one-hot equals the index form
  Tensor onehot = one_hot(t, 3).to(kFloat64);
  CHECK(F::cross_entropy(logits, onehot).item<double>() ==
        doctest::Approx(F::cross_entropy(logits, t).item<double>()));
}

TEST_CASE("gaussian_nll_loss and the Gaussian KL losses") {
  Generator gen(2);
  Tensor mu = randn({3, 4}, gen, kFloat64), y = randn({3, 4}, gen, kFloat64);
  Tensor var = rand({3, 4}, gen, kFloat64) + 0.1;
  Tensor expect = 0.5 * (var.log() + (mu - y).square() / var);
  CHECK(max_abs_diff(F::gaussian_nll_loss(mu, y, var, false, 1e-6, "none"), expect) < 1e-15);
  CHECK(F::gaussian_nll_loss(mu, y, var, true).item<double>() ==
        doctest::Approx((expect + 0.5 * std::log(2 * M_PI)).mean().item<double>()));
  // one variance per row: [3] and [3, 1] both broadcast along the last dim
  Tensor rv = rand({3}, gen, kFloat64) + 0.2;
  Tensor per_row = F::gaussian_nll_loss(mu, y, rv, false, 1e-6, "none");
  CHECK(max_abs_diff(per_row, F::gaussian_nll_loss(mu, y, rv.unsqueeze(1).expand({3, 4}), false,
                                                   1e-6, "none")) < 1e-15);
  CHECK(max_abs_diff(per_row, F::gaussian_nll_loss(mu, y, rv.unsqueeze(1), false, 1e-6, "none")) <
        1e-15);
  // var below eps is clamped in value; its gradient passes unclamped (as torch)
  Tensor tiny = full({1}, 1e-9, kFloat64).requires_grad_();
  Tensor l = F::gaussian_nll_loss(zeros({1}, kFloat64), full({1}, 1e-3, kFloat64), tiny, false,
                                  1e-6, "sum");
  CHECK(l.item<double>() == doctest::Approx(0.5 * (std::log(1e-6) + 1e-6 / 1e-6)));
  l.backward();
  CHECK(tiny.grad().item<double>() == doctest::Approx(0.5 * (1 / 1e-6 - 1e-6 / 1e-12)));
  // KL
  Tensor m2 = randn({3, 4}, gen, kFloat64), lv1 = randn({3, 4}, gen, kFloat64),
         lv2 = randn({3, 4}, gen, kFloat64);
  CHECK(F::gaussian_kl_loss(mu, lv1, m2, lv2, "sum").item<double>() ==
        doctest::Approx(F::gaussian_kl(mu, lv1, m2, lv2).sum().item<double>()));
  nn::GaussianKLLoss kl("sum");
  CHECK(kl(mu, lv1).item<double>() ==
        doctest::Approx(F::gaussian_kl_standard(mu, lv1).sum().item<double>()));
  CHECK(kl(mu, lv1, zeros_like(mu), zeros_like(mu)).item<double>() ==
        doctest::Approx(kl(mu, lv1).item<double>()));
}

TEST_CASE("losses: gradcheck, with broadcast weights and non-contiguous inputs") {
  Generator gen(3);
  auto mse = [](const Inputs& in) { return F::mse_loss(in[0], in[1], "none"); };
  CHECK(gradcheck(mse, {rnd({3, 4}, gen), rnd({3, 4}, gen)}));
  Tensor tr = transposed_leaf(randn({4, 3}, gen, kFloat64));
  CHECK(gradcheck(mse, {tr, rnd({3, 4}, gen)}));
  CHECK(gradcheck([](const Inputs& in) { return F::mse_loss(in[0], in[1]); },
                  {rnd({5}, gen), rnd({5}, gen)}));
  auto bce = [](const Inputs& in) {
    return F::binary_cross_entropy_with_logits(in[0], in[1], in.size() > 2 ? in[2] : Tensor(),
                                               "sum");
  };
  CHECK(gradcheck(bce, {rnd({3, 4}, gen) * 3, uni({3, 4}, gen, 0, 1)}));
  CHECK(
      gradcheck(bce, {tr, uni({3, 4}, gen, 0, 1), uni({4}, gen, 0.5, 2)}));  // weight [4] broadcast
  auto ce = [](Tensor t, nn::CrossEntropyOptions o) {
    return [t, o](const Inputs& in) {
      nn::CrossEntropyOptions oo = o;
      if (in.size() > 1) oo.weight = in[1];
      return F::cross_entropy(in[0], t, oo);
    };
  };
  Tensor t = from_vector<int64_t>({2, 0, 4, 4, 1});
  CHECK(gradcheck(ce(t, {}), {rnd({5, 5}, gen)}));
  CHECK(gradcheck(ce(t, {.label_smoothing = 0.3}), {rnd({5, 5}, gen), uni({5}, gen, 0.5, 2)}));
  CHECK(
      gradcheck(ce(from_vector<int64_t>({1, -100, 0}), {.reduction = "none"}), {rnd({3, 2}, gen)}));
  Tensor t3 = randint(0, 3, {2, 4}, gen);
  CHECK(gradcheck(ce(t3, {.label_smoothing = 0.1, .reduction = "sum"}), {rnd({2, 3, 4}, gen)}));
  CHECK(gradcheck(ce(t.narrow(0, 0, 4), {}), {transposed_leaf(randn({5, 4}, gen, kFloat64))}));
  // probability targets
  Tensor probs = randn({3, 4}, gen, kFloat64).softmax(1);
  CHECK(gradcheck(
      [&](const Inputs& in) { return F::cross_entropy(in[0], probs, {.label_smoothing = 0.2}); },
      {rnd({3, 4}, gen)}));
  auto nll = [&](const Inputs& in) { return F::nll_loss(in[0], t, in[1]); };
  CHECK(gradcheck(nll, {rnd({5, 5}, gen), uni({5}, gen, 0.5, 2)}));
  auto gnll = [](const Inputs& in) {
    return F::gaussian_nll_loss(in[0], in[1], in[2], true, 1e-6, "none");
  };
  CHECK(gradcheck(gnll, {rnd({3, 4}, gen), rnd({3, 4}, gen), uni({3, 4}, gen, 0.2, 2)}));
  CHECK(gradcheck(gnll, {rnd({3, 4}, gen), rnd({3, 4}, gen), uni({3, 1}, gen, 0.2, 2)}));
  CHECK(gradcheck(gnll, {tr, rnd({3, 4}, gen), uni({3}, gen, 0.2, 2)}));
  auto kl = [](const Inputs& in) { return F::gaussian_kl_loss(in[0], in[1], in[2], in[3]); };
  CHECK(gradcheck(kl, {rnd({2, 3}, gen), rnd({2, 3}, gen), rnd({3}, gen), rnd({2, 1}, gen)}));
  CHECK(
      gradcheck([](const Inputs& in) { return F::gaussian_kl_standard_loss(in[0], in[1], "sum"); },
                {rnd({2, 3}, gen), rnd({2, 3}, gen)}));
}

TEST_CASE("losses: gradgradcheck (cross_entropy, bce_with_logits and the rest)") {
  Generator gen(4);
  Tensor t = from_vector<int64_t>({1, 0, 2, 2});
  CHECK(gradgradcheck([&](const Inputs& in) { return F::cross_entropy(in[0], t); },
                      {rnd({4, 3}, gen)}));
  CHECK(gradgradcheck(
      [&](const Inputs& in) {
        return F::cross_entropy(in[0], t, {.weight = in[1], .label_smoothing = 0.2});
      },
      {rnd({4, 3}, gen), uni({3}, gen, 0.5, 2)}));
  Tensor t3 = randint(0, 3, {2, 3}, gen);
  CHECK(gradgradcheck([&](const Inputs& in) { return F::cross_entropy(in[0], t3); },
                      {rnd({2, 3, 3}, gen)}));
  CHECK(gradgradcheck(
      [](const Inputs& in) { return F::binary_cross_entropy_with_logits(in[0], in[1], in[2]); },
      {rnd({3, 4}, gen), uni({3, 4}, gen, 0, 1), uni({4}, gen, 0.5, 2)}));
  CHECK(gradgradcheck([](const Inputs& in) { return F::mse_loss(in[0], in[1]); },
                      {rnd({3, 2}, gen), rnd({3, 2}, gen)}));
  CHECK(gradgradcheck([](const Inputs& in) { return F::gaussian_nll_loss(in[0], in[1], in[2]); },
                      {rnd({3, 2}, gen), rnd({3, 2}, gen), uni({3, 2}, gen, 0.3, 2)}));
  CHECK(gradgradcheck([&](const Inputs& in) { return F::nll_loss(in[0], t); }, {rnd({4, 3}, gen)}));
}

TEST_CASE("losses: modules and bad input") {
  nn::MSELoss mse;
  nn::CrossEntropyLoss ce(nn::CrossEntropyOptions{.label_smoothing = 0.1});
  Tensor x = randn({4, 3}), y = randn({4, 3});
  CHECK(mse(x, y).item<double>() == doctest::Approx(F::mse_loss(x, y).item<double>()));
  Tensor t = from_vector<int64_t>({0, 2, 1, 1});
  CHECK(ce(x, t).item<double>() ==
        doctest::Approx(F::cross_entropy(x, t, {.label_smoothing = 0.1}).item<double>()));
  CHECK(ce->extra_repr() == "reduction=mean, ignore_index=-100, label_smoothing=0.1");
  nn::BCEWithLogitsLoss bce("sum");
  CHECK(bce(x, y.sigmoid()).item<double>() ==
        doctest::Approx(
            F::binary_cross_entropy_with_logits(x, y.sigmoid(), {}, "sum").item<double>()));
  nn::NLLLoss nll;
  CHECK(nll(x.log_softmax(1), t).item<double>() ==
        doctest::Approx(F::cross_entropy(x, t).item<double>()));
  nn::GaussianNLLLoss gnll(true);
  CHECK(gnll(x, y, ones({4, 3})).item<double>() ==
        doctest::Approx(F::gaussian_nll_loss(x, y, ones({4, 3}), true).item<double>()));

  CHECK_ZG_ERROR(F::mse_loss(x, randn({4})),
                 "mse_loss: target [4] must have the input's shape [4, 3]");
  CHECK_ZG_ERROR(F::mse_loss(x, y.to(kFloat64)),
                 "target dtype float64 must match the input's float32");
  CHECK_ZG_ERROR(F::mse_loss(x, y, "avg"), "reduction must be");
  CHECK_ZG_ERROR(F::binary_cross_entropy_with_logits(x, randn({4, 1})), "target [4, 1]");
  CHECK_ZG_ERROR(F::cross_entropy(x, from_vector<int64_t>({0, 3, 1, 1})),
                 "target 3 is out of range for 3 classes");
  CHECK_ZG_ERROR(F::cross_entropy(x, from_vector<int64_t>({0, -1, 1, 1})),
                 "target -1 is out of range for 3 classes");
  CHECK_ZG_ERROR(F::cross_entropy(x, t.to(kFloat32)), "probability target");
  CHECK_ZG_ERROR(F::cross_entropy(x, from_vector<int64_t>({0, 1})), "target [2] must be [4]");
  CHECK_ZG_ERROR(F::cross_entropy(x, t, {.label_smoothing = 1.5}),
                 "label_smoothing must be in [0, 1]");
  CHECK_ZG_ERROR(F::nll_loss(x, t, ones({4})), "weight [4] must be [C] = [3]");
  CHECK_ZG_ERROR(F::gaussian_nll_loss(x, y, ones({3})), "var [3] must have the input's shape");
  CHECK_ZG_ERROR(F::gaussian_nll_loss(x, y, -ones({4, 3})), "var has a negative entry");
  CHECK_ZG_ERROR(nn::MSELoss("mean "), "MSELoss: reduction must be");
}

}  // namespace
}  // namespace zg
