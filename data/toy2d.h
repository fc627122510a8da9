/// \file
/// Built-in 2-D toy distributions, with exact densities and scores where they exist, so the
/// GAN/DSM/NCSN/SDE checks (DERIVATIONS.md D4, D17–D21) can measure against the truth rather
/// than against more samples.
///
/// GaussianMixture is the workhorse: an isotropic mixture Σ_k w_k N(μ_k, σ_k² I) in any
/// dimension D, whose log_prob and score are built from differentiable tensor ops in the
/// input's dtype (float64 for checks), through logsumexp/softmax so far-away points neither
/// underflow nor divide 0 by 0. convolved(σ) is the mixture noised by N(0, σ² I) — variances
/// add — which is exactly q_σ of denoising score matching and p_t of the SDE view.
///
/// Literature parameters where DERIVATIONS.md fixes none (only D20 gives numbers):
/// \code{.unparsed}
///   eight_gaussians: radius 2, σ 0.02 (Metz et al. 2017, unrolled GANs; VEEGAN);
///   grid25: means {-4, -2, 0, 2, 4}², σ 0.05 (VEEGAN, PacGAN);
///   swiss_roll, two_moons, checkerboard: the FFJORD toy sets (Grathwohl et al. 2019).
/// \endcode
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tensor/generator.h"
#include "tensor/tensor.h"

namespace zg::data {

/// A distribution to sample from, with an exact log density and score when it has them.
class Toy2D {
 public:
  virtual ~Toy2D() = default;
  virtual std::string name() const = 0;
  /// [n, 2] samples (dtype float32 or float64) drawn from gen's stream.
  virtual Tensor sample(int64_t n, Generator& gen, DType dtype = kFloat32) const = 0;
  virtual bool has_log_prob() const { return false; }
  virtual bool has_score() const { return false; }
  /// log p(x) for x [N, 2] → [N]; ∇_x log p(x) → [N, 2]. zg::Error when not available.
  virtual Tensor log_prob(const Tensor& x) const;
  virtual Tensor score(const Tensor& x) const;
};

class GaussianMixture : public Toy2D {
 public:
  /// weights [K] (positive; normalised to sum 1), means [K, D], stds [K] (positive).
  GaussianMixture(const Tensor& weights, const Tensor& means, const Tensor& stds,
                  std::string name = "gaussian_mixture");
  std::string name() const override { return name_; }
  Tensor sample(int64_t n, Generator& gen, DType dtype = kFloat32) const override;
  /// Samples and the component each came from (int64 [n]).
  std::pair<Tensor, Tensor> sample_with_components(int64_t n, Generator& gen,
                                                   DType dtype = kFloat32) const;
  bool has_log_prob() const override { return true; }
  bool has_score() const override { return true; }
  Tensor log_prob(const Tensor& x) const override;  ///< differentiable in x
  Tensor score(const Tensor& x) const override;     ///< exact Σ_k r_k(x)(μ_k − x)/σ_k²
  Tensor responsibilities(const Tensor& x) const;   ///< posterior over components, [N, K]
  /// The mixture convolved with N(0, σ² I): same weights and means, σ_k² → σ_k² + σ².
  GaussianMixture convolved(double sigma) const;

  int64_t num_components() const { return weights_.size(0); }
  int64_t dim() const { return means_.size(1); }
  const Tensor& weights() const { return weights_; }  ///< float64 [K]
  const Tensor& means() const { return means_; }      ///< float64 [K, D]
  const Tensor& stds() const { return stds_; }        ///< float64 [K]
  Tensor mean() const;                                ///< exact E[x], float64 [D]
  Tensor covariance() const;                          ///< exact Cov[x], float64 [D, D]

 private:
  Tensor log_components(const Tensor& x) const;  ///< log w_k + log N(x; μ_k, σ_k² I), [N, K]
  Tensor weights_, means_, stds_;
  std::string name_;
};

GaussianMixture eight_gaussians(double radius = 2.0, double std = 0.02);
GaussianMixture grid25(double spacing = 2.0, double std = 0.05);
/// D20 (Song & Ermon 2019, Fig. 3): 0.2·N((−5,−5), I) + 0.8·N((5,5), I).
GaussianMixture two_modes();

/// Sample-only sets and the checkerboard (uniform on 8 of the 16 2×2 squares of [−4, 4)²,
/// so its exact log density is −log 32 inside and −inf outside; it has no score).
std::shared_ptr<Toy2D> swiss_roll(double noise = 0.2);
std::shared_ptr<Toy2D> two_moons(double noise = 0.2);
std::shared_ptr<Toy2D> checkerboard();

/// By name, for the CLI: eight_gaussians, grid25, two_modes, swiss_roll, two_moons,
/// checkerboard. An unknown name is a zg::Error listing these.
std::shared_ptr<Toy2D> make_toy2d(const std::string& name);
std::vector<std::string> toy2d_names();

}  // namespace zg::data
