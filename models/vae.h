// The MLP variational autoencoder of workload W2 (and of `zerogen train-vae`, issue 6).
//
// Encoder q(z|x) = N(μ(x), diag σ²(x)); decoder p(x|z) = Bernoulli(sigmoid(logits(z))).
// The loss is the negative ELBO per example:
//   −ELBO = E_q[−log p(x|z)] + KL(q(z|x) ‖ N(0, I)),
// the first term estimated with one reparameterised sample z = μ + σ·ε, ε ~ N(0, I), so
// that gradients flow through μ and σ; the second in closed form (D6 of DERIVATIONS.md).
#pragma once
#include "nn/nn.h"

namespace zg::models {

struct MlpVAEOptions {
  int64_t input_dim = 784, hidden1 = 512, hidden2 = 256, latent_dim = 32;
};

struct VAELoss {
  Tensor loss;            // −ELBO averaged over the batch (what is minimised)
  Tensor reconstruction;  // E_q[−log p(x|z)], batch mean
  Tensor kl;              // KL(q ‖ p), batch mean
};

class MlpVAEImpl : public nn::Module {
 public:
  explicit MlpVAEImpl(const MlpVAEOptions& options = {});
  std::pair<Tensor, Tensor> encode(const Tensor& x);  // (μ, log σ²)
  Tensor decode(const Tensor& z);                     // Bernoulli logits
  // x: [N, input_dim] in [0, 1]; eps: [N, latent_dim] standard normal noise.
  VAELoss loss(const Tensor& x, const Tensor& eps);

  MlpVAEOptions options;
  nn::Sequential encoder{nullptr}, decoder{nullptr};
  nn::Linear mu{nullptr}, logvar{nullptr};
};
ZG_MODULE(MlpVAE);

}  // namespace zg::models
