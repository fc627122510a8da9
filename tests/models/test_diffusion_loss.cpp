#include "models/diffusion_loss.h"

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "tests/check_error.h"
#include "tests/test_util.h"

using namespace zg;
using namespace zg::models;

namespace {

// Scalar brute force for a short chain, written from the formulas (not DiffusionSchedule).
struct Chain {
  std::vector<double> beta;  // β_1..β_T at index t (index 0 unused)
  explicit Chain(std::vector<double> b) : beta(b.size() + 1, 0.0) {
    for (size_t i = 0; i < b.size(); ++i) beta[i + 1] = b[i];
  }
  int T() const { return static_cast<int>(beta.size()) - 1; }
  double abar(int t) const {
    double p = 1;
    for (int s = 1; s <= t; ++s) p *= 1 - beta[s];
    return p;
  }
  double post_var(int t) const { return (1 - abar(t - 1)) / (1 - abar(t)) * beta[t]; }
  double post_mean(int t, double x0, double xt) const {
    return (std::sqrt(abar(t - 1)) * beta[t] * x0 +
            std::sqrt(1 - beta[t]) * (1 - abar(t - 1)) * xt) /
           (1 - abar(t));
  }
  double model_mean(int t, double xt, double eps) const {
    return (xt - beta[t] / std::sqrt(1 - abar(t)) * eps) / std::sqrt(1 - beta[t]);
  }
  double sigma2(int t, bool posterior) const {
    return posterior ? post_var(t == 1 ? 2 : t) : beta[t];
  }
};

double kl(double m1, double v1, double m2, double v2) {
  return 0.5 * (std::log(v2 / v1) + (v1 + (m1 - m2) * (m1 - m2)) / v2 - 1);
}

double Phi(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// −log p(x0 | x1) of the discretised decoder, directly from Φ (moderate arguments only).
double decoder_nll_scalar(double x0, double mean, double sd) {
  double upper = x0 > 0.999 ? 1.0 : Phi((x0 + 1 / 255.0 - mean) / sd);
  double lower = x0 < -0.999 ? 0.0 : Phi((x0 - 1 / 255.0 - mean) / sd);
  return -std::log(upper - lower);
}

Tensor grid_values(std::initializer_list<int> levels, Shape shape) {
  std::vector<double> v;
  for (int k : levels) v.push_back(2.0 * k / 255 - 1);
  return from_vector(v, shape);
}

const std::vector<double> kBetas = {0.05, 0.15, 0.3, 0.5, 0.6};

}  // namespace

TEST_CASE("sample_timesteps is uniform on 1..T") {
  Generator gen(3);
  const int64_t n = 40000;
  Tensor t = sample_timesteps(n, 4, gen);
  CHECK(t.dtype() == kInt64);
  CHECK(t.shape() == Shape{n});
  std::vector<int64_t> count(6, 0);
  for (int64_t v : t.to_vector<int64_t>()) ++count[std::clamp<int64_t>(v, 0, 5)];
  CHECK(count[0] == 0);
  CHECK(count[5] == 0);
  const double se = std::sqrt(n * 0.25 * 0.75);
  for (int k = 1; k <= 4; ++k) CHECK(std::abs(count[k] - n / 4.0) < 4 * se);
  CHECK_ZG_ERROR(sample_timesteps(3, 0, gen), "sample_timesteps");
}

TEST_CASE("q_sample matches the scalar schedule, per example, in x0's dtype") {
  auto s = DiffusionSchedule::linear();
  Generator gen(5);
  Tensor x0 = randn({3, 2, 2}, gen), noise = randn({3, 2, 2}, gen);
  Tensor t = from_vector(std::vector<int64_t>{1, 500, 1000});
  Tensor x_t = q_sample(s, x0, t, noise);
  CHECK(x_t.dtype() == kFloat32);
  REQUIRE(x_t.shape() == x0.shape());
  auto xv = x0.to_vector<double>(), nv = noise.to_vector<double>(), out = x_t.to_vector<double>();
  const int ts[3] = {1, 500, 1000};
  for (size_t i = 0; i < out.size(); ++i) {
    int k = ts[i / 4];
    double expect = std::sqrt(s.alpha_bar[k]) * xv[i] + std::sqrt(1 - s.alpha_bar[k]) * nv[i];
    CHECK(out[i] == doctest::Approx(expect).epsilon(1e-6));
  }
  CHECK_ZG_ERROR(q_sample(s, x0, t.to(kFloat32), noise), "q_sample", "int64");
  CHECK_ZG_ERROR(q_sample(s, x0, t.narrow(0, 0, 2), noise), "q_sample", "[3]");
  CHECK_ZG_ERROR(q_sample(s, x0, from_vector(std::vector<int64_t>{0, 1, 2}), noise), "q_sample",
                 "timestep 0");
  CHECK_ZG_ERROR(q_sample(s, x0, from_vector(std::vector<int64_t>{1, 2, 1001}), noise),
                 "timestep 1001");
  CHECK_ZG_ERROR(q_sample(s, x0, t, noise.reshape({3, 4})), "q_sample", "[3, 2, 2]", "[3, 4]");
}

TEST_CASE("simple_loss is the mean squared noise error") {
  Tensor e = tensor({1, 2, 3, 4}).reshape({2, 2}), p = tensor({1, 0, 3, 1}).reshape({2, 2});
  CHECK(simple_loss(p, e).item<double>() == doctest::Approx((4.0 + 9.0) / 4));
  CHECK_ZG_ERROR(simple_loss(p, e.reshape({4})), "simple_loss", "[2, 2]", "[4]");
}

TEST_CASE("log_normal_cdf and log_normal_cdf_diff are accurate in both tails") {
  // References: scipy.special.log_ndtr and mpmath at 50 digits.
  CHECK(log_normal_cdf(0) == doctest::Approx(-0.6931471805599453).epsilon(1e-15));
  CHECK(log_normal_cdf(-5) == doctest::Approx(-15.064998393988727).epsilon(1e-14));
  CHECK(log_normal_cdf(3) == doctest::Approx(-0.001350809964748193).epsilon(1e-13));
  CHECK(log_normal_cdf(10) == doctest::Approx(-7.619853024160473e-24).epsilon(1e-13));
  CHECK(log_normal_cdf(-30) == doctest::Approx(-454.32124395634327).epsilon(1e-14));
  CHECK(log_normal_cdf(-40) == doctest::Approx(-804.60844201375378817).epsilon(1e-14));
  // Either side of the switch to the asymptotic series at −20.
  CHECK(log_normal_cdf(-20.000001) == doctest::Approx(-203.91717542085085184).epsilon(1e-14));
  CHECK(log_normal_cdf(-19.999999) == doctest::Approx(-203.91713532134467357).epsilon(1e-14));
  CHECK(log_normal_cdf(-1e10) == doctest::Approx(-5e19).epsilon(1e-15));
  CHECK(std::isinf(log_normal_cdf(-INFINITY)));
  CHECK(log_normal_cdf(INFINITY) == 0.0);

  CHECK(log_normal_cdf_diff(-40, -39) == doctest::Approx(-765.08315656437754441).epsilon(1e-14));
  CHECK(log_normal_cdf_diff(39, 40) == doctest::Approx(-765.08315656437754441).epsilon(1e-14));
  CHECK(log_normal_cdf_diff(-20.5, -19.5) ==
        doctest::Approx(-194.01696577945859374).epsilon(1e-14));
  CHECK(log_normal_cdf_diff(-3, -2.9) == doctest::Approx(-7.5695680138074889096).epsilon(1e-13));
  CHECK(log_normal_cdf_diff(1e-3, 2e-3) == doctest::Approx(-7.8266949788533819952).epsilon(1e-12));
  CHECK(log_normal_cdf_diff(-1e-9, 1e-9) == doctest::Approx(-20.949057189591138526).epsilon(1e-7));
  CHECK(log_normal_cdf_diff(-INFINITY, 1.5) == log_normal_cdf(1.5));
  CHECK(log_normal_cdf_diff(1.5, INFINITY) == doctest::Approx(log_normal_cdf(-1.5)).epsilon(1e-15));
  CHECK(log_normal_cdf_diff(-INFINITY, INFINITY) == 0.0);
  CHECK_ZG_ERROR(log_normal_cdf_diff(1, 1), "log_normal_cdf_diff", "a < b");
}

TEST_CASE("the discretised decoder sums to 1 over the 256 levels and is finite in the tails") {
  std::vector<double> levels(256);
  for (int k = 0; k < 256; ++k) levels[k] = 2.0 * k / 255 - 1;
  Tensor x = from_vector(levels);
  for (double mean : {0.0, 0.5, -0.99, 1.3, -4.0}) {
    for (double sd : {1e-3, 0.01, 0.1, 1.0, 10.0}) {
      INFO("mean " << mean << " sd " << sd);
      Tensor ll = discretized_gaussian_log_likelihood(x, full({256}, mean, kFloat64),
                                                      scalar_tensor(std::log(sd), kFloat64));
      double total = 0;
      for (double v : ll.to_vector<double>()) {
        REQUIRE(std::isfinite(v));
        total += std::exp(v);
      }
      CHECK(std::abs(total - 1) < 1e-12);
    }
  }
  // 140 and 996 standard deviations out, where Φ itself underflows (mpmath references).
  Tensor tails = discretized_gaussian_log_likelihood(
      tensor({0.5, 1.0}, kFloat64), tensor({-0.9, 0.0}, kFloat64),
      tensor({std::log(0.01), std::log(1e-3)}, kFloat64));
  auto tv = tails.to_vector<double>();
  CHECK(tv[0] == doctest::Approx(-9751.0327599239247293).epsilon(1e-12));
  CHECK(tv[1] == doctest::Approx(-496093.94348834067309).epsilon(1e-12));
  // float32 in, float32 out.
  CHECK(discretized_gaussian_log_likelihood(x.to(kFloat32), zeros({256}), zeros({})).dtype() ==
        kFloat32);
  CHECK_ZG_ERROR(discretized_gaussian_log_likelihood(tensor({1.5}), tensor({0}), zeros({})),
                 "discretized_gaussian_log_likelihood", "[-1, 1]");
  CHECK_ZG_ERROR(discretized_gaussian_log_likelihood(x, zeros({255}, kFloat64), zeros({})),
                 "discretized_gaussian_log_likelihood", "[256]", "[255]");
  CHECK_ZG_ERROR(discretized_gaussian_log_likelihood(x, zeros({256}, kFloat64), zeros({3})),
                 "log_scale [3]");
}

TEST_CASE("vlb_term, prior_term and decoder_nll against a scalar brute force (T = 5)") {
  auto s = DiffusionSchedule::from_betas(kBetas);
  Chain c(kBetas);
  Generator gen(9);
  const int64_t B = 5;
  Tensor x0 = grid_values({0, 40, 128, 200, 255, 3, 77, 250, 1, 254}, {B, 2}).to(kFloat64);
  Tensor x_t = randn({B, 2}, gen, kFloat64), eps_pred = randn({B, 2}, gen, kFloat64);
  // The decoder's x_1 near x_0 (the naive Φ difference of the brute force underflows far out).
  Tensor noise = randn({B, 2}, gen, kFloat64);
  Tensor x_1 = q_sample(s, x0, full({B}, 1.0, kInt64), noise);
  Tensor eps_1 = noise + 0.3 * randn({B, 2}, gen, kFloat64);
  const std::vector<int64_t> ts = {2, 3, 4, 5, 2};
  Tensor t = from_vector(ts);
  auto xv = x0.to_vector<double>(), xtv = x_t.to_vector<double>(),
       ev = eps_pred.to_vector<double>();
  auto x1v = x_1.to_vector<double>(), e1v = eps_1.to_vector<double>();
  for (bool posterior : {true, false}) {
    INFO("posterior variance " << posterior);
    auto terms = vlb_term(s, x0, x_t, t, eps_pred, posterior).to_vector<double>();
    auto prior = prior_term(s, x0).to_vector<double>();
    auto dec = decoder_nll(s, x0, x_1, eps_1, posterior).to_vector<double>();
    REQUIRE(terms.size() == size_t(B));
    for (int64_t b = 0; b < B; ++b) {
      double expect_term = 0, expect_prior = 0, expect_dec = 0;
      const int k = static_cast<int>(ts[b]);
      for (int64_t d = 0; d < 2; ++d) {
        const size_t i = b * 2 + d;
        expect_term += kl(c.post_mean(k, xv[i], xtv[i]), c.post_var(k),
                          c.model_mean(k, xtv[i], ev[i]), c.sigma2(k, posterior));
        expect_prior += kl(std::sqrt(c.abar(5)) * xv[i], 1 - c.abar(5), 0, 1);
        expect_dec += decoder_nll_scalar(xv[i], c.model_mean(1, x1v[i], e1v[i]),
                                         std::sqrt(c.sigma2(1, posterior)));
      }
      CHECK(terms[b] == doctest::Approx(expect_term).epsilon(1e-12));
      CHECK(prior[b] == doctest::Approx(expect_prior).epsilon(1e-12));
      CHECK(dec[b] == doctest::Approx(expect_dec).epsilon(1e-10));
    }
  }
  CHECK(model_variance(s, 1, true) == s.posterior_variance(2));
  CHECK(model_variance(s, 1, false) == s.beta[1]);
  CHECK_ZG_ERROR(
      vlb_term(s, x0, x_t, from_vector(std::vector<int64_t>{1, 2, 2, 2, 2}), eps_pred, true),
      "vlb_term", "timestep 1", "2..5");
  CHECK_ZG_ERROR(vlb_term(s, x0, x_t, t, eps_pred.to(kFloat32), true), "vlb_term", "float32");
  CHECK_ZG_ERROR(prior_term(s, zeros({0, 2})), "prior_term", "[0, 2]");
}

namespace {

// ε_θ = the true noise (recovered from x_t, knowing x_0) + δ: every term is deterministic.
EpsilonModel offset_model(const DiffusionSchedule& s, const Tensor& x0, double delta) {
  return [&s, x0, delta](const Tensor& x_t, const Tensor& t) {
    auto tv = t.to_vector<int64_t>();
    Shape shape(x_t.dim(), 1);
    shape[0] = x_t.size(0);
    std::vector<double> a(tv.size()), b(tv.size());
    for (size_t i = 0; i < tv.size(); ++i) {
      a[i] = std::sqrt(s.alpha_bar[tv[i]]);
      b[i] = std::sqrt(s.one_minus_alpha_bar[tv[i]]);
    }
    Tensor at = from_vector(a, shape).to(x_t.dtype()), bt = from_vector(b, shape).to(x_t.dtype());
    return (x_t - at * x0.to(x_t.dtype())) / bt + delta;
  };
}

// Brute-force nats per dimension of the bound for one x_0 value under offset_model.
struct BruteBound {
  double prior, decoder, diffusion;
  std::vector<double> per_t;  // L_{t−1} at index t
};

BruteBound brute_bound(const Chain& c, double x0, double delta, bool posterior) {
  const int T = c.T();
  BruteBound out{kl(std::sqrt(c.abar(T)) * x0, 1 - c.abar(T), 0, 1), 0, 0,
                 std::vector<double>(T + 1)};
  const double eps = 0.37;  // any noise: the terms do not depend on it
  auto x_at = [&](int t) { return std::sqrt(c.abar(t)) * x0 + std::sqrt(1 - c.abar(t)) * eps; };
  out.decoder = decoder_nll_scalar(x0, c.model_mean(1, x_at(1), eps + delta),
                                   std::sqrt(c.sigma2(1, posterior)));
  for (int t = 2; t <= T; ++t) {
    out.per_t[t] = kl(c.post_mean(t, x0, x_at(t)), c.post_var(t),
                      c.model_mean(t, x_at(t), eps + delta), c.sigma2(t, posterior));
    out.diffusion += out.per_t[t];
  }
  return out;
}

}  // namespace

TEST_CASE("variational_bound_bpd: all terms against the brute force, in bits per dimension") {
  auto s = DiffusionSchedule::from_betas(kBetas);
  Chain c(kBetas);
  const double x0v = 2.0 * 40 / 255 - 1;
  for (bool posterior : {true, false}) {
    for (double delta : {0.0, 0.4}) {
      INFO("posterior " << posterior << " delta " << delta);
      // The same x_0 in every dimension: bits/dim must not depend on the shape.
      for (Shape shape : {Shape{3, 1}, Shape{2, 2, 3}}) {
        Tensor x0 = full(shape, x0v, kFloat64);
        Generator gen(11);
        VlbTerms got = variational_bound_bpd(offset_model(s, x0, delta), s, x0, gen,
                                             {.posterior_variance = posterior});
        BruteBound want = brute_bound(c, x0v, delta, posterior);
        const double ln2 = std::log(2.0);
        CHECK(got.prior_bpd == doctest::Approx(want.prior / ln2).epsilon(1e-11));
        CHECK(got.decoder_bpd == doctest::Approx(want.decoder / ln2).epsilon(1e-9));
        CHECK(got.diffusion_bpd == doctest::Approx(want.diffusion / ln2).epsilon(1e-9));
        if (posterior && delta == 0.0)
          CHECK(std::abs(got.diffusion_bpd) < 1e-12);  // a perfect model
        CHECK(got.total_bpd ==
              doctest::Approx(got.prior_bpd + got.decoder_bpd + got.diffusion_bpd).epsilon(1e-15));
      }
    }
  }
}

TEST_CASE("variational_bound_bpd: the stratified subsample is unbiased") {
  auto s = DiffusionSchedule::from_betas(kBetas);  // t = 2..5: strata {2}, {3}, {4, 5}
  Chain c(kBetas);
  const int64_t B = 20000;
  const double x0v = 0.2, delta = 0.5;
  Tensor x0 = full({B, 1}, x0v, kFloat64);
  BruteBound want = brute_bound(c, x0v, delta, false);
  Generator gen(13);
  VlbTerms sub = variational_bound_bpd(offset_model(s, x0, delta), s, x0, gen,
                                       {.posterior_variance = false, .timesteps = 3});
  // Each example's estimate is per_t[2] + per_t[3] + 2·per_t[t'], t' uniform on {4, 5}:
  // its sd is |per_t[4] − per_t[5]|.
  const double se = std::abs(want.per_t[4] - want.per_t[5]) / std::sqrt(double(B)) / std::log(2.0);
  // Scaling every stratum by (T − 1)/n = 4/3 instead of its size would be biased by more
  // than this test's resolution, so the check below can tell the two apart.
  const double naive =
      4.0 / 3 * (want.per_t[2] + want.per_t[3] + (want.per_t[4] + want.per_t[5]) / 2);
  REQUIRE(std::abs(naive - want.diffusion) / std::log(2.0) > 8 * se);
  CHECK(std::abs(sub.diffusion_bpd - want.diffusion / std::log(2.0)) < 4 * se);
  CHECK(sub.diffusion_bpd != doctest::Approx(want.diffusion / std::log(2.0)).epsilon(1e-9));
  // T − 1 strata are the full sum.
  VlbTerms all = variational_bound_bpd(offset_model(s, x0, delta), s, x0, gen,
                                       {.posterior_variance = false, .timesteps = 4});
  CHECK(all.diffusion_bpd == doctest::Approx(want.diffusion / std::log(2.0)).epsilon(1e-9));

  Tensor small = x0.narrow(0, 0, 2);
  CHECK_ZG_ERROR(
      variational_bound_bpd(offset_model(s, small, delta), s, small, gen, {.timesteps = 5}),
      "variational_bound_bpd", "timesteps = 5");
  EpsilonModel wrong = [](const Tensor& x_t, const Tensor&) { return x_t.reshape({-1}); };
  CHECK_ZG_ERROR(variational_bound_bpd(wrong, s, small, gen), "variational_bound_bpd", "eps_model",
                 "[2]");
}
