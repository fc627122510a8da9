#include "models/diffusion_schedule.h"

#include <cmath>

#include "tensor/error.h"

namespace zg::models {

DiffusionSchedule DiffusionSchedule::linear(int T, double beta_start, double beta_end) {
  ZG_CHECK(T >= 1 && beta_start > 0 && beta_end < 1 && beta_start <= beta_end,
           "DiffusionSchedule::linear: need T >= 1 and 0 < beta_start <= beta_end < 1, got T={} "
           "[{}, {}]",
           T, beta_start, beta_end);
  DiffusionSchedule s;
  s.T = T;
  s.beta.assign(T + 1, 0.0);
  s.alpha.assign(T + 1, 1.0);
  s.alpha_bar.assign(T + 1, 1.0);
  s.one_minus_alpha_bar.assign(T + 1, 0.0);
  double log_alpha_bar = 0;
  for (int t = 1; t <= T; ++t) {
    s.beta[t] = T == 1 ? beta_start : beta_start + (beta_end - beta_start) * (t - 1) / (T - 1);
    s.alpha[t] = 1.0 - s.beta[t];
    log_alpha_bar += std::log1p(-s.beta[t]);
    s.alpha_bar[t] = std::exp(log_alpha_bar);
    s.one_minus_alpha_bar[t] = -std::expm1(log_alpha_bar);
  }
  return s;
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
