// D8–D10 — reparameterisation, the ELBO identity, and the importance-weighted bound.
//
// D8. z = μ + σε, ε ~ N(0, 1), turns E_q[f(z)] into E_ε[f(μ + σε)], whose gradient in (μ, σ)
// is an expectation of autograd gradients. For f(z) = z²: E = μ² + σ², ∇ = (2μ, 2σ). The
// per-sample gradients are (2z, 2zε). The score-function (REINFORCE) estimator
// f(z)·∇ log q(z) = z²·(ε/σ, (ε² − 1)/σ) is unbiased too (no baseline here) but far noisier.
// Both per-sample variances are known in closed form from the moments of ε (E ε^(2k) =
// (2k−1)!!); the rows check the means and the variances against them, within 4 standard
// errors of n = 1e5 samples, and that REINFORCE's variance is larger.
//
// D9. For any q, log p(x) = ELBO(q) + KL(q ‖ p(z|x)), ELBO(q) = E_q[log p(x, z) − log q(z)]
// (so ELBO ≤ log p(x)). On the linear-Gaussian model (models/derivations_elbo.h) everything is
// closed form: with q = N(m, v),
//   ELBO = −½log(2πs²) − ((x − b − wm)² + w²v)/(2s²) − ½log(2π) − (m² + v)/2 + ½log(2πev).
// Maximising the ELBO over (m, log v) therefore finds the posterior. Two ways, both plain
// gradient ascent (SGD) through the framework's autograd:
//  - the closed-form ELBO. It is separable: ∂/∂m = −(m − μ*)/v*, ∂/∂log v = ½(1 − v/v*), so
//    stopping at |∂| < g_tol bounds |m − μ*| ≤ v*·g_tol and |v − v*| ≤ 2v*·g_tol exactly;
//  - the reparameterised Monte Carlo ELBO a VAE uses, mean_i log p(x, m + √v ε_i) + entropy,
//    with n fixed draws ε_i. Its maximiser is m̂ = μ* − √v̂ ε̄, v̂ = v*/S² (ε̄, S² the sample
//    mean and biased variance of ε), so it lies within Monte Carlo error of the posterior:
//    SE(m̂) ≈ √(v*/n), SE(v̂) ≈ v*√(2/n); at 4 SE the KL gap is ≈ ½(16/n + 16/n) = 16/n.
// (The source text's own Jensen line writes "≥ q(z|x)∫ log(...)dz", pulling q out of the
// integral; the bound is E_q[log p(x,z)/q(z)], as written here.)
//
// D10 (beyond the text). The importance-weighted bound
//   IWAE_K = E[log (1/K) Σ_k w_k],  w_k = p(x, z_k)/q(z_k),  z_k ~ q,
// is ≤ log p(x) (Jensen), non-decreasing in K (Burda et al. 2016), equals the ELBO at K = 1 and
// tends to log p(x). Each estimate is the mean of R independent log-mean-exps of K
// log-weights (nn::functional::log_mean_exp: stable for log-weights hundreds of nats apart),
// with standard error sd/√R; q is the prior N(0, 1), far from the posterior. Rows: each
// IWAE_K ≤ log p(x) within 4 SE, IWAE_1 = ELBO(q), and each step in K non-decreasing within
// 4 SE of the difference (the gap log p(x) − IWAE_K shrinks).
#include "models/derivations_elbo.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "autograd/engine.h"
#include "nn/functional.h"
#include "optim/sgd.h"
#include "tensor/generator.h"

