// Focused tests for D5 and D7–D10 (models/derivations_info.cpp, models/derivations_elbo.cpp)
// and for nn::functional::log_mean_exp, the IWAE helper.
#include <doctest/doctest.h>

#include <cmath>

#include "autograd/gradcheck.h"
#include "models/derivations.h"
#include "models/derivations_elbo.h"
#include "nn/functional.h"
#include "tests/check_error.h"
#include "tests/test_util.h"
#include "zerogen.h"

using namespace zg;
using namespace zg::models;
namespace F = zg::nn::functional;

TEST_CASE("log_mean_exp: values, stability at large magnitudes, errors") {
  Tensor x = tensor({0.1, -0.7, 1.3, 0.0, 2.0, -1.5}, kFloat64).view({2, 3});
  Tensor direct = x.exp().mean({1}).log();
  CHECK(test::max_abs_diff(F::log_mean_exp(x, 1), direct) < 1e-15);
  CHECK(test::max_abs_diff(F::log_mean_exp(x, -2), x.exp().mean({0}).log()) < 1e-15);
  // exp(±1e4) over/underflows float64; the shifted form does not.
  for (double shift : {1e4, -1e4}) {
    Tensor big = F::log_mean_exp(x + shift, 1);
    CHECK(test::max_abs_diff(big, direct + shift) < 1e-11);
  }
  // Log-weights 800 nats apart: the small one contributes nothing, the result is exact.
  Tensor spread = tensor({0.0, -800.0}, kFloat64);
  CHECK(F::log_mean_exp(spread, 0).item<double>() ==
        doctest::Approx(-std::log(2.0)).epsilon(1e-15));
  // float32 works too and stays finite where exp() alone would overflow.
  CHECK(std::isfinite(F::log_mean_exp(full({4}, 200.0), 0).item<double>()));
  CHECK(F::log_mean_exp(full({4}, 200.0), 0).item<double>() == doctest::Approx(200.0));

  CHECK_ZG_ERROR(F::log_mean_exp(x, 2), "log_mean_exp", "dim 2", "[2, 3]");
  CHECK_ZG_ERROR(F::log_mean_exp(x, -3), "log_mean_exp", "out of range");
  CHECK_ZG_ERROR(F::log_mean_exp(zeros({3, 0}, kFloat64), 1), "log_mean_exp", "no terms");
  CHECK_ZG_ERROR(F::log_mean_exp(arange(3, kInt64), 0), "log_mean_exp", "floating");
}

TEST_CASE("log_mean_exp: gradcheck incl. large-magnitude and non-contiguous inputs") {
  manual_seed(11);
  auto f0 = [](const std::vector<Tensor>& v) { return F::log_mean_exp(v[0], 0); };
  auto f1 = [](const std::vector<Tensor>& v) { return F::log_mean_exp(v[0], -1); };
  Tensor small = randn({4, 5}, kFloat64).requires_grad_();
  CHECK(autograd::gradcheck(f0, {small}));
  CHECK(autograd::gradcheck(f1, {small}));
  // Magnitudes where exp() overflows: the gradient is softmax(x), computed after the shift.
  Tensor large = (randn({4, 5}, kFloat64) * 3.0 + 1000.0).detach().requires_grad_();
  CHECK(autograd::gradcheck(f1, {large}));
  Tensor negative = (randn({4, 5}, kFloat64) * 3.0 - 1000.0).detach().requires_grad_();
  CHECK(autograd::gradcheck(f0, {negative}));
  // Mixed magnitudes: one term dominates, the others get gradient ≈ 0 (not NaN).
  Tensor mixed = tensor({-500.0, 0.0, 3.0, -1e3}, kFloat64).requires_grad_();
  CHECK(autograd::gradcheck(f0, {mixed}));
  // Non-contiguous (transposed) input.
  Tensor base = randn({5, 4}, kFloat64);
  Tensor strided = base.t().detach().requires_grad_();
  REQUIRE_FALSE(strided.is_contiguous());
  CHECK(autograd::gradcheck(f1, {strided}));
  CHECK(autograd::gradgradcheck(f1, {small}));
  // The gradient is exactly the softmax along the dim.
  Tensor g = autograd::grad({F::log_mean_exp(large, 1).sum()}, {large})[0];
  CHECK(test::max_abs_diff(g, large.detach().softmax(1)) < 1e-15);
}

