// D6 — the KL divergence between Gaussians.
//
//   KL(N(μ1,σ1²) ‖ N(μ2,σ2²)) = log(σ2/σ1) + (σ1² + (μ1−μ2)²)/(2σ2²) − 1/2
//
// (the source text writes log(σ1²/σ2²) for the first term — an erratum, checked below to
// be wrong), and for a diagonal q against N(0, I): ½ Σ (μ² + σ² − 1 − log σ²).
// Monte Carlo: KL(p‖q) = E_p[log p(x) − log q(x)], estimated from n samples of p with
// standard error sd/√n; the tolerance is 4 standard errors.
#include <algorithm>
#include <cmath>

#include "autograd/engine.h"
#include "models/derivations.h"
#include "nn/functional.h"
#include "tensor/generator.h"

namespace zg::models {

namespace {

constexpr double kLog2Pi = 1.8378770664093453;

// log N(x; mu, sigma²), elementwise.
Tensor normal_log_density(const Tensor& x, const Tensor& mu, const Tensor& sigma) {
  return -0.5 * ((x - mu) / sigma).square() - sigma.log() - 0.5 * kLog2Pi;
}

struct MonteCarlo {
  double mean, standard_error;
};
MonteCarlo estimate(const Tensor& samples) {
  double n = static_cast<double>(samples.numel());
  return {samples.mean().item<double>(), std::sqrt(samples.var().item<double>() / n)};
}

}  // namespace

std::vector<DerivationRow> check_d6_gaussian_kl(uint64_t seed) {
  Generator gen(seed);
  std::vector<DerivationRow> rows;
  const int64_t n = 1'000'000;

  // 1-D: p = N(0.3, 0.8²), q = N(−0.5, 1.3²), in both directions (KL is not symmetric).
  const double mu1 = 0.3, s1 = 0.8, mu2 = -0.5, s2 = 1.3;
  auto closed_kl = [](double ma, double sa, double mb, double sb) {
    return std::log(sb / sa) + (sa * sa + (ma - mb) * (ma - mb)) / (2 * sb * sb) - 0.5;
  };
  auto monte_carlo_kl = [&](double ma, double sa, double mb, double sb) {
    Tensor x = randn({n}, gen, kFloat64) * sa + ma;
    return estimate(
        normal_log_density(x, scalar_tensor(ma, kFloat64), scalar_tensor(sa, kFloat64)) -
        normal_log_density(x, scalar_tensor(mb, kFloat64), scalar_tensor(sb, kFloat64)));
  };
  const double closed = closed_kl(mu1, s1, mu2, s2);
  const double text = closed - std::log(s2 / s1) + std::log(s1 * s1 / (s2 * s2));
  MonteCarlo mc = monte_carlo_kl(mu1, s1, mu2, s2);
  rows.push_back({"D6", "KL(N1||N2) 1-D closed form = MC (n=1e6)", closed, mc.mean,
                  std::abs(closed - mc.mean), 4 * mc.standard_error});
  rows.push_back({"D6", "text's log(s1^2/s2^2) form (erratum) != MC", text, mc.mean,
                  std::abs(text - mc.mean), 4 * mc.standard_error, true});
  const double reverse = closed_kl(mu2, s2, mu1, s1);
  MonteCarlo mc_rev = monte_carlo_kl(mu2, s2, mu1, s1);
  rows.push_back({"D6", "KL(N2||N1) closed form = MC (n=1e6)", reverse, mc_rev.mean,
                  std::abs(reverse - mc_rev.mean), 4 * mc_rev.standard_error});

  // Diagonal q = N(μ, diag σ²) in 4-D against N(0, I): the VAE's KL term.
  Tensor mu = tensor({0.5, -1.0, 0.1, 2.0}, kFloat64);
  Tensor logvar = tensor({-0.7, 0.4, 0.0, -2.0}, kFloat64);
  Tensor sigma = (0.5 * logvar).exp();
  double diag_closed = nn::functional::gaussian_kl_standard(mu, logvar).sum().item<double>();
  Tensor z = randn({n, 4}, gen, kFloat64) * sigma + mu;
  Tensor diag_ratio = (normal_log_density(z, mu, sigma) -
                       normal_log_density(z, zeros({}, kFloat64), ones({}, kFloat64)))
                          .sum({1});
  MonteCarlo mc_diag = estimate(diag_ratio);
  rows.push_back({"D6", "KL(N(mu,diag s^2)||N(0,I)) 4-D = MC (n=1e6)", diag_closed, mc_diag.mean,
                  std::abs(diag_closed - mc_diag.mean), 4 * mc_diag.standard_error});

  // The gradient the VAE trains with: d/dμ = μ, d/dlogσ² = ½(σ² − 1), by autograd.
  Tensor mu_l = mu.clone().requires_grad_(), logvar_l = logvar.clone().requires_grad_();
  auto g = autograd::grad({nn::functional::gaussian_kl_standard(mu_l, logvar_l).sum()},
                          {mu_l, logvar_l});
  double grad_err = std::max((g[0] - mu).abs().max().item<double>(),
                             (g[1] - 0.5 * (logvar.exp() - 1.0)).abs().max().item<double>());
  // Float64 rounding of a handful of operations on O(1) values.
  rows.push_back({"D6", "autograd dKL/d(mu, logvar) = (mu, (s^2-1)/2)", 0.0, grad_err, grad_err,
                  64 * 2.2e-16 * 8});

  // The general form against central differences in each of its four parameters; the
  // O(h²) truncation with h = 1e-5 and O(1) third derivatives is ≲ 1e-10.
  Tensor p = tensor({mu1, 2 * std::log(s1), mu2, 2 * std::log(s2)}, kFloat64).requires_grad_();
  auto kl = [](const Tensor& q) {
    return nn::functional::gaussian_kl(q.select(0, 0), q.select(0, 1), q.select(0, 2),
                                       q.select(0, 3));
  };
  Tensor analytic_grad = autograd::grad({kl(p)}, {p})[0];
  double fd_err = 0;
  for (int i = 0; i < 4; ++i) {
    const double h = 1e-5;
    Tensor e = zeros({4}, kFloat64);
    e.narrow(0, i, 1).fill_(h);
    double fd = (kl(p.detach() + e).item<double>() - kl(p.detach() - e).item<double>()) / (2 * h);
    fd_err = std::max(fd_err, std::abs(fd - analytic_grad.select(0, i).item<double>()));
  }
  rows.push_back({"D6", "autograd grad of general KL = finite diff.", 0.0, fd_err, fd_err, 1e-8});
  rows.push_back(
      {"D6", "KL(N1||N1) = 0", 0.0,
       kl(tensor({mu1, 2 * std::log(s1), mu1, 2 * std::log(s1)}, kFloat64)).item<double>(),
       std::abs(
           kl(tensor({mu1, 2 * std::log(s1), mu1, 2 * std::log(s1)}, kFloat64)).item<double>()),
       1e-15});
  return rows;
}

}  // namespace zg::models
