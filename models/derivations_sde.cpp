// D21 — the SDE view: forward dx = f x dt + g dw with marginal x_t = ā x_0 + b̄ ε, and its
// reverse and probability-flow forms, which models/samplers.cpp uses for every sampler.
//
// 1. f = d ln ā/dt and g² = ā² d/dt(b̄²/ā²) = 2 ā b̄ d/dt(b̄/ā): for the continuous VP
//    schedule of Song et al. 2021 (β(t) = 0.1 + 19.9 t on [0, 1], the T = 1000 DDPM schedule
//    with t = k/T and β(t) = T·β_k) both forms equal β(t) and f = −½β(t); for VE
//    (ā = 1, b̄ = σ(t) = σ_min (σ_max/σ_min)^t), g² = 2σ² ln(σ_max/σ_min). Derivatives by
//    autograd in float64; tolerance 64 ε_mach times the value, over b̄² where 1 − ā²
//    cancels. And the discrete levels: a_k²(λ_k − λ_{k−1}) = β_k exactly (λ = b²/a²).
// 2. Euler–Maruyama on the forward VP-SDE (Δt = 1e-3) from a two-point x_0 (non-Gaussian)
//    gives mean ā E x_0 and variance ā² Var x_0 + b̄²: tolerance 4 standard errors of the
//    10,000 paths plus EM's own bias, exact for a linear SDE from the moment recursion
//    m ← (1 + fΔt) m, v ← (1 + fΔt)² v + g²Δt.
// 3. DDPM's ancestral step is EM on the reverse VP-SDE up to O(β²): at fixed ᾱ_t and with
//    the same ε̂, Taylor expansion in β gives mean_ddpm − mean_EM = β²(x/8 − ε̂/(2b)) + O(β³)
//    and β̃ − g²Δt = β̃ − β = −β²ᾱ_t/(α(1 − ᾱ_t)). Measured at β = 1/1024; tolerance the
//    O(β) remainder, estimated from the change between β and 2β (Richardson) ×2.
// 4. Sampling a 2-D four-mode mixture (weights 0.1–0.4) with its exact score at every level
//    (p_k = Σ w N(a_k μ, a_k²σ² + b_k²)): reverse SDE (all 1000 levels), probability-flow
//    ODE (Heun, 100 levels) and DDIM η = 0 (50 levels). 2000 samples each; MMD² of 1000 of them
//    against 1000 fresh data points within 4 standard deviations of MMD² between two
//    independent data sets of 1000 (RMS of 6 pairs; MMD's cost grows as n²); all four modes
//    covered; each mode's share within 4 binomial SEs of w_k·q, q = P(χ²₂ ≤ 9).
// 5. −ε/b̄ equals ∇_{x_t} log q(x_t|x_0) by autograd, to rounding.
#include <algorithm>
#include <cmath>

#include "autograd/engine.h"
#include "data/toy2d.h"
#include "models/derivations.h"
#include "models/diffusion_schedule.h"
#include "models/noise_levels.h"
#include "models/samplers.h"
#include "models/toy_metrics.h"