TEST_CASE("D9: the linear-Gaussian formulas against quadrature of p(x, z)") {
  LinearGaussian model;
  const double x = 2.0;
  // Midpoint rule over z in [-12, 12): the integrand is a Gaussian in z, so the error is far
  // below the tolerances used.
  const int64_t n = 240'000;
  const double h = 24.0 / n;
  Tensor z = arange(0, n, 1, kFloat64) * h + (-12.0 + 0.5 * h);
  Tensor joint = model.log_joint(x, z).exp();
  const double px = joint.sum().item<double>() * h;
  CHECK(std::log(px) == doctest::Approx(model.log_evidence(x)).epsilon(1e-12));
  Gaussian1 post = model.posterior(x);
  const double mean = (joint * z).sum().item<double>() * h / px;
  const double var = (joint * (z - mean).square()).sum().item<double>() * h / px;
  CHECK(mean == doctest::Approx(post.mean).epsilon(1e-10));
  CHECK(var == doctest::Approx(post.var).epsilon(1e-10));
  // The closed-form ELBO against the same quadrature of E_q[log p(x,z) − log q(z)].
  Gaussian1 q{-0.4, 0.6};
  Tensor qz = normal_log_prob(z, q);
  const double elbo = (qz.exp() * (model.log_joint(x, z) - qz)).sum().item<double>() * h;
  CHECK(elbo == doctest::Approx(model.elbo(x, q)).epsilon(1e-10));
  CHECK(elbo < model.log_evidence(x));
}

TEST_CASE("D9: the identity rows fail for a wrong posterior formula") {
  LinearGaussian model;
  const double x = 2.0;
  const Gaussian1 post = model.posterior(x);
  const double denom = model.w * model.w + model.s * model.s;
  // Plausible slips: variance without s², mean without w, mean with (x − b)/w.
  const Gaussian1 wrong[3] = {{post.mean, 1.0 / denom},
                              {(x - model.b) / denom, post.var},
                              {(x - model.b) / model.w, post.var}};
  for (const Gaussian1& q : {Gaussian1{0.0, 1.0}, Gaussian1{-1.0, 0.3}}) {
    CHECK(elbo_identity_row(model, x, q, post).pass());
    CHECK(elbo_identity_mc_row(model, x, q, post, 20'000, 5).pass());
    for (const Gaussian1& bad : wrong) {
      DerivationRow r = elbo_identity_row(model, x, q, bad);
      INFO(r.claim << " error " << r.error << " tol " << r.tolerance);
      CHECK_FALSE(r.pass());
      CHECK_FALSE(elbo_identity_mc_row(model, x, q, bad, 20'000, 5).pass());
    }
  }
}

TEST_CASE("D7: the sliding-box gradient is log 2 while overlapping, exactly 0 when disjoint") {
  // Another seed than the registry test's; D7 alone, as the full set is already run there.
  auto rows = run_derivations({"D7"}, 1);
  int overlap = 0, disjoint = 0;
  for (const auto& r : rows) {
    INFO(r.id << " " << r.claim);
    CHECK(r.pass());
    if (r.claim.find("dJSD/dtheta = log 2") != std::string::npos) {
      CHECK(r.numerical == doctest::Approx(std::log(2.0)).epsilon(1e-3));
      ++overlap;
    }
    if (r.claim.find("dJSD/dtheta = 0 exactly") != std::string::npos) {
      CHECK(r.numerical == 0.0);
      ++disjoint;
    }
  }
  CHECK(overlap == 3);
  CHECK(disjoint == 2);
}
