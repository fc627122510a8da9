// D12–D15 — the forward process of DDPM.
//
// D12: q(x_t|x_{t−1}) = N(√α_t x_{t−1}, β_t) iterated T = 1000 times takes a non-Gaussian x_0
//      to N(0, 1): mean 0, variance 1, kurtosis 3 within Monte Carlo error (4 standard
//      errors: sd/√n, √((m4 − m2²)/n), and √(24/n) for the kurtosis of a normal sample). The
//      starts have mean 0 and variance ≠ 1, so what is forgotten is their spread and shape
//      (a start with mean m keeps √ᾱ_T·m = 0.0064·m, which n = 30 000 could not resolve).
//      At t = 10 the kurtosis is still the start's: that row must disagree with 3.
// D13: iterating q(x_t|x_{t−1}) = N(√α_t x_{t−1}, β_t) t times gives
//      q(x_t|x_0) = N(√ᾱ_t x_0, 1 − ᾱ_t) with ᾱ_t = Π_{s≤t} α_s (the text's product up to T
//      is an erratum). Checked by Monte Carlo on the framework's RNG (tolerance 4 standard
//      errors: sd/√n for the mean, σ²·√(2/(n−1)) for the variance) and by iterating the
//      moment recursion m ← √α m, v ← α v + β exactly (float64 rounding).
// D14: Bayes' rule q(x_{t−1}|x_t,x_0) = q(x_t|x_{t−1}) q(x_{t−1}|x_0) / q(x_t|x_0) is the
//      Gaussian N(μ̃_t, β̃_t) of DiffusionSchedule, pointwise on a grid (log densities).
// D15: substituting x_0 = (x_t − √(1−ᾱ_t) ε)/√ᾱ_t gives μ̃_t = (x_t − β_t/√(1−ᾱ_t) ε)/√α_t
//      (the text's μ_θ line writes 1/√ᾱ_t — an erratum, checked to be wrong).
// Identity tolerances are float64 rounding: 64·ε_mach times the largest term involved.
#include <algorithm>
#include <cmath>

#include "models/derivations.h"
#include "models/diffusion_schedule.h"
#include "tensor/generator.h"
#include "tensor/tensor.h"

