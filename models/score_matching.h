/// \file
/// Score-matching objectives (DERIVATIONS.md D18–D20) and the NCSN training step of the 2-D
/// examples.
///
/// Hyvärinen's objective needs no samples of the score itself, only of the data:
/// \code{.unparsed}
///   J(θ) = E_p[ tr(∇_x s_θ(x)) + ½‖s_θ(x)‖² ] = ½E_p‖s_θ − ∇log p‖² + const      (D18)
/// \endcode
/// Its Jacobian trace costs one backward pass per input dimension, which is what denoising
/// score matching avoids: for x̃ = x + σz the conditional score is −(x̃ − x)/σ² = −z/σ, and
/// \code{.unparsed}
///   λ(σ)·ℓ(θ; σ) = σ²·½E‖s_θ(x̃, σ) + z/σ‖² = ½E‖σ·s_θ(x̃, σ) + z‖²,   λ(σ) = σ²   (D19, D20)
/// \endcode
/// whose minimiser is the score of q_σ = p ⊛ N(0, σ²I).
///
/// The toy NCSN's ToyScoreNet predicts the noise, ε̂ = −σ·s: its output is O(1) at every
/// level, as in Song & Ermon 2020 (s_θ(x, σ) = s_θ(x)/σ), and is models/noise_levels.h's
/// Prediction::kEpsilon with b = σ. It is conditioned on 1000·log σ (noise_level_to_time).
#pragma once
#include <cstdint>
#include <vector>

#include "models/langevin.h"
#include "models/toy_score_net.h"
#include "optim/optimizer.h"
#include "tensor/generator.h"
#include "tensor/tensor.h"

namespace zg::models {

/// J for the batch x [B, D]: mean over the batch of tr(∇_x s(x)) + ½‖s(x)‖², the trace by D
/// backward passes with create_graph, so the result is differentiable in the parameters of
/// `score_model` (whatever grad mode the caller is in). x is not modified nor differentiated.
Tensor exact_score_matching_loss(const ScoreFunction& score_model, const Tensor& x);

/// ½‖σ·score_pred + noise‖² summed over the non-batch dims, mean over the batch, for
/// x̃ = x + σ·noise: the DSM loss weighted by λ(σ) = σ². score_pred and noise [B, ...];
/// sigma [B] (one level per example) or a scalar.
Tensor dsm_loss(const Tensor& score_pred, const Tensor& noise, const Tensor& sigma);

/// s_θ(x, σ) = −net(x, 1000·log σ)/σ for x [N, D] and sigma [N] (or one σ for all).
Tensor toy_net_score(ToyScoreNetImpl& net, const Tensor& x, const Tensor& sigma);
Tensor toy_net_score(ToyScoreNetImpl& net, const Tensor& x, double sigma);

/// One optimiser step of the NCSN loss (1/L)Σ_i λ(σ_i)ℓ(θ; σ_i) on the batch x [B, D]: a level
/// per example, x̃ = x + σz, loss dsm_loss(toy_net_score(x̃, σ), z, σ) — models::denoising_loss
/// with DiffusionSetup::ncsn's levels, which `zerogen train-ncsn` trains by too.
/// Noise from gen; returns the loss before the step.
double ncsn_toy_step(ToyScoreNetImpl& net, optim::Optimizer& optimizer, const Tensor& x,
                     const std::vector<double>& sigmas, Generator& gen);

}  // namespace zg::models
