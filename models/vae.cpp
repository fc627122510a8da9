#include "models/vae.h"

#include "nn/loss.h"

namespace zg::models {

MlpVAEImpl::MlpVAEImpl(const MlpVAEOptions& o) : Module("MlpVAE"), options(o) {
  encoder =
      register_module("encoder", nn::Sequential(nn::Linear(o.input_dim, o.hidden1), nn::ReLU(),
                                                nn::Linear(o.hidden1, o.hidden2), nn::ReLU()));
  mu = register_module("mu", nn::Linear(o.hidden2, o.latent_dim));
  logvar = register_module("logvar", nn::Linear(o.hidden2, o.latent_dim));
  decoder =
      register_module("decoder", nn::Sequential(nn::Linear(o.latent_dim, o.hidden2), nn::ReLU(),
                                                nn::Linear(o.hidden2, o.hidden1), nn::ReLU(),
                                                nn::Linear(o.hidden1, o.input_dim)));
}

std::pair<Tensor, Tensor> MlpVAEImpl::encode(const Tensor& x) {
  Tensor h = encoder(x);
  return {mu(h), logvar(h)};
}

Tensor MlpVAEImpl::decode(const Tensor& z) { return decoder(z); }

VAELoss MlpVAEImpl::loss(const Tensor& x, const Tensor& eps) {
  auto [m, lv] = encode(x);
  Tensor z = m + (lv * 0.5).exp() * eps;  // the reparameterisation: z is a function of (μ, σ, ε)
  Tensor logits = decode(z);
  double n = static_cast<double>(x.size(0));
  Tensor rec = nn::functional::binary_cross_entropy_with_logits(logits, x, {}, "sum") / n;
  Tensor kl = nn::functional::gaussian_kl_standard(m, lv).sum() / n;
  return {rec + kl, rec, kl};
}

}  // namespace zg::models
