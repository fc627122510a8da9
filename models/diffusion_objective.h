/// \file
/// DDPM and NCSN as one training objective and one sampling interface (DERIVATIONS.md D16,
/// D19–D21), so that `zerogen train-ddpm`, `train-ncsn` and `sample` share every line but
/// the choice of noise levels:
/// \code{.unparsed}
///   per example: k ~ U{1..K}, ε ~ N(0, I), x_k = a_k x_0 + b_k ε          (noise_levels.h)
///   DDPM (VP levels):  L_simple = mean ‖ε − ε_θ(x_k, t)‖² / dims              (D16)
///   NCSN (VE levels):  λ(σ)·ℓ = ½ ‖σ·s_θ(x̃, σ) + ε‖²,  λ = σ²,  s_θ = −ε_θ/σ   (D19, D20)
/// \endcode
/// Both networks predict ε: NCSN's score is parameterised as s_θ = −ε_θ/σ (Song & Ermon 2020,
/// technique 3: the score's size grows as 1/σ, the network's output need not). So the two are
/// one regression up to weighting: ½‖σ s_θ + ε‖² = ½‖ε − ε_θ‖².
/// The network sees `network_time(k)`: t for DDPM, 1000·log σ for NCSN (models/unet.h), so
/// one UNet or ToyScoreNet serves both.
#pragma once
#include <functional>
#include <string>

#include "models/noise_levels.h"
#include "tensor/generator.h"

namespace zg::models {

enum class DiffusionMethod { kDdpm, kNcsn };

struct DiffusionSetup {
  DiffusionMethod method = DiffusionMethod::kDdpm;
  NoiseLevels levels;
  Prediction prediction = Prediction::kEpsilon;

  /// VP levels of `schedule`, ε-prediction.
  static DiffusionSetup ddpm(const DiffusionSchedule& schedule);
  /// VE levels of geometric σ from sigma_max down to sigma_min, ε-prediction.
  static DiffusionSetup ncsn(double sigma_max, double sigma_min, int count);

  std::string method_name() const { return method == DiffusionMethod::kDdpm ? "ddpm" : "ncsn"; }
  /// The value the network is conditioned on at level k (1..K).
  double network_time(int level) const;
};

/// A network conditioned on one scalar per example: (x [B, ...], time [B]) → x's shape.
using ConditionedNetwork = std::function<Tensor(const Tensor& x, const Tensor& time)>;

/// One draw of the objective above on a batch x0 (levels and noise from gen); differentiable
/// in the network's parameters.
Tensor denoising_loss(const ConditionedNetwork& network, const DiffusionSetup& setup,
                      const Tensor& x0, Generator& gen);

/// The network as a Denoiser for the samplers (models/samplers.h).
Denoiser make_denoiser(const ConditionedNetwork& network, const DiffusionSetup& setup);

}  // namespace zg::models