namespace zg::models {

namespace {

constexpr double kLog2Pi = 1.8378770664093453;
constexpr double kEps = std::numeric_limits<double>::epsilon();
constexpr double kSE = 4;  // every Monte Carlo row allows this many standard errors

struct Estimate {
  double mean, se;
};
Estimate estimate(const Tensor& samples) {
  const auto n = static_cast<double>(samples.numel());
  return {samples.mean().item<double>(), std::sqrt(samples.var().item<double>() / n)};
}
// The per-sample variance of `samples` and the standard error of that variance estimate.
Estimate variance_estimate(const Tensor& samples) {
  return estimate((samples - samples.mean()).square());
}

// E ε^k for ε ~ N(0, 1): 0 for odd k, (k−1)!! for even k.
double normal_moment(int k) {
  if (k % 2) return 0;
  double m = 1;
  for (int j = k - 1; j > 1; j -= 2) m *= j;
  return m;
}
// E[(μ + σε)^4 · ε^j], by the binomial expansion.
double moment_z4_eps(double mu, double sigma, int j) {
  const double binom[5] = {1, 4, 6, 4, 1};
  double s = 0;
  for (int k = 0; k <= 4; ++k)
    s += binom[k] * std::pow(mu, 4 - k) * std::pow(sigma, k) * normal_moment(k + j);
  return s;
}

}  // namespace

// ---- the model -----------------------------------------------------------------------------

double LinearGaussian::log_evidence(double x) const {
  const double var = w * w + s * s;
  return -0.5 * (kLog2Pi + std::log(var) + (x - b) * (x - b) / var);
}

Gaussian1 LinearGaussian::posterior(double x) const {
  const double var = w * w + s * s;
  return {w * (x - b) / var, s * s / var};
}

double LinearGaussian::elbo(double x, Gaussian1 q) const {
  const double r = x - b - w * q.mean;
  const double log_lik = -0.5 * (kLog2Pi + std::log(s * s)) - (r * r + w * w * q.var) / (2 * s * s);
  const double log_prior = -0.5 * kLog2Pi - 0.5 * (q.mean * q.mean + q.var);
  const double entropy = 0.5 * (kLog2Pi + 1.0 + std::log(q.var));
  return log_lik + log_prior + entropy;
}

Tensor LinearGaussian::log_joint(double x, const Tensor& z) const {
  return normal_log_prob(z, {0.0, 1.0}) - 0.5 * (kLog2Pi + std::log(s * s)) -
         (x - (w * z + b)).square() / (2 * s * s);
}

Tensor normal_log_prob(const Tensor& z, Gaussian1 q) {
  return -0.5 * (kLog2Pi + std::log(q.var)) - (z - q.mean).square() / (2 * q.var);
}

// KL(a ‖ b) for 1-D Gaussians through the framework's D6 formula.
static double kl1(Gaussian1 a, Gaussian1 b) {
  auto t = [](double v) { return scalar_tensor(v, kFloat64); };
  return nn::functional::gaussian_kl(t(a.mean), t(std::log(a.var)), t(b.mean), t(std::log(b.var)))
      .item<double>();
}

DerivationRow elbo_identity_row(const LinearGaussian& model, double x, Gaussian1 q,
                                Gaussian1 posterior) {
  const double log_px = model.log_evidence(x), elbo = model.elbo(x, q), kl = kl1(q, posterior);
  // A dozen roundings on each of three O(|value|) quantities.
  const double tol = 64 * kEps * (std::abs(log_px) + std::abs(elbo) + std::abs(kl) + 1);
  return {"D9",
          fmt::format("log p(x) = ELBO + KL(q||p(z|x)), q=N({:.3g},{:.3g})", q.mean, q.var),
          log_px,
          elbo + kl,
          std::abs(log_px - elbo - kl),
          tol};
}

DerivationRow elbo_identity_mc_row(const LinearGaussian& model, double x, Gaussian1 q,
                                   Gaussian1 posterior, int64_t n, uint64_t seed) {
  Generator gen(seed);
  Tensor z = q.mean + std::sqrt(q.var) * randn({n}, gen, kFloat64);
  Tensor ratio = model.log_joint(x, z) - normal_log_prob(z, q);
  Estimate elbo = estimate(ratio);
  const double target = model.log_evidence(x) - kl1(q, posterior);
  // At q = posterior every sample equals log p(x): the SE is 0 and only rounding remains —
  // a few ulps per sample, and the sum of n of them, whose error grows up to n·ε·mean|v|
  // when summed in one sequential pass (one thread).
  const double rounding = (64 + static_cast<double>(n)) * kEps *
                          (ratio.abs().mean().item<double>() + std::abs(target) + 1);
  return {"D9",
          fmt::format("ELBO by MC (n={}) = log p(x) - KL, q=N({:.3g},{:.3g})", n, q.mean, q.var),
          target,
          elbo.mean,
          std::abs(target - elbo.mean),
          kSE * elbo.se + rounding};
}

// ---- D8 ------------------------------------------------------------------------------------

std::vector<DerivationRow> check_d8_reparameterization(uint64_t seed) {
  Generator gen(seed);
  const int64_t n = 100'000;
  const double mu = 1.0, sigma = 0.5;
  // One leaf per sample, so one backward gives every per-sample gradient.
  Tensor mu_l = full({n}, mu, kFloat64).requires_grad_();
  Tensor sigma_l = full({n}, sigma, kFloat64).requires_grad_();
  Tensor eps = randn({n}, gen, kFloat64);
  Tensor z = mu_l + sigma_l * eps;
  auto reparam = autograd::grad({z.square().sum()}, {mu_l, sigma_l});
  // REINFORCE: f(z)·∇ log q(z; μ, σ) with z held fixed — the gradient of the surrogate
  // f(z)·log q(z) with f and z detached.
  Tensor zd = z.detach();
  Tensor log_q = -0.5 * ((zd - mu_l) / sigma_l).square() - sigma_l.log() - 0.5 * kLog2Pi;
  auto score = autograd::grad({(zd.square() * log_q).sum()}, {mu_l, sigma_l});

  // Per-sample variances in closed form.
  const double var_rep_mu = 4 * sigma * sigma;
  const double var_rep_sigma = 4 * (mu * mu + 2 * sigma * sigma);  // Var 2(με + σε²)
  const double var_sf_mu = moment_z4_eps(mu, sigma, 2) / (sigma * sigma) - 4 * mu * mu;
  const double var_sf_sigma = (moment_z4_eps(mu, sigma, 4) - 2 * moment_z4_eps(mu, sigma, 2) +
                               moment_z4_eps(mu, sigma, 0)) /
                                  (sigma * sigma) -
                              4 * sigma * sigma;

  std::vector<DerivationRow> rows;
  const char* names[2] = {"mu", "sigma"};
  const double truth[2] = {2 * mu, 2 * sigma};
  const double var_rep[2] = {var_rep_mu, var_rep_sigma}, var_sf[2] = {var_sf_mu, var_sf_sigma};
  for (int i = 0; i < 2; ++i) {
    Estimate r = estimate(reparam[i]), s = estimate(score[i]);
    rows.push_back(
        {"D8",
         fmt::format("reparam autograd dE/d{} = {} (n=1e5)", names[i], i ? "2 sigma" : "2 mu"),
         truth[i], r.mean, std::abs(r.mean - truth[i]), kSE * r.se});
    rows.push_back({"D8", fmt::format("REINFORCE dE/d{} (unbiased, same n)", names[i]), truth[i],
                    s.mean, std::abs(s.mean - truth[i]), kSE * s.se});
    Estimate vr = variance_estimate(reparam[i]), vs = variance_estimate(score[i]);
    rows.push_back({"D8", fmt::format("per-sample variance, reparam d/d{}", names[i]), var_rep[i],
                    vr.mean, std::abs(vr.mean - var_rep[i]), kSE * vr.se});
    rows.push_back({"D8", fmt::format("per-sample variance, REINFORCE d/d{}", names[i]), var_sf[i],
                    vs.mean, std::abs(vs.mean - var_sf[i]), kSE * vs.se});
    // var_REINFORCE > var_reparam: "equal variances" is rejected when the measured difference
    // exceeds 4 SE of the (paired) difference; the error column is var_RF − var_rep, signed.
    Tensor diff = (score[i] - score[i].mean()).square() - (reparam[i] - reparam[i].mean()).square();
    Estimate d = estimate(diff);
    rows.push_back({"D8", fmt::format("var REINFORCE > var reparam (d/d{})", names[i]), vr.mean,
                    vs.mean, d.mean, kSE * d.se, true});
  }
  return rows;
}

// ---- D9 ------------------------------------------------------------------------------------

namespace {

// Gradient ascent (SGD on −objective) over θ = (m, log v) until every |∂objective/∂θ| < g_tol.
// Returns the final q and whether the criterion was met.
template <class Objective>
std::pair<Gaussian1, bool> ascend(Objective objective, double lr, double g_tol, int max_steps) {
  Tensor theta = tensor({0.0, 0.0}, kFloat64).requires_grad_();  // start at the prior N(0, 1)
  optim::SGD opt({theta}, {.lr = lr});
  bool converged = false;
  for (int step = 0; step < max_steps && !converged; ++step) {
    opt.zero_grad();
    (-objective(theta.select(0, 0), theta.select(0, 1))).backward();
    converged = theta.grad().abs().max().item<double>() < g_tol;
    if (!converged) opt.step();
  }
  auto v = theta.detach().to_vector<double>();
  return {{v[0], std::exp(v[1])}, converged};
}

}  // namespace

std::vector<DerivationRow> check_d9_elbo(uint64_t seed) {
  const LinearGaussian model;
  const double x = 2.0;
  const Gaussian1 post = model.posterior(x);
  const double log_px = model.log_evidence(x);
  std::vector<DerivationRow> rows;

  const Gaussian1 qs[4] = {{0.0, 1.0}, {-1.0, 0.3}, {2.0, 2.0}, post};
  for (const Gaussian1& q : qs) rows.push_back(elbo_identity_row(model, x, q, post));
  for (int i = 0; i < 4; ++i)
    rows.push_back(elbo_identity_mc_row(model, x, qs[i], post, 100'000, seed + i));

  // Closed-form ELBO through the framework, ascended with SGD.
  const double w = model.w, b = model.b, s = model.s;
  auto closed = [&](const Tensor& m, const Tensor& logv) {
    Tensor v = logv.exp();
    return -0.5 * (kLog2Pi + std::log(s * s)) -
           ((x - b - w * m).square() + w * w * v) / (2 * s * s) - 0.5 * kLog2Pi -
           0.5 * (m.square() + v) + 0.5 * (kLog2Pi + 1.0 + logv);
  };
  const double g_tol = 1e-10;
  auto [q, ok] = ascend(closed, 0.2, g_tol, 2000);
  const double round_m = 64 * kEps * (std::abs(post.mean) + 1), round_v = 64 * kEps * post.var;
  rows.push_back(
      {"D9",
       fmt::format("SGD on closed-form ELBO: m -> posterior mean{}", ok ? "" : " (NOT converged)"),
       post.mean, q.mean, std::abs(q.mean - post.mean), post.var * g_tol + round_m});
  rows.push_back({"D9", "SGD on closed-form ELBO: v -> posterior variance", post.var, q.var,
                  std::abs(q.var - post.var), 2 * post.var * g_tol + round_v});
  const double elbo = model.elbo(x, q);
  // The gap is KL(q ‖ posterior) ≤ ½(v*·g² + 4g²) ≈ 0 at g = g_tol: rounding remains.
  rows.push_back({"D9", "ELBO at the SGD optimum = log p(x)", log_px, elbo, std::abs(log_px - elbo),
                  64 * kEps * (std::abs(log_px) + 10)});

  // Reparameterised Monte Carlo ELBO with n fixed draws, ascended with SGD.
  const int64_t n = 10'000;
  Generator gen(seed + 100);
  Tensor eps = randn({n}, gen, kFloat64);
  auto monte_carlo = [&](const Tensor& m, const Tensor& logv) {
    Tensor z = m + (0.5 * logv).exp() * eps;
    return model.log_joint(x, z).mean() + 0.5 * (kLog2Pi + 1.0 + logv);  // + entropy of q
  };
  auto [qmc, ok_mc] = ascend(monte_carlo, 0.2, g_tol, 2000);
  const double se_m = std::sqrt(post.var / n), se_v = post.var * std::sqrt(2.0 / n);
  rows.push_back({"D9",
                  fmt::format("SGD on reparam MC ELBO (n=1e4): m -> posterior mean{}",
                              ok_mc ? "" : " (NOT converged)"),
                  post.mean, qmc.mean, std::abs(qmc.mean - post.mean), kSE * se_m});
  rows.push_back({"D9", "SGD on reparam MC ELBO (n=1e4): v -> posterior var", post.var, qmc.var,
                  std::abs(qmc.var - post.var), kSE * se_v});
  const double elbo_mc = model.elbo(x, qmc);
  rows.push_back({"D9", "exact ELBO at the MC optimum -> log p(x) (gap <= 16/n)", log_px, elbo_mc,
                  log_px - elbo_mc, 16.0 / n});
  return rows;
}

// ---- D10 -----------------------------------------------------------------------------------

std::vector<DerivationRow> check_d10_iwae(uint64_t seed) {
  const LinearGaussian model;
  const double x = 2.0;
  const Gaussian1 q{0.0, 1.0};  // the prior: a poor proposal, KL(q ‖ posterior) ≈ 2.4 nats
  const double log_px = model.log_evidence(x);
  Generator gen(seed);
  std::vector<DerivationRow> rows;
  std::vector<std::pair<int64_t, Estimate>> bounds;
  for (int64_t k : {1, 10, 100, 1000}) {
    // R repetitions of each K-sample estimate: 5e5 samples in all (so the small K, whose
    // log-weights vary most — sd ≈ 4.3 nats at K = 1 — get many), and at least R = 1000;
    // drawn in chunks of ≤ 2^18 samples to keep the buffers small.
    const int64_t reps = std::max<int64_t>(1000, 500'000 / k);
    const int64_t chunk = std::max<int64_t>(1, (int64_t{1} << 18) / k);
    std::vector<Tensor> parts;
    for (int64_t r = 0; r < reps; r += chunk) {
      Tensor z = q.mean + std::sqrt(q.var) * randn({std::min(chunk, reps - r), k}, gen, kFloat64);
      Tensor log_w = model.log_joint(x, z) - normal_log_prob(z, q);
      parts.push_back(nn::functional::log_mean_exp(log_w, 1));
    }
    Estimate e = estimate(cat(parts, 0));
    bounds.push_back({k, e});
    // ≤ log p(x): the error column is the excess over log p(x), 0 when below it.
    rows.push_back({"D10", fmt::format("IWAE K={} <= log p(x) (R={}, error = excess)", k, reps),
                    log_px, e.mean, std::max(0.0, e.mean - log_px), kSE * e.se});
  }
  const double elbo = model.elbo(x, q);
  rows.push_back({"D10", "IWAE K=1 = ELBO(q) closed form", elbo, bounds[0].second.mean,
                  std::abs(bounds[0].second.mean - elbo), kSE * bounds[0].second.se});
  for (size_t i = 1; i < bounds.size(); ++i) {
    const Estimate a = bounds[i - 1].second, c = bounds[i].second;
    // Independent estimates: the SE of the difference is √(se_a² + se_c²).
    rows.push_back(
        {"D10",
         fmt::format("IWAE K={} >= K={} (error = shortfall)", bounds[i].first, bounds[i - 1].first),
         a.mean, c.mean, std::max(0.0, a.mean - c.mean), kSE * std::hypot(a.se, c.se)});
  }
  return rows;
}

}  // namespace zg::models