namespace zg::models {

namespace {

constexpr double kEps = 2.220446049250313e-16;
constexpr double kLog2Pi = 1.8378770664093453;

double log_normal(double x, double mean, double var) {
  return -0.5 * (x - mean) * (x - mean) / var - 0.5 * std::log(var) - 0.5 * kLog2Pi;
}

struct SampleMoments {
  double mean, var, kurtosis, se_mean, se_var, se_kurtosis;
};

SampleMoments sample_moments(const Tensor& x) {
  const double n = static_cast<double>(x.numel());
  const double mean = x.mean().item<double>();
  const Tensor c = x - mean;
  const double m2 = c.square().mean().item<double>(), m4 = c.pow(4.0).mean().item<double>();
  return {mean,
          m2,
          m4 / (m2 * m2),
          std::sqrt(m2 / n),
          std::sqrt((m4 - m2 * m2) / n),
          std::sqrt(24.0 / n)};
}

}  // namespace

std::vector<DerivationRow> check_d12_forgetting(uint64_t seed) {
  const auto s = DiffusionSchedule::linear();
  Generator gen(seed + 12);
  const int64_t n = 30'000;
  // Row 0: −2 w.p. 0.6, 3 w.p. 0.4 (mean 0, variance 6, kurtosis 7/6, skewed);
  // row 1: uniform on [−3, 3] (variance 3, kurtosis 1.8).
  Tensor two_point =
      where(rand({n}, gen, kFloat64).lt(0.6), full({n}, -2.0, kFloat64), full({n}, 3.0, kFloat64));
  Tensor x = stack({two_point, rand({n}, gen, kFloat64) * 6.0 - 3.0});
  const char* names[] = {"two-point", "uniform"};
  std::vector<DerivationRow> rows;
  for (int t = 1; t <= s.T; ++t) {
    x.mul_(std::sqrt(s.alpha[t])).add_(randn({2, n}, gen, kFloat64), std::sqrt(s.beta[t]));
    if (t != 10 && t != s.T) continue;
    for (int64_t k = 0; k < 2; ++k) {
      const SampleMoments m = sample_moments(x.select(0, k));
      if (t == 10) {
        rows.push_back({"D12", fmt::format("{:<9} t=10 kurtosis = 3 (not yet forgotten)", names[k]),
                        3.0, m.kurtosis, std::abs(m.kurtosis - 3), 4 * m.se_kurtosis, true});
        continue;
      }
      rows.push_back({"D12", fmt::format("{:<9} t=T  mean -> 0", names[k]), 0.0, m.mean,
                      std::abs(m.mean), 4 * m.se_mean});
      rows.push_back({"D12", fmt::format("{:<9} t=T  variance -> 1", names[k]), 1.0, m.var,
                      std::abs(m.var - 1), 4 * m.se_var});
      rows.push_back({"D12", fmt::format("{:<9} t=T  kurtosis -> 3", names[k]), 3.0, m.kurtosis,
                      std::abs(m.kurtosis - 3), 4 * m.se_kurtosis});
    }
  }
  return rows;
}

std::vector<DerivationRow> check_d13_closed_form(uint64_t seed) {
  const auto s = DiffusionSchedule::linear();
  Generator gen(seed);
  const int64_t n = 100'000;
  const double x0 = 1.5;
  std::vector<DerivationRow> rows;
  Tensor x = full({n}, x0, kFloat64);
  double m = x0, v = 0, worst_recursion = 0;
  for (int t = 1; t <= s.T; ++t) {
    x = x * std::sqrt(s.alpha[t]) + randn({n}, gen, kFloat64) * std::sqrt(s.beta[t]);
    m *= std::sqrt(s.alpha[t]);
    v = s.alpha[t] * v + s.beta[t];
    worst_recursion = std::max({worst_recursion, std::abs(m - s.marginal_mean_coef(t) * x0),
                                std::abs(v - s.marginal_variance(t))});
    if (t != 1 && t != 10 && t != 100 && t != 500 && t != 1000) continue;
    const double mean = s.marginal_mean_coef(t) * x0, var = s.marginal_variance(t);
    const double sample_mean = x.mean().item<double>(), sample_var = x.var().item<double>();
    rows.push_back({"D13", fmt::format("t={:<4} mean of t steps = sqrt(abar_t) x0", t), mean,
                    sample_mean, std::abs(sample_mean - mean), 4 * std::sqrt(var / n)});
    rows.push_back({"D13", fmt::format("t={:<4} var of t steps = 1 - abar_t", t), var, sample_var,
                    std::abs(sample_var - var), 4 * var * std::sqrt(2.0 / (n - 1))});
    if (t == 100) {  // the text's ᾱ "up to T" predicts a mean that the chain does not have
      double text_mean = std::sqrt(s.alpha_bar[s.T]) * x0;
      rows.push_back({"D13", "t=100  text's abar up to T (erratum) != mean", text_mean, sample_mean,
                      std::abs(sample_mean - text_mean), 4 * std::sqrt(var / n), true});
    }
  }
  rows.push_back({"D13", "moment recursion = closed form, all t", 0.0, worst_recursion,
                  worst_recursion, 64 * kEps * s.T});
  return rows;
}

std::vector<DerivationRow> check_d14_posterior(uint64_t seed) {
  const auto s = DiffusionSchedule::linear();
  Generator gen(seed + 14);
  std::vector<DerivationRow> rows;
  const double x0 = 0.7;
  for (int t : {2, 10, 500, 1000}) {
    // A typical x_t for this x_0, then x_{t−1} on a grid of ±8 posterior sd around μ̃.
    double xt = s.marginal_mean_coef(t) * x0 +
                std::sqrt(s.marginal_variance(t)) * randn({}, gen, kFloat64).item<double>();
    double mean = s.posterior_coef_x0(t) * x0 + s.posterior_coef_xt(t) * xt;
    double var = s.posterior_variance(t);
    double text_mean =
        std::sqrt(s.alpha_bar[t - 1] * s.beta[t]) / s.one_minus_alpha_bar[t] * x0 +
        std::sqrt(s.alpha_bar[t] * s.one_minus_alpha_bar[t - 1]) / s.one_minus_alpha_bar[t] * xt;
    double worst = 0, worst_text = 0, biggest = 0, at = 0;
    for (int i = 0; i <= 2000; ++i) {
      double x = mean + (i - 1000) / 1000.0 * 8 * std::sqrt(var);
      double a = log_normal(xt, std::sqrt(s.alpha[t]) * x, s.beta[t]);
      double b = log_normal(x, s.marginal_mean_coef(t - 1) * x0, s.marginal_variance(t - 1));
      double c = log_normal(xt, s.marginal_mean_coef(t) * x0, s.marginal_variance(t));
      double bayes = a + b - c;
      double err = std::abs(bayes - log_normal(x, mean, var));
      if (err > worst) worst = err, at = x;
      worst_text = std::max(worst_text, std::abs(bayes - log_normal(x, text_mean, var)));
      biggest = std::max({biggest, std::abs(a), std::abs(b), std::abs(c)});
    }
    (void)at;
    rows.push_back({"D14", fmt::format("t={:<4} Bayes = N(mu~, beta~) on a grid (log)", t), 0.0,
                    worst, worst, 64 * kEps * biggest});
    rows.push_back({"D14", fmt::format("t={:<4} text's sqrt(beta), abar_t (erratum) != Bayes", t),
                    0.0, worst_text, worst_text, 64 * kEps * biggest, true});
  }
  // t = 1: β̃_1 = 0, and μ̃_1 = x_0 exactly (coefficients 1 and 0).
  double t1 = std::abs(s.posterior_coef_x0(1) - 1) + std::abs(s.posterior_coef_xt(1)) +
              std::abs(s.posterior_variance(1));
  rows.push_back({"D14", "t=1    beta~_1 = 0 and mu~_1 = x_0", 0.0, t1, t1, 4 * kEps});
  return rows;
}

std::vector<DerivationRow> check_d15_eps_mean(uint64_t seed) {
  const auto s = DiffusionSchedule::linear();
  Generator gen(seed + 15);
  const int64_t n = 1000;
  auto x0s = randn({n}, gen, kFloat64).to_vector<double>();
  auto eps = randn({n}, gen, kFloat64).to_vector<double>();
  double worst = 0, worst_rel_text = 0, scale = 0;
  for (int t = 1; t <= s.T; ++t) {
    for (int64_t i = 0; i < n; ++i) {
      double xt = s.marginal_mean_coef(t) * x0s[i] + std::sqrt(s.marginal_variance(t)) * eps[i];
      double from_x0 = s.posterior_coef_x0(t) * x0s[i] + s.posterior_coef_xt(t) * xt;
      double from_eps = s.posterior_mean_from_eps(t, xt, eps[i]);
      double text = (xt - s.beta[t] / std::sqrt(s.one_minus_alpha_bar[t]) * eps[i]) /
                    std::sqrt(s.alpha_bar[t]);
      worst = std::max(worst, std::abs(from_x0 - from_eps));
      scale = std::max(
          {scale, std::abs(xt) / std::sqrt(s.alpha[t]), std::abs(x0s[i]), std::abs(eps[i])});
      if (t == 500) worst_rel_text = std::max(worst_rel_text, std::abs(text - from_x0));
    }
  }
  return {
      {"D15", "mu~(x0, xt) = (xt - beta/sqrt(1-abar) eps)/sqrt(a)", 0.0, worst, worst,
       64 * kEps * scale},
      {"D15", "t=500 text's 1/sqrt(abar_t) (erratum) != mu~", 0.0, worst_rel_text, worst_rel_text,
       64 * kEps * scale, true},
  };
}

}  // namespace zg::models
