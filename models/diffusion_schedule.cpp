#include "models/diffusion_schedule.h"

#include <algorithm>
#include <cmath>

#include "tensor/error.h"

namespace zg::models {

DiffusionSchedule DiffusionSchedule::from_betas(const std::vector<double>& betas) {
  ZG_CHECK(!betas.empty(), "DiffusionSchedule::from_betas: need at least one beta");
  DiffusionSchedule s;
  s.T = static_cast<int>(betas.size());
  s.beta.assign(s.T + 1, 0.0);
  s.alpha.assign(s.T + 1, 1.0);
  s.alpha_bar.assign(s.T + 1, 1.0);
  s.one_minus_alpha_bar.assign(s.T + 1, 0.0);
  double log_alpha_bar = 0;
  for (int t = 1; t <= s.T; ++t) {
    const double b = betas[t - 1];
    ZG_CHECK(b > 0 && b < 1, "DiffusionSchedule::from_betas: beta_{} = {} is not in (0, 1)", t, b);
    s.beta[t] = b;
    s.alpha[t] = 1.0 - b;
    log_alpha_bar += std::log1p(-b);
    s.alpha_bar[t] = std::exp(log_alpha_bar);
    s.one_minus_alpha_bar[t] = -std::expm1(log_alpha_bar);
  }
  return s;
}

DiffusionSchedule DiffusionSchedule::linear(int T, double beta_start, double beta_end) {
  ZG_CHECK(T >= 1 && beta_start > 0 && beta_end < 1 && beta_start <= beta_end,
           "DiffusionSchedule::linear: need T >= 1 and 0 < beta_start <= beta_end < 1, got T={} "
           "[{}, {}]",
           T, beta_start, beta_end);
  std::vector<double> betas(T);
  for (int t = 1; t <= T; ++t)
    betas[t - 1] = T == 1 ? beta_start : beta_start + (beta_end - beta_start) * (t - 1) / (T - 1);
  return from_betas(betas);
}

DiffusionSchedule DiffusionSchedule::cosine(int T, double s) {
  ZG_CHECK(T >= 1 && s > 0, "DiffusionSchedule::cosine: need T >= 1 and s > 0, got T={} s={}", T,
           s);
  auto angle = [&](int t) { return (static_cast<double>(t) / T + s) / (1 + s) * M_PI / 2; };
  std::vector<double> betas(T);
  for (int t = 1; t <= T; ++t) {
    // 1 − cos²a/cos²b = sin(a − b)·sin(a + b)/cos²b: no cancellation at small t, where
    // ᾱ_t/ᾱ_{t−1} is within 1e-4 of 1.
    const double a = angle(t), b = angle(t - 1);
    betas[t - 1] =
        std::min(kCosineMaxBeta, std::sin(a - b) * std::sin(a + b) / std::pow(std::cos(b), 2));
  }
  return from_betas(betas);
}

DiffusionSchedule DiffusionSchedule::from_name(const std::string& name, int T) {
  if (name == "linear") return linear(T);
  if (name == "cosine") return cosine(T);
  throw Error(fmt::format(
      "DiffusionSchedule::from_name: unknown schedule \"{}\" (expected \"linear\" or \"cosine\")",
      name));
}

double DiffusionSchedule::marginal_mean_coef(int t) const { return std::sqrt(alpha_bar[t]); }
double DiffusionSchedule::marginal_variance(int t) const { return one_minus_alpha_bar[t]; }

double DiffusionSchedule::posterior_variance(int t) const {
  return one_minus_alpha_bar[t - 1] / one_minus_alpha_bar[t] * beta[t];
}
double DiffusionSchedule::posterior_coef_x0(int t) const {
  return std::sqrt(alpha_bar[t - 1]) * beta[t] / one_minus_alpha_bar[t];
}
double DiffusionSchedule::posterior_coef_xt(int t) const {
  return std::sqrt(alpha[t]) * one_minus_alpha_bar[t - 1] / one_minus_alpha_bar[t];
}
double DiffusionSchedule::posterior_mean_from_eps(int t, double x_t, double eps) const {
  return (x_t - beta[t] / std::sqrt(one_minus_alpha_bar[t]) * eps) / std::sqrt(alpha[t]);
}

}  // namespace zg::models
