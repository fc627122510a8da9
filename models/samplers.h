/// \file
/// Every sampler of the DDPM/NCSN/SDE examples behind one call (DERIVATIONS.md D15–D17,
/// D20, D21), all starting from x_K ~ N(0, b_K²·I) (for VP, a_K ≈ 0 and b_K ≈ 1) and walking
/// the levels of a Denoiser down to the data. In the a/b notation of NoiseLevels, with
/// λ = b²/a² (D21: f dt = d ln a, g² dt = a² dλ), a step from level k to j < k is:
/// \code{.unparsed}
///   ddpm      x_{t−1} = (x_t − β_t/b_t·ε̂)/√α_t + σ_t z, σ_t² = β_t or β̃_t, no noise at t = 1;
///             α_t = a_t²/a_{t−1}², β_t = 1 − α_t (VP only, every level)
///   ddim      x_j = a_j x̂_0 + √(b_j² − σ²)·ε̂ + σ z,  σ² = η²·b_j²·(1 − (a_k b_j/(a_j b_k))²)
///             (Song et al. 2021 eq. 16 for VP; for VE b_j²(b_k² − b_j²)/b_k²); η = 1 on every
///             level is DDPM with β̃, η = 0 is deterministic
///   sde       reverse-SDE Euler–Maruyama, dx = [f x − g² s] dt + g dw̄:
///             x_j = x_k − ln(a_k/a_j)·x_k + G·s(x_k) + √G·z,  G = g²Δt = b_k² − (a_k/a_j)² b_j²
///   ode       probability-flow ODE dx = [f x − ½ g² s] dt, rewritten exactly as dy/dσ̃ = ε̂
///             in y = x/a, σ̃ = b/a and solved by Heun's method (2 network calls a step)
///   langevin  annealed Langevin dynamics, the text's Algorithm 1 (D17, D20), on σ_i = b at
///             the visited levels: T steps of x ← x + (α_i/2)·s(x, σ_i) + √α_i z,
///             α_i = ε·σ_i²/σ_last² (for VP levels the chain at level k targets p_k)
/// \endcode
/// A sampler visits `steps` levels (sampler_levels: evenly spaced in k, from K; 0 = all) and
/// then steps to level 0. That last step returns the denoised mean with no noise added:
/// ddpm (t = 1) and ddim (b_0 = 0) always, the ode's Euler step into σ̃ = 0 is x̂_0 itself,
/// and sde and langevin finish with Tweedie's x̂_0 = (x + b² s)/a when denoise_last (without
/// it, sde takes a plain Euler–Maruyama step into level 0, noise included, and langevin
/// returns the chain at its last level).
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
  bool denoise_last = true;             ///< langevin/sde: finish with x̂_0 = Tweedie's mean
};

/// Called after every step with the step index (0-based), the level just reached and x.
/// For langevin a step is one level's T Langevin steps, and denoise_last adds a step to 0.
using SamplerCallback = std::function<void(int step, int level, const Tensor& x)>;

/// Draws a batch of the given shape, of `noise`'s dtype and device (float32 on the CPU by
/// default). Runs under NoGradGuard. Errors (zg::Error) name the sampler and the offending option;
/// the levels must start at the data (a_0 = 1, b_0 = 0) and have b/a growing with k.
Tensor sample(const Denoiser& denoiser, const SamplerOptions& options, const Shape& shape,
              Generator& gen, const SamplerCallback& callback = {}, TensorOptions noise = {});

/// The levels a sampler with `steps` visits, from K down to its last level (descending):
/// k_i = K − round(i·K/steps), i = 0..steps−1 — stride K/steps ≥ 1, ending at round(K/steps),
/// so the step to level 0 has the same stride (steps = 0 means all K). zg::Error unless
/// num_levels ≥ 1 and 0 ≤ steps ≤ num_levels.
std::vector<int> sampler_levels(int num_levels, int steps);

}  // namespace zg::models
