/// \file
/// The DDPM noise schedule and the closed forms built on it (D13–D15 of DERIVATIONS.md).
///
/// Index convention: t runs 1..T; arrays have T+1 entries and entry 0 stands for t = 0
/// (β_0 = 0, ᾱ_0 = 1), so ᾱ_{t−1} is always alpha_bar[t − 1], including at t = 1.
#pragma once
#include <string>
#include <vector>

namespace zg::models {

struct DiffusionSchedule {
  int T = 0;
  std::vector<double> beta, alpha, alpha_bar;
  /// 1 − ᾱ_t computed as −expm1(Σ log1p(−β_s)): at small t, 1 − ᾱ_t ≈ β_1 is far below 1
  /// and the plain subtraction would lose ~4 of float64's 16 digits.
  std::vector<double> one_minus_alpha_bar;

  /// The β_1..β_T given (each in (0, 1)); every other array follows from them.
  static DiffusionSchedule from_betas(const std::vector<double>& betas);
  /// β linear from beta_start to beta_end over t = 1..T (Ho et al. 2020: 1e-4 → 0.02, T = 1000).
  static DiffusionSchedule linear(int T = 1000, double beta_start = 1e-4, double beta_end = 0.02);
  /// Nichol & Dhariwal 2021: ᾱ(t) = f(t)/f(0), f(t) = cos²((t/T + s)/(1 + s)·π/2), and
  /// β_t = 1 − ᾱ_t/ᾱ_{t−1} clipped to ≤ kCosineMaxBeta (f(T) = 0 would make β_T = 1);
  /// ᾱ is then the product of the clipped α, so only ᾱ_T departs from f(T)/f(0) = 0.
  static DiffusionSchedule cosine(int T = 1000, double s = 0.008);
  static constexpr double kCosineMaxBeta = 0.999;
  /// "linear" or "cosine" with their defaults (the CLI's --schedule).
  static DiffusionSchedule from_name(const std::string& name, int T = 1000);

  /// q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I), ᾱ_t = Π_{s ≤ t} α_s (D13).
  double marginal_mean_coef(int t) const;
  double marginal_variance(int t) const;
  /// q(x_{t−1} | x_t, x_0) = N(c0·x_0 + ct·x_t, β̃_t) (D14):
  /// \code{.unparsed}
  ///   β̃_t = (1 − ᾱ_{t−1}) / (1 − ᾱ_t) · β_t
  ///   c0 = √ᾱ_{t−1} · β_t / (1 − ᾱ_t),  ct = √α_t · (1 − ᾱ_{t−1}) / (1 − ᾱ_t)
  /// \endcode
  double posterior_variance(int t) const;
  double posterior_coef_x0(int t) const;
  double posterior_coef_xt(int t) const;
  /// The posterior mean written with the noise ε instead of x_0 (D15):
  /// \code{.unparsed}
  ///   μ̃_t = (x_t − β_t / √(1 − ᾱ_t) · ε) / √α_t
  /// \endcode
  double posterior_mean_from_eps(int t, double x_t, double eps) const;
  double snr(int t) const { return alpha_bar[t] / one_minus_alpha_bar[t]; }
};

}  // namespace zg::models
