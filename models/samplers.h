/// \file
/// Every sampler of the DDPM/NCSN/SDE examples behind one call (DERIVATIONS.md D15–D17,
/// D20, D21), all starting from x_K ~ N(0, b_K²·I) (for VP, a_K ≈ 0 and b_K ≈ 1) and walking
/// the levels of a Denoiser down to the data:
/// \code{.unparsed}
///   ddpm        ancestral: x_{t−1} = μ_θ(x_t, t) + σ_t z, σ_t² = β_t or β̃_t   (VP only)
///   ddim        x_s = a_s x̂_0 + √(b_s² − σ²)·ε̂ + σ z, σ = η·(DDIM's σ), any subset of levels
///   sde         reverse-SDE Euler–Maruyama, dx = [f x − g² s] dt + g dw̄ (D21)
///   ode         probability-flow ODE dx = [f x − ½ g² s] dt, Heun's method (D21)
///   langevin    annealed Langevin dynamics, the text's Algorithm 1 (D17, D20):
///               per level i, T steps of x ← x + (α_i/2)·s(x, σ_i) + √α_i z, α_i = ε·σ_i²/σ_L²
/// \endcode
/// A sampler visits `steps` levels (evenly spaced in k, always including K; 0 = all). The
/// last step returns the denoised mean with no noise added, as DDPM does at t = 1.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "models/noise_levels.h"
#include "tensor/generator.h"

namespace zg::models {

enum class SamplerKind { kDdpm, kDdim, kSde, kOde, kLangevin };
SamplerKind parse_sampler(const std::string& name);  ///< names as in the table above
std::string sampler_name(SamplerKind kind);
std::vector<std::string> sampler_names();

struct SamplerOptions {
  SamplerKind kind = SamplerKind::kDdpm;
  int steps = 0;                        ///< levels visited; 0 = all K
  bool ddpm_posterior_variance = true;  ///< ddpm: σ_t² = β̃_t (true) or β_t (false)
  double eta = 0.0;                     ///< ddim: 0 deterministic, 1 = DDPM's β̃ noise
  int langevin_steps_per_level = 100;   ///< langevin: T of Algorithm 1
  double langevin_step_size = 2e-5;     ///< langevin: ε of Algorithm 1
  bool denoise_last = true;             ///< langevin/sde/ode: finish with x̂_0 = Tweedie's mean
};

/// Called after every step with the step index (0-based), the level just reached and x.
using SamplerCallback = std::function<void(int step, int level, const Tensor& x)>;

/// Draws a batch of the given shape (dtype of the noise: float32 unless `dtype` says).
/// Runs under NoGradGuard. Errors (zg::Error) name the sampler and the offending option.
Tensor sample(const Denoiser& denoiser, const SamplerOptions& options, const Shape& shape,
              Generator& gen, const SamplerCallback& callback = {}, DType dtype = kFloat32);

/// The levels a sampler with `steps` visits, from K down to its last level (descending).
std::vector<int> sampler_levels(int num_levels, int steps);

}  // namespace zg::models