namespace zg::models {

namespace {

constexpr double kEps = 2.220446049250313e-16;
constexpr double kBetaMin = 0.1, kBetaMax = 20.0;

double vp_beta(double t) { return kBetaMin + t * (kBetaMax - kBetaMin); }
double vp_log_abar(double t) { return -0.5 * kBetaMin * t - 0.25 * (kBetaMax - kBetaMin) * t * t; }

// d(value)/dt at t by autograd, where value is built by `f` from a float64 scalar t.
template <class F>
double derivative(F f, double t) {
  Tensor tt = scalar_tensor(t, TensorOptions().dtype(kFloat64).requires_grad());
  return autograd::grad({f(tt)}, {tt})[0].template item<double>();
}

void add_f_and_g(std::vector<DerivationRow>& rows) {
  for (double t : {0.01, 0.1, 0.5, 1.0}) {
    auto abar = [](const Tensor& tt) {  // ā = exp(−½ β_min t − ¼ (β_max − β_min) t²)
      return (tt * (-0.5 * kBetaMin) - tt.square() * (0.25 * (kBetaMax - kBetaMin))).exp();
    };
    const double a = std::exp(vp_log_abar(t)), b = std::sqrt(-std::expm1(2 * vp_log_abar(t)));
    const double beta = vp_beta(t);
    const double f = derivative([&](const Tensor& tt) { return abar(tt).log(); }, t);
    const double g2_ratio =
        a * a *
        derivative([&](const Tensor& tt) { return (1.0 - abar(tt).square()) / abar(tt).square(); },
                   t);
    const double g2_product =
        2 * a * b *
        derivative([&](const Tensor& tt) { return (1.0 - abar(tt).square()).sqrt() / abar(tt); },
                   t);
    const double tol = 64 * kEps * beta / (b * b);  // 1 − ā² cancels at small t
    rows.push_back({"D21", fmt::format("VP t={:<4} f = d ln abar/dt = -beta(t)/2", t), -0.5 * beta,
                    f, std::abs(f + 0.5 * beta), 64 * kEps * beta});
    rows.push_back({"D21", fmt::format("VP t={:<4} g^2 = abar^2 d(b^2/abar^2)/dt = beta(t)", t),
                    beta, g2_ratio, std::abs(g2_ratio - beta), tol});
    rows.push_back({"D21", fmt::format("VP t={:<4} g^2 = 2 abar b d(b/abar)/dt = beta(t)", t), beta,
                    g2_product, std::abs(g2_product - beta), tol});
  }
  const double sigma_min = 0.01, sigma_max = 50, t = 0.5;
  auto sigma = [&](const Tensor& tt) {
    return (tt * std::log(sigma_max / sigma_min)).exp() * sigma_min;
  };
  const double s = sigma_min * std::pow(sigma_max / sigma_min, t);
  const double g2 = 2 * s * s * std::log(sigma_max / sigma_min);
  const double g2_ratio = derivative([&](const Tensor& tt) { return sigma(tt).square(); }, t);
  const double g2_product = 2 * s * derivative(sigma, t);
  rows.push_back({"D21", "VE t=0.5  g^2 = d(sigma^2)/dt = 2 sigma^2 ln(smax/smin)", g2, g2_ratio,
                  std::abs(g2_ratio - g2), 64 * kEps * g2});
  rows.push_back({"D21", "VE t=0.5  g^2 = 2 sigma d(sigma)/dt", g2, g2_product,
                  std::abs(g2_product - g2), 64 * kEps * g2});

  // The samplers' discrete dictionary: one DDPM level has g²Δt = a_k²(λ_k − λ_{k−1}) = β_k.
  const auto schedule = DiffusionSchedule::linear();
  const auto levels = NoiseLevels::from_schedule(schedule);
  double worst = 0;
  for (int k = 1; k <= schedule.T; ++k) {
    const double ratio = levels.a[k] / levels.a[k - 1];
    const double g2_dt =
        levels.b[k] * levels.b[k] - ratio * ratio * levels.b[k - 1] * levels.b[k - 1];
    worst = std::max(worst, std::abs(g2_dt - schedule.beta[k]) / schedule.beta[k]);
  }
  rows.push_back({"D21", "DDPM levels: a_k^2 (lambda_k - lambda_k-1) = beta_k (max rel)", 0.0,
                  worst, worst, 64 * kEps / schedule.beta[1]});
}

void add_forward_em(std::vector<DerivationRow>& rows, uint64_t seed) {
  constexpr int64_t n = 10000;
  constexpr int kSteps = 1000;
  const double dt = 1.0 / kSteps;
  Generator gen(seed + 21);
  // x_0 = −1 with probability 0.3, +2 with 0.7: mean 1.1, variance 0.3·0.7·3² = 1.89.
  Tensor x = rand({n}, gen, TensorOptions().dtype(kFloat64)).lt(0.3).to(kFloat64) * -3.0 + 2.0;
  const double m0 = 1.1, v0 = 1.89;
  double em_mean = m0, em_var = v0;
  for (int i = 0; i < kSteps; ++i) {
    const double f = -0.5 * vp_beta(i * dt), g2 = vp_beta(i * dt);
    x = x * (1 + f * dt) + randn({n}, gen, TensorOptions().dtype(kFloat64)) * std::sqrt(g2 * dt);
    em_mean *= 1 + f * dt;
    em_var = (1 + f * dt) * (1 + f * dt) * em_var + g2 * dt;
    const int step = i + 1;
    if (step != 50 && step != 200 && step != 500 && step != 1000) continue;
    const double t = step * dt, a = std::exp(vp_log_abar(t));
    const double mean = a * m0, var = a * a * v0 - std::expm1(2 * vp_log_abar(t));
    const double sample_mean = x.mean().item<double>();
    Tensor centred = x - sample_mean;
    const double sample_var = centred.square().mean().item<double>();
    const double m4 = centred.square().square().mean().item<double>();
    rows.push_back({"D21", fmt::format("forward EM t={:<4} mean = abar E x0", t), mean, sample_mean,
                    std::abs(sample_mean - mean),
                    4 * std::sqrt(sample_var / n) + std::abs(em_mean - mean)});
    rows.push_back({"D21", fmt::format("forward EM t={:<4} var = abar^2 Var x0 + b^2", t), var,
                    sample_var, std::abs(sample_var - var),
                    4 * std::sqrt((m4 - sample_var * sample_var) / n) + std::abs(em_var - var)});
  }
}

// One reverse step at fixed ᾱ_t = 0.5 for a given β: (DDPM mean − EM mean, β̃ − g²Δt).
std::pair<double, double> ancestral_minus_em(double beta, double x, double eps) {
  const double abar = 0.5, alpha = 1 - beta, abar_prev = abar / alpha;
  const double a = std::sqrt(abar), b = std::sqrt(1 - abar);
  const double a_prev = std::sqrt(abar_prev), b_prev = std::sqrt(1 - abar_prev);
  const double ddpm_mean = (x - beta / b * eps) / std::sqrt(alpha);
  const double ratio = a / a_prev;  // as in samplers.cpp's sde_step
  const double f_dt = std::log(ratio), g2_dt = b * b - ratio * ratio * b_prev * b_prev;
  const double em_mean = x * (1 - f_dt) + g2_dt * (-eps / b);
  const double beta_tilde = b_prev * b_prev / (b * b) * beta;
  return {ddpm_mean - em_mean, beta_tilde - g2_dt};
}

void add_ancestral_vs_em(std::vector<DerivationRow>& rows) {
  const double x = 0.8, eps = -1.3, abar = 0.5, b = std::sqrt(1 - abar);
  const double beta = 1.0 / 1024;
  auto [mean_small, var_small] = ancestral_minus_em(beta, x, eps);
  auto [mean_big, var_big] = ancestral_minus_em(2 * beta, x, eps);
  const double q_mean = mean_small / (beta * beta), q_mean_big = mean_big / (4 * beta * beta);
  const double q_var = var_small / (beta * beta), q_var_big = var_big / (4 * beta * beta);
  const double rounding = 64 * kEps * (std::abs(x) + std::abs(eps)) / (beta * beta);
  const double c_mean = x / 8 - eps / (2 * b);
  const double c_var = -abar / (1 - abar);
  rows.push_back({"D21", "(ddpm mean - reverse EM mean)/beta^2 -> x/8 - eps/(2b)", c_mean, q_mean,
                  std::abs(q_mean - c_mean), 2 * std::abs(q_mean - q_mean_big) + rounding});
  rows.push_back({"D21", "(beta~ - g^2 dt)/beta^2 -> -abar/(1-abar)", c_var, q_var,
                  std::abs(q_var - c_var), 2 * std::abs(q_var - q_var_big) + rounding});
}

data::GaussianMixture four_modes() {
  return data::GaussianMixture(from_vector(std::vector<double>{0.1, 0.2, 0.3, 0.4}),
                               from_vector(std::vector<double>{2, 2, -2, 2, -2, -2, 2, -2}, {4, 2}),
                               full({4}, 0.4, kFloat64), "four_modes");
}

void add_exact_score_sampling(std::vector<DerivationRow>& rows, uint64_t seed) {
  constexpr int64_t n = 2000, n_mmd = 1000;
  constexpr int kNullPairs = 6;
  const data::GaussianMixture mixture = four_modes();
  Denoiser exact;
  exact.levels = NoiseLevels::from_schedule(DiffusionSchedule::linear());
  exact.prediction = Prediction::kScore;
  exact.network = [&](const Tensor& x, int k) {
    const double a = exact.levels.a[k], b = exact.levels.b[k];
    Tensor stds = (mixture.stds().square() * (a * a) + b * b).sqrt();
    return data::GaussianMixture(mixture.weights(), mixture.means() * a, stds).score(x);
  };
  Generator gen(seed + 2121);
  // The spread of MMD² between two independent data sets of n_mmd: its RMS over kNullPairs.
  double null_sq = 0;
  for (int i = 0; i < kNullPairs; ++i) {
    const double m =
        mmd2_unbiased(mixture.sample(n_mmd, gen, kFloat64), mixture.sample(n_mmd, gen, kFloat64));
    null_sq += m * m / kNullPairs;
  }
  const double null_sd = std::sqrt(null_sq);
  const double q = expected_high_quality_fraction(mixture);
  const auto weights = mixture.weights().to_vector<double>();
  struct Run {
    const char* name;
    SamplerOptions options;
  };
  const Run runs[] = {{"reverse SDE, 1000 levels", {.kind = SamplerKind::kSde}},
                      {"prob.-flow ODE (Heun), 100", {.kind = SamplerKind::kOde, .steps = 100}},
                      {"DDIM eta=0, 50 levels", {.kind = SamplerKind::kDdim, .steps = 50}}};
  for (const Run& run : runs) {
    Tensor samples = sample(exact, run.options, {n, 2}, gen, {}, kFloat64);
    const double mmd =
        mmd2_unbiased(samples.narrow(0, 0, n_mmd), mixture.sample(n_mmd, gen, kFloat64));
    rows.push_back({"D21", fmt::format("{}: MMD^2 to data (tol 4 sd of data-data)", run.name), 0.0,
                    mmd, std::abs(mmd), 4 * null_sd});
    const double covered = static_cast<double>(modes_covered(samples, mixture));
    rows.push_back({"D21", fmt::format("{}: modes covered", run.name), 4.0, covered,
                    std::abs(covered - 4.0), 0.0});
    auto counts = mode_counts(samples, mixture);
    double worst = 0, worst_se = 0;
    for (size_t k = 0; k < counts.size(); ++k) {
      const double p = weights[k] * q;
      worst = std::max(worst, std::abs(static_cast<double>(counts[k]) / n - p));
      worst_se = std::max(worst_se, std::sqrt(p * (1 - p) / n));
    }
    rows.push_back({"D21", fmt::format("{}: max_k |share_k - w_k q|", run.name), 0.0, worst, worst,
                    4 * worst_se});
  }
}

void add_eps_score_identity(std::vector<DerivationRow>& rows, uint64_t seed) {
  const auto schedule = DiffusionSchedule::linear();
  Denoiser from_eps;
  from_eps.levels = NoiseLevels::from_schedule(schedule);
  Generator gen(seed + 2122);
  constexpr int64_t n = 1000;
  Tensor x0 = randn({n}, gen, TensorOptions().dtype(kFloat64)) * 2.0;
  Tensor eps = randn({n}, gen, TensorOptions().dtype(kFloat64));
  double worst = 0, tol = 0;
  for (int t : {1, 10, 100, 500, 1000}) {
    const double a = from_eps.levels.a[t], b = from_eps.levels.b[t];
    Tensor xt = (x0 * a + eps * b).detach().requires_grad_();
    Tensor log_q = ((xt - x0 * a).square() * (-0.5 / (b * b))).sum() - n * std::log(b);
    Tensor autograd_score = autograd::grad({log_q}, {xt})[0];
    from_eps.network = [&](const Tensor&, int) { return eps; };
    Tensor converted = from_eps.score(xt.detach(), t);
    worst = std::max(worst, (autograd_score - converted).abs().max().item<double>());
    // x_t − a x_0 cancels to b ε: rounding of the larger terms, over b².
    tol = std::max(tol,
                   64 * kEps * (xt.detach().abs() + (x0 * a).abs()).max().item<double>() / (b * b));
  }
  rows.push_back(
      {"D21", "grad log q(x_t|x_0) (autograd) = -eps/b, t=1..1000", 0.0, worst, worst, tol});
}

}  // namespace

std::vector<DerivationRow> check_d21_sde(uint64_t seed) {
  std::vector<DerivationRow> rows;
  add_f_and_g(rows);
  add_forward_em(rows, seed);
  add_ancestral_vs_em(rows);
  add_exact_score_sampling(rows, seed);
  add_eps_score_identity(rows, seed);
  return rows;
}

}  // namespace zg::models
