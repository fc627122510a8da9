// The samplers of models/samplers.h. Each walks a path of levels K = k_0 > k_1 > … > k_{n−1}
// ≥ 1 and then 0, one step per pair, written in the a/b notation of NoiseLevels so that the
// same code serves variance-preserving (DDPM) and variance-exploding (NCSN) levels. D21's
// dictionary between the SDE and the levels, with λ = b²/a² (the inverse signal-to-noise):
//
//   f dt = d ln a,   g² dt = a² dλ.
//
// A step from level k to j < k replaces dt by the difference between the levels.
#include "models/samplers.h"

#include <cmath>

#include "autograd/grad_mode.h"
#include "models/langevin.h"
#include "tensor/error.h"

namespace zg::models {

namespace {

const std::vector<std::pair<SamplerKind, std::string>>& sampler_table() {
  static const std::vector<std::pair<SamplerKind, std::string>> table = {
      {SamplerKind::kDdpm, "ddpm"},
      {SamplerKind::kDdim, "ddim"},
      {SamplerKind::kSde, "sde"},
      {SamplerKind::kOde, "ode"},
      {SamplerKind::kLangevin, "langevin"}};
  return table;
}

Tensor noise_like(const Tensor& x, Generator& gen) { return randn(x.shape(), gen, x.options()); }

// D15: x_{t−1} = (x_t − β_t/√(1 − ᾱ_t)·ε̂)/√α_t + σ_t z, no noise at t = 1. The schedule is
// recovered from the levels: ᾱ_t = a_t², α_t = a_t²/a_{t−1}², and β_t = 1 − α_t written as
// (b_t² − b_{t−1}²)/a_{t−1}² (equal when a² + b² = 1), which keeps its digits at small t.
Tensor ddpm_step(const Denoiser& d, const Tensor& x, int t, bool posterior_variance,
                 Generator& gen) {
  const auto& a = d.levels.a;
  const auto& b = d.levels.b;
  const double alpha = a[t] * a[t] / (a[t - 1] * a[t - 1]);
  const double beta = (b[t] * b[t] - b[t - 1] * b[t - 1]) / (a[t - 1] * a[t - 1]);
  Tensor mean = (x - d.epsilon(x, t) * (beta / b[t])) * (1.0 / std::sqrt(alpha));
  if (t == 1) return mean;  // = x̂_0 exactly, as β_1 = 1 − ᾱ_1
  const double variance = posterior_variance ? b[t - 1] * b[t - 1] / (b[t] * b[t]) * beta : beta;
  return mean + noise_like(x, gen) * std::sqrt(variance);
}

// DDIM (Song et al. 2021, eq. 12): x_s = a_s x̂_0 + √(b_s² − σ²)·ε̂ + σ z. Their eq. 16,
// σ = η·√((1 − ᾱ_s)/(1 − ᾱ_t))·√(1 − ᾱ_t/ᾱ_s), is η times the standard deviation of the
// Markov posterior q(x_s | x_t, x_0) of the forward step x_t = (a_t/a_s) x_s + noise of
// variance b_t² − (a_t/a_s)² b_s²; that posterior variance is, for any a and b,
//   σ² = η²·b_s²·(1 − (a_t b_s / (a_s b_t))²)
// (VP: (b_s²/b_t²)(1 − ᾱ_t/ᾱ_s), eq. 16; VE: b_s²(b_t² − b_s²)/b_t²). η = 1 and every level is
// DDPM with β̃; η = 0 is deterministic.
Tensor ddim_step(const Denoiser& d, const Tensor& x, int t, int s, double eta, Generator& gen) {
  const auto& a = d.levels.a;
  const auto& b = d.levels.b;
  Tensor eps = d.epsilon(x, t);
  Tensor x0 = (x - eps * b[t]) * (1.0 / a[t]);
  const double r = a[t] * b[s] / (a[s] * b[t]);
  const double variance = eta * eta * b[s] * b[s] * std::max(0.0, 1.0 - r * r);
  Tensor next = x0 * a[s] + eps * std::sqrt(b[s] * b[s] - variance);
  if (variance > 0) next = next + noise_like(x, gen) * std::sqrt(variance);
  return next;
}

// Reverse-SDE Euler–Maruyama (D21), dx = [f x − g² s] dt + g dw̄ taken backwards over the
// step from level k to j:
//   x_j = x_k − (f Δt)·x_k + (g² Δt)·s(x_k, k) + √(g² Δt)·z,
//   f Δt = ln a_k − ln a_j,   g² Δt = a_k²(λ_k − λ_j) = b_k² − (a_k/a_j)²·b_j².
// VE (a = 1): x_j = x_k + (b_k² − b_j²) s + √(b_k² − b_j²) z, NCSN's reverse diffusion. VP,
// one level (j = k − 1): g² Δt = β_k exactly and f Δt = −½ ln α_k = ½β_k + O(β_k²), so the
// step is DDPM's ancestral step with σ² = β up to O(β²) (D21's row). Into level 0 with
// denoise_last the step is Tweedie's x̂_0 instead (no noise).
Tensor sde_step(const Denoiser& d, const Tensor& x, int k, int j, bool denoise_last,
                Generator& gen) {
  const auto& a = d.levels.a;
  const auto& b = d.levels.b;
  if (j == 0 && denoise_last) return d.x0(x, k);
  const double ratio = a[k] / a[j];
  const double f_dt = std::log(ratio);
  const double g2_dt = b[k] * b[k] - ratio * ratio * b[j] * b[j];
  return x * (1.0 - f_dt) + d.score(x, k) * g2_dt + noise_like(x, gen) * std::sqrt(g2_dt);
}

// Probability-flow ODE dx = [f x − ½ g² s] dt (D21), solved in y = x/a against σ̃ = b/a,
// where it becomes exactly dy/dσ̃ = ε̂(a·y, σ̃) (f x cancels, and −½ g² s dt/a =
// −½ a s dλ = ε̂ dσ̃ since s = −ε̂/b and dλ = 2σ̃ dσ̃): the same ODE, with its linear part
// integrated exactly (Karras et al. 2022, Alg. 1). Heun: an Euler step to level j, then the
// average of the slopes at both ends. The Euler step alone is DDIM with η = 0; into level 0
// (σ̃ = 0) it lands on x̂_0 = x/a − σ̃ ε̂ itself, so that last step is one network call, with
// or without denoise_last.
Tensor ode_step(const Denoiser& d, const Tensor& x, int k, int j) {
  const auto& a = d.levels.a;
  const auto& b = d.levels.b;
  const double dsigma = b[j] / a[j] - b[k] / a[k];
  Tensor y = x * (1.0 / a[k]);
  Tensor slope = d.epsilon(x, k);
  Tensor euler = y + slope * dsigma;
  if (j == 0) return euler;
  Tensor slope_end = d.epsilon(euler * a[j], j);
  return (y + (slope + slope_end) * (0.5 * dsigma)) * a[j];
}

void check_options(const Denoiser& d, const SamplerOptions& o) {
  const std::string name = sampler_name(o.kind);
  const int K = d.levels.num_levels();
  ZG_CHECK(d.network, "sample ({}): the denoiser has no network", name);
  ZG_CHECK(K >= 1 && d.levels.b.size() == d.levels.a.size(),
           "sample ({}): the levels need K + 1 >= 2 entries in a and b, got {} and {}", name,
           d.levels.a.size(), d.levels.b.size());
  ZG_CHECK(d.levels.a[0] == 1 && d.levels.b[0] == 0,
           "sample ({}): level 0 must be the data (a_0 = 1, b_0 = 0), got a_0 = {}, b_0 = {}", name,
           d.levels.a[0], d.levels.b[0]);
  for (int k = 1; k <= K; ++k)
    ZG_CHECK(
        d.levels.a[k] > 0 && d.levels.b[k] / d.levels.a[k] > d.levels.b[k - 1] / d.levels.a[k - 1],
        "sample ({}): the noise-to-signal ratio b/a must grow with the level, got "
        "b/a = {} at level {} after {}",
        name, d.levels.b[k] / d.levels.a[k], k, d.levels.b[k - 1] / d.levels.a[k - 1]);
  ZG_CHECK(o.steps >= 0 && o.steps <= K,
           "sample ({}): option steps = {} must be in 0..{} (0 = all)", name, o.steps, K);
  switch (o.kind) {
    case SamplerKind::kDdpm:
      ZG_CHECK(d.levels.variance_preserving,
               "sample (ddpm): ancestral sampling needs variance-preserving levels (a DDPM "
               "schedule); use ddim, sde, ode or langevin for these");
      ZG_CHECK(o.steps == 0 || o.steps == K,
               "sample (ddpm): option steps = {} — ancestral sampling visits every level; use 0 "
               "or {} (ddim skips levels)",
               o.steps, K);
      break;
    case SamplerKind::kDdim:
      ZG_CHECK(o.eta >= 0 && o.eta <= 1, "sample (ddim): option eta = {} must be in [0, 1]", o.eta);
      break;
    case SamplerKind::kLangevin:
      ZG_CHECK(o.langevin_steps_per_level >= 1,
               "sample (langevin): option langevin_steps_per_level = {} must be >= 1",
               o.langevin_steps_per_level);
      ZG_CHECK(o.langevin_step_size > 0 && std::isfinite(o.langevin_step_size),
               "sample (langevin): option langevin_step_size = {} must be positive",
               o.langevin_step_size);
      break;
    default:
      break;
  }
}

}  // namespace

SamplerKind parse_sampler(const std::string& name) {
  for (const auto& [kind, n] : sampler_table())
    if (n == name) return kind;
  throw Error(fmt::format("parse_sampler: unknown sampler '{}' ({})", name,
                          fmt::join(sampler_names(), ", ")));
}

std::string sampler_name(SamplerKind kind) {
  for (const auto& [k, n] : sampler_table())
    if (k == kind) return n;
  return "?";
}

std::vector<std::string> sampler_names() {
  std::vector<std::string> names;
  for (const auto& entry : sampler_table()) names.push_back(entry.second);
  return names;
}

std::vector<int> sampler_levels(int num_levels, int steps) {
  ZG_CHECK(num_levels >= 1 && steps >= 0 && steps <= num_levels,
           "sampler_levels: need num_levels >= 1 and steps in 0..num_levels, got {} and {}",
           num_levels, steps);
  if (steps == 0) steps = num_levels;
  // k_i = K − round(i·K/steps): stride K/steps ≥ 1, so strictly descending, from K down to
  // round(K/steps) ≥ 1; the final step to 0 has the same stride.
  std::vector<int> levels(steps);
  const int64_t K = num_levels;
  for (int64_t i = 0; i < steps; ++i)
    levels[i] = static_cast<int>(K - (2 * i * K + steps) / (2 * steps));
  return levels;
}

Tensor sample(const Denoiser& denoiser, const SamplerOptions& options, const Shape& shape,
              Generator& gen, const SamplerCallback& callback, TensorOptions noise) {
  check_options(denoiser, options);
  NoGradGuard no_grad;
  const int K = denoiser.levels.num_levels();
  std::vector<int> path = sampler_levels(K, options.steps);
  Tensor x = randn(shape, gen, noise.requires_grad(false)) * denoiser.levels.b[K];

  if (options.kind == SamplerKind::kLangevin) {
    // Algorithm 1 on σ_i = b at the visited levels. For VE levels that is NCSN's q_σ; for VP
    // levels the chain at level k targets p_k, the law of a_k x_0 + b_k ε, whose score the
    // denoiser gives all the same; b only sets the step α_i = ε·b_i²/b_last².
    std::vector<double> sigmas;
    for (int k : path) sigmas.push_back(denoiser.levels.b[k]);
    x = annealed_langevin_dynamics(
        [&](const Tensor& xi, int i) { return denoiser.score(xi, path[i]); }, sigmas, x,
        options.langevin_steps_per_level, options.langevin_step_size, gen,
        [&](int i, const Tensor& xi) {
          if (callback) callback(i, path[i], xi);
        });
    if (options.denoise_last) {
      x = denoiser.x0(x, path.back());  // x + σ_L² s(x, σ_L) when a = 1
      if (callback) callback(static_cast<int>(path.size()), 0, x);
    }
    return x;
  }

  path.push_back(0);
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    const int k = path[i], j = path[i + 1];
    switch (options.kind) {
      case SamplerKind::kDdpm:
        x = ddpm_step(denoiser, x, k, options.ddpm_posterior_variance, gen);
        break;
      case SamplerKind::kDdim:
        x = ddim_step(denoiser, x, k, j, options.eta, gen);
        break;
      case SamplerKind::kSde:
        x = sde_step(denoiser, x, k, j, options.denoise_last, gen);
        break;
      case SamplerKind::kOde:
        x = ode_step(denoiser, x, k, j);
        break;
      case SamplerKind::kLangevin:
        break;  // handled above
    }
    if (callback) callback(static_cast<int>(i), j, x);
  }
  return x;
}

}  // namespace zg::models
