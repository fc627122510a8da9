/// \file
/// Variational autoencoders: the MLP of workload W2 and a small convolutional one, behind one
/// interface (encode / decode / loss) so that `zerogen train-vae --model mlp|conv` and the
/// evaluation below work with either. The math is told in examples/train_vae.cpp.
///
/// Encoder q(z|x) = N(μ(x), diag σ²(x)); prior p(z) = N(0, I); decoder p(x|z) =
/// Bernoulli(sigmoid(logits(z))) per pixel. The loss is the negative ELBO per example:
/// \code{.unparsed}
///   −ELBO = E_q[−log p(x|z)] + KL(q(z|x) ‖ N(0, I))        (D11; KL's arguments in this order)
/// \endcode
/// the first term estimated with one reparameterised sample z = μ + σ·ε, ε ~ N(0, I) (D8),
/// so that gradients flow through μ and σ; the second in closed form (D6).
///
/// importance_log_weights() and iwae_bound() give the importance-weighted estimate of
/// log p(x) (D10): log (1/K) Σ_k p(x|z_k) p(z_k) / q(z_k|x), z_k ~ q(z|x) — a lower bound
/// on log p(x) for every K, at least the ELBO in expectation, tending to log p(x) as K grows.
#pragma once
#include "nn/nn.h"
#include "tensor/generator.h"

namespace zg::models {

struct VAELoss {
  Tensor loss;            ///< −ELBO averaged over the batch (what is minimised)
  Tensor reconstruction;  ///< E_q[−log p(x|z)], batch mean (one-sample estimate)
  Tensor kl;              ///< KL(q(z|x) ‖ p(z)), batch mean, closed form
  Tensor kl_per_dim;      ///< [latent_dim]: the batch mean of each latent dimension's KL;
                          ///< sums to `kl`. A dimension whose KL is ~0 is unused ("collapsed").
};

/// The common interface. x is a batch of images [N, ...] (any trailing shape with
/// input_numel() elements per example) with values in [0, 1], read as Bernoulli targets.
class VAEImpl : public nn::Module {
 public:
  using nn::Module::Module;
  virtual std::pair<Tensor, Tensor> encode(const Tensor& x) = 0;  ///< (μ, log σ²), [N, latent]
  virtual Tensor decode(const Tensor& z) = 0;  ///< Bernoulli logits, [N, input_numel()] or images
  virtual int64_t latent_dim() const = 0;
  virtual int64_t input_numel() const = 0;  ///< 784 for 28×28 images

  /// eps: [N, latent_dim] standard normal noise (the reparameterisation's ε).
  VAELoss loss(const Tensor& x, const Tensor& eps);
};
ZG_MODULE(VAE);

struct MlpVAEOptions {
  int64_t input_dim = 784, hidden1 = 512, hidden2 = 256, latent_dim = 32;
};

/// W2: 784 → 512 → 256 → (μ, log σ²) ∈ R^32; 32 → 256 → 512 → 784 logits. 1,091,920
/// parameters with the defaults (bench/ compares this count with PyTorch's).
class MlpVAEImpl : public VAEImpl {
 public:
  explicit MlpVAEImpl(const MlpVAEOptions& options = {});
  std::pair<Tensor, Tensor> encode(const Tensor& x) override;  ///< flattens x to [N, input_dim]
  Tensor decode(const Tensor& z) override;                     ///< [N, input_dim] logits
  int64_t latent_dim() const override { return options.latent_dim; }
  int64_t input_numel() const override { return options.input_dim; }

  MlpVAEOptions options;
  nn::Sequential encoder{nullptr}, decoder{nullptr};
  nn::Linear mu{nullptr}, logvar{nullptr};
};
ZG_MODULE(MlpVAE);

struct ConvVAEOptions {
  int64_t latent_dim = 32, channels1 = 32, channels2 = 64;
};

/// For 1×28×28 images: conv 4×4 stride 2 (1→32, 28→14), ReLU, conv 4×4 stride 2 (32→64,
/// 14→7), ReLU, flatten, Linear 3136 → μ and Linear 3136 → log σ²; the decoder mirrors it:
/// Linear latent → 3136, ReLU, [64, 7, 7], ConvTranspose 4×4 stride 2 (64→32, 7→14), ReLU,
/// ConvTranspose 4×4 stride 2 (32→1, 14→28) logits. 370,945 parameters with the defaults.
class ConvVAEImpl : public VAEImpl {
 public:
  explicit ConvVAEImpl(const ConvVAEOptions& options = {});
  std::pair<Tensor, Tensor> encode(const Tensor& x) override;  ///< x viewed as [N, 1, 28, 28]
  Tensor decode(const Tensor& z) override;                     ///< [N, 1, 28, 28] logits
  int64_t latent_dim() const override { return options.latent_dim; }
  int64_t input_numel() const override { return 784; }

  ConvVAEOptions options;
  nn::Sequential encoder{nullptr};
  nn::Linear mu{nullptr}, logvar{nullptr}, project{nullptr};
  nn::Sequential decoder{nullptr};
};
ZG_MODULE(ConvVAE);

/// "mlp" or "conv" with the given latent size (other options default); error names the kind.
VAE make_vae(const std::string& kind, int64_t latent_dim);

/// log w_k = log p(x|z_k) + log p(z_k) − log q(z_k|x) for z_k = μ + σ·ε_k, ε_k ~ N(0, I) drawn
/// from `gen` (all K·N·d at once, so the result does not depend on max_rows), k = 1..K: [N, K],
/// in x's dtype. No gradient is recorded. Decoding is done in chunks of at most `max_rows`
/// rows, so memory stays O(max_rows · input_numel + K·N·d) whatever K.
Tensor importance_log_weights(VAEImpl& model, const Tensor& x, int64_t k, Generator& gen,
                              int64_t max_rows = 4096);
/// The importance-weighted bound per example from the first `k` columns of the log weights
/// (all when k <= 0): log (1/k) Σ exp(log w), computed stably (logsumexp). [N].
/// k = 1 gives a one-sample ELBO estimate; the mean over columns is a K-sample ELBO estimate.
Tensor iwae_bound(const Tensor& log_weights, int64_t k = 0);

}  // namespace zg::models
