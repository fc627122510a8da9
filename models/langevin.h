/// \file
/// Langevin dynamics (DERIVATIONS.md D17) and its annealed form, the text's Algorithm 1 (D20).
///
/// \code{.unparsed}
///   x_k = x_{k−1} + (ε/2)·∇_x log p(x_{k−1}) + √ε·z_k,   z_k ~ N(0, I)
/// \endcode
/// (the text writes ∇p; it is the gradient of log p — erratum). For small ε and many steps,
/// x_k is distributed as p. Between well-separated modes the score carries no information
/// about their weights, so plain Langevin keeps the proportions it starts with; annealing
/// runs the chain on p ⊛ N(0, σ_i²) for σ_1 > … > σ_L, where large σ merges the modes:
/// \code{.unparsed}
///   for i = 1..L:  α_i = ε·σ_i²/σ_L²;  T steps of  x ← x + (α_i/2)·s(x, σ_i) + √α_i·z
/// \endcode
#pragma once
#include <functional>
#include <vector>

#include "tensor/generator.h"
#include "tensor/tensor.h"

namespace zg::models {

using ScoreFunction = std::function<Tensor(const Tensor& x)>;
/// s(x, σ_i) for i = 0..L−1, the index into the sigmas passed alongside.
using LevelScoreFunction = std::function<Tensor(const Tensor& x, int sigma_index)>;

/// `steps` Langevin steps of size `step_size` from x (not modified); noise from gen.
Tensor langevin_dynamics(const ScoreFunction& score, const Tensor& x, int steps, double step_size,
                         Generator& gen);

/// Algorithm 1: sigmas in the text's order (strictly decreasing), `steps_per_level` steps at
/// each. `after_level(i, x)` is called after level i's steps.
Tensor annealed_langevin_dynamics(const LevelScoreFunction& score,
                                  const std::vector<double>& sigmas, const Tensor& x,
                                  int steps_per_level, double step_size, Generator& gen,
                                  const std::function<void(int, const Tensor&)>& after_level = {});

}  // namespace zg::models
