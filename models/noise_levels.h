/// \file
/// One description of every noising process in the examples, so that DDPM and NCSN share
/// their samplers (DERIVATIONS.md D15, D20, D21).
///
/// Level k = 0..K has the marginal x_k = a_k·x_0 + b_k·ε, ε ~ N(0, I) (D21's ā_t, b̄_t);
/// level 0 is the data (a_0 = 1, b_0 = 0) and noise grows with k:
/// \code{.unparsed}
///   variance preserving (DDPM):  a_k = √ᾱ_k, b_k = √(1 − ᾱ_k), k = t = 1..T
///   variance exploding (NCSN):   a_k = 1,    b_k = σ_{L+1−k}     (the text's σ_1 > … > σ_L,
///                                                                  so level K is σ_1)
/// \endcode
/// A network never sees k itself but `condition[k]`: t for DDPM's UNet, σ_k for NCSN (which
/// the UNet turns into 1000·log σ, models/unet.h).
///
/// A Denoiser is a network evaluated at a level, in one of three parameterisations that carry
/// the same information (D15, D21):
/// \code{.unparsed}
///   ε̂ = (x − a·x̂_0)/b,   x̂_0 = (x − b·ε̂)/a,   ŝ = ∇_x log p_k(x) = −ε̂/b.
/// \endcode
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "models/diffusion_schedule.h"
#include "tensor/tensor.h"

namespace zg::models {

struct NoiseLevels {
  std::vector<double> a, b;       ///< K + 1 entries each; a[0] = 1, b[0] = 0
  std::vector<double> condition;  ///< what the network is given at level k (K + 1 entries)
  bool variance_preserving = true;

  int num_levels() const { return static_cast<int>(a.size()) - 1; }  ///< K
  /// a_k = √ᾱ_k, b_k = √(1 − ᾱ_k), condition t = k.
  static NoiseLevels from_schedule(const DiffusionSchedule& schedule);
  /// sigmas in the text's order σ_1 > … > σ_L (positive, strictly decreasing); a = 1,
  /// b_k = σ_{L+1−k}, condition σ.
  static NoiseLevels from_sigmas(const std::vector<double>& sigmas);
};

/// σ_i = σ_1·(σ_L/σ_1)^((i−1)/(L−1)), i = 1..L: NCSN's geometric sequence (D20).
std::vector<double> geometric_sigmas(double sigma_max, double sigma_min, int count);

enum class Prediction { kEpsilon, kX0, kScore };
Prediction parse_prediction(const std::string& name);  ///< "eps" | "x0" | "score"
std::string prediction_name(Prediction prediction);

/// A network (or an exact formula) and the levels it was trained on. `network(x, level)`
/// returns its output for a batch x at one level k in 1..K; converting to the other
/// parameterisations is done here, once, for every sampler. zg::Error for a level outside
/// 1..K, an output not shaped like x, or a conversion that divides by a = 0 or b = 0.
struct Denoiser {
  std::function<Tensor(const Tensor& x, int level)> network;
  Prediction prediction = Prediction::kEpsilon;
  NoiseLevels levels;

  Tensor epsilon(const Tensor& x, int level) const;
  Tensor x0(const Tensor& x, int level) const;
  Tensor score(const Tensor& x, int level) const;
};

}  // namespace zg::models
