/// \file
/// DDPM's training loss and its variational bound in bits per dimension (DERIVATIONS.md D16),
/// on batches x_0 of any shape [B, ...] with one timestep per example.
///
/// With the ε-parameterisation μ_θ(x_t, t) = (x_t − β_t/√(1 − ᾱ_t)·ε_θ(x_t, t))/√α_t and a
/// fixed variance σ_t² (β_t, or the posterior's β̃_t), the negative ELBO is
/// \code{.unparsed}
///   L = L_T + Σ_{t=2..T} L_{t−1} + L_0
///   L_T     = KL(q(x_T|x_0) ‖ N(0, I))
///   L_{t−1} = KL(q(x_{t−1}|x_t, x_0) ‖ N(μ_θ(x_t, t), σ_t² I)),  x_t ~ q(x_t|x_0)
///           = β_t²/(2σ_t² α_t (1 − ᾱ_t))·‖ε − ε_θ‖² + C_t
///   L_0     = −log p_θ(x_0|x_1), a Gaussian N(μ_θ(x_1, 1), σ_1²) discretised to 256 bins
/// \endcode
/// and Ho et al.'s L_simple = E‖ε − ε_θ‖² drops the weight and C_t.
///
/// σ_1² = β̃_1 = 0 would make the decoder a point mass; for σ_t² = β̃_t it uses β̃_2 instead,
/// as Nichol & Dhariwal's code does.
#pragma once
#include <cstdint>
#include <functional>

#include "models/diffusion_schedule.h"
#include "tensor/generator.h"
#include "tensor/tensor.h"

namespace zg::models {

/// ε_θ(x_t, t): x_t [B, ...] and t int64 [B] in 1..T, returning [B, ...].
using EpsilonModel = std::function<Tensor(const Tensor& x_t, const Tensor& t)>;

/// int64 [batch], uniform on 1..T.
Tensor sample_timesteps(int64_t batch, int T, Generator& gen);

/// √ᾱ_t·x_0 + √(1 − ᾱ_t)·noise, t int64 [B] (one per example), in x_0's dtype.
Tensor q_sample(const DiffusionSchedule& schedule, const Tensor& x0, const Tensor& t,
                const Tensor& noise);

/// L_simple = mean of (noise − eps_pred)² over every element.
Tensor simple_loss(const Tensor& eps_pred, const Tensor& noise);

/// σ_t² of p_θ(x_{t−1}|x_t): β_t, or β̃_t when posterior_variance (β̃_2 at t = 1).
double model_variance(const DiffusionSchedule& schedule, int t, bool posterior_variance);

/// μ_θ(x_t, t) from ε_θ (D15), t int64 [B].
Tensor model_mean(const DiffusionSchedule& schedule, const Tensor& x_t, const Tensor& t,
                  const Tensor& eps_pred);

/// L_{t−1} in nats per example [B] for t int64 [B] in 2..T: the Gaussian KL (D6) between
/// q(x_{t−1}|x_t, x_0) and N(μ_θ, σ_t²), summed over the non-batch dims. Computed in the
/// inputs' dtype; pass float64 for an evaluation (the two means nearly cancel at small t).
Tensor vlb_term(const DiffusionSchedule& schedule, const Tensor& x0, const Tensor& x_t,
                const Tensor& t, const Tensor& eps_pred, bool posterior_variance);

/// L_T in nats per example [B].
Tensor prior_term(const DiffusionSchedule& schedule, const Tensor& x0);

/// log Φ(x) for the standard normal CDF, accurate for every finite x (an asymptotic series
/// below −20, where Φ underflows long before its log does); −∞ at −∞, 0 at +∞.
double log_normal_cdf(double x);
/// log(Φ(b) − Φ(a)) for a < b (either may be infinite), without cancellation in either tail.
double log_normal_cdf_diff(double a, double b);

/// log p(x) under N(mean, exp(log_scale)²) discretised to 256 levels on [−1, 1]: the mass of
/// [x − 1/255, x + 1/255], with the outer bins reaching to ∓∞ (Ho et al.'s decoder). x is
/// taken to lie on the grid (2k/255 − 1); computed in float64, returned in x's dtype.
Tensor discretized_gaussian_log_likelihood(const Tensor& x, const Tensor& mean,
                                           const Tensor& log_scale);

/// L_0 = −log p_θ(x_0|x_1) in nats per example [B], summed over the non-batch dims.
Tensor decoder_nll(const DiffusionSchedule& schedule, const Tensor& x0, const Tensor& x_1,
                   const Tensor& eps_pred, bool posterior_variance);

struct VlbOptions {
  bool posterior_variance = true;  ///< σ_t² = β̃_t (else β_t)
  /// 0: all T − 1 terms t = 2..T. n > 0: split 2..T into n strata of (nearly) equal size and
  /// draw one t per stratum and example; each term is scaled by its stratum's size, so the sum
  /// is an unbiased estimate of the full one (n ≤ T − 1).
  int timesteps = 0;
};

/// Per-example means, in bits per dimension (nats / (D·ln 2), D = numel per example).
struct VlbTerms {
  double prior_bpd = 0, decoder_bpd = 0, diffusion_bpd = 0, total_bpd = 0;
};

/// −ELBO of x0 (data scaled to [−1, 1] from 256 levels) under eps_model, by sampling one x_t
/// per term and example from gen. Runs without recording a graph.
VlbTerms variational_bound_bpd(const EpsilonModel& eps_model, const DiffusionSchedule& schedule,
                               const Tensor& x0, Generator& gen, const VlbOptions& options = {});

}  // namespace zg::models
