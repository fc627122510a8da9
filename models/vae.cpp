#include "models/vae.h"

#include <cmath>

#include "autograd/grad_mode.h"
#include "nn/loss.h"
#include "tensor/error.h"

namespace zg::models {

namespace {

constexpr double kLog2Pi = 1.8378770664093453;

// x as [N, numel] for the Bernoulli likelihood, with a clear error for a wrong image size.
Tensor flat_examples(const Tensor& x, int64_t numel, const char* op) {
  ZG_CHECK(x.dim() >= 2 && x.numel() == x.size(0) * numel,
           "{}: expected a batch [N, ...] of {} values per example, got {}", op, numel,
           shape_str(x.shape()));
  return x.reshape({x.size(0), numel});
}

}  // namespace

VAELoss VAEImpl::loss(const Tensor& x, const Tensor& eps) {
  Tensor flat = flat_examples(x, input_numel(), "VAE::loss");
  ZG_CHECK(eps.dim() == 2 && eps.size(0) == x.size(0) && eps.size(1) == latent_dim(),
           "VAE::loss: eps must be [{}, {}], got {}", x.size(0), latent_dim(),
           shape_str(eps.shape()));
  auto [m, lv] = encode(x);
  Tensor z = m + (lv * 0.5).exp() * eps;  // the reparameterisation: z is a function of (μ, σ, ε)
  Tensor logits = decode(z).reshape({x.size(0), input_numel()});
  double n = static_cast<double>(x.size(0));
  Tensor rec = nn::functional::binary_cross_entropy_with_logits(logits, flat, {}, "sum") / n;
  Tensor kl_per_dim = nn::functional::gaussian_kl_standard(m, lv).mean({0});
  Tensor kl = kl_per_dim.sum();
  return {rec + kl, rec, kl, kl_per_dim};
}

// ---- MLP (W2) ----------------------------------------------------------------------------

MlpVAEImpl::MlpVAEImpl(const MlpVAEOptions& o) : VAEImpl("MlpVAE"), options(o) {
  ZG_CHECK(o.input_dim > 0 && o.hidden1 > 0 && o.hidden2 > 0 && o.latent_dim > 0,
           "MlpVAE: sizes must be positive (input {}, hidden {} {}, latent {})", o.input_dim,
           o.hidden1, o.hidden2, o.latent_dim);
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
  Tensor h = encoder(flat_examples(x, options.input_dim, "MlpVAE::encode"));
  return {mu(h), logvar(h)};
}

Tensor MlpVAEImpl::decode(const Tensor& z) { return decoder(z); }

// ---- convolutional ------------------------------------------------------------------------

ConvVAEImpl::ConvVAEImpl(const ConvVAEOptions& o) : VAEImpl("ConvVAE"), options(o) {
  ZG_CHECK(o.latent_dim > 0 && o.channels1 > 0 && o.channels2 > 0,
           "ConvVAE: sizes must be positive (latent {}, channels {} {})", o.latent_dim, o.channels1,
           o.channels2);
  const int64_t features = o.channels2 * 7 * 7;
  // Kernel 4, stride 2, padding 1 halves the side exactly (28 → 14 → 7), and its transpose
  // doubles it back without output_padding.
  encoder = register_module(
      "encoder", nn::Sequential(nn::Conv2d(1, o.channels1, 4, 2, 1), nn::ReLU(),
                                nn::Conv2d(o.channels1, o.channels2, 4, 2, 1), nn::ReLU()));
  mu = register_module("mu", nn::Linear(features, o.latent_dim));
  logvar = register_module("logvar", nn::Linear(features, o.latent_dim));
  project = register_module("project", nn::Linear(o.latent_dim, features));
  decoder = register_module(
      "decoder", nn::Sequential(nn::ConvTranspose2d(o.channels2, o.channels1, 4, 2, 1), nn::ReLU(),
                                nn::ConvTranspose2d(o.channels1, 1, 4, 2, 1)));
}

std::pair<Tensor, Tensor> ConvVAEImpl::encode(const Tensor& x) {
  Tensor images = flat_examples(x, 784, "ConvVAE::encode").view({x.size(0), 1, 28, 28});
  Tensor h = encoder(images).flatten(1);
  return {mu(h), logvar(h)};
}

Tensor ConvVAEImpl::decode(const Tensor& z) {
  Tensor h = project(z).relu().view({z.size(0), options.channels2, 7, 7});
  return decoder(h);
}

VAE make_vae(const std::string& kind, int64_t latent_dim) {
  ZG_CHECK(latent_dim > 0, "make_vae: latent_dim must be positive, got {}", latent_dim);
  if (kind == "mlp")
    return VAE(std::make_shared<MlpVAEImpl>(MlpVAEOptions{.latent_dim = latent_dim}));
  if (kind == "conv")
    return VAE(std::make_shared<ConvVAEImpl>(ConvVAEOptions{.latent_dim = latent_dim}));
  ZG_CHECK(false, "make_vae: unknown model '{}' (expected mlp or conv)", kind);
  return VAE(nullptr);
}

// ---- importance weighting (D10) -------------------------------------------------------------

Tensor importance_log_weights(VAEImpl& model, const Tensor& x, int64_t k, Generator& gen,
                              int64_t max_rows) {
  ZG_CHECK(k > 0 && max_rows > 0,
           "importance_log_weights: K ({}) and max_rows ({}) must be positive", k, max_rows);
  NoGradGuard no_grad;
  const int64_t n = x.size(0), d = model.latent_dim(), numel = model.input_numel();
  Tensor flat = flat_examples(x, numel, "importance_log_weights");
  auto [m, lv] = model.encode(x);
  Tensor sigma = (lv * 0.5).exp();
  // log q(z|x) at z = μ + σε is Σ_d −½ε² − ½ log σ² − ½ log 2π: no need to recompute (z − μ)/σ.
  Tensor log_q_const = (lv * -0.5).sum({1}) - 0.5 * kLog2Pi * static_cast<double>(d);  // [N]

  // Chunks: c samples for each of b examples at a time, c·b <= max_rows decoded rows.
  const int64_t b = std::min(n, max_rows);
  const int64_t c = std::max<int64_t>(1, max_rows / b);
  // One draw of all the noise, [K, N, d] (small: no pixels), so the chunking never changes
  // which ε goes with which (k, example) — max_rows changes the memory, not the answer.
  Tensor all_eps = randn({k, n, d}, gen, x.options());
  std::vector<Tensor> columns;  // [N, c] pieces along K
  for (int64_t k0 = 0; k0 < k; k0 += c) {
    const int64_t kc = std::min(c, k - k0);
    Tensor eps = all_eps.narrow(0, k0, kc);
    std::vector<Tensor> rows;  // [kc, b] pieces along N
    for (int64_t i = 0; i < n; i += b) {
      const int64_t bi = std::min(b, n - i);
      Tensor e = eps.narrow(1, i, bi);                             // [kc, bi, d]
      Tensor z = m.narrow(0, i, bi) + sigma.narrow(0, i, bi) * e;  // broadcast over kc
      Tensor logits = model.decode(z.reshape({kc * bi, d})).reshape({kc, bi, numel});
      Tensor target = flat.narrow(0, i, bi).unsqueeze(0).expand({kc, bi, numel});
      Tensor log_px_z =
          -nn::functional::binary_cross_entropy_with_logits(logits, target, {}, "none").sum({2});
      Tensor log_pz = (z.square() * -0.5).sum({2}) - 0.5 * kLog2Pi * static_cast<double>(d);
      Tensor log_qz = (e.square() * -0.5).sum({2}) + log_q_const.narrow(0, i, bi);
      rows.push_back(log_px_z + log_pz - log_qz);
    }
    columns.push_back(cat(rows, 1).t());  // [N, kc]
  }
  return cat(columns, 1).contiguous();
}

Tensor iwae_bound(const Tensor& log_weights, int64_t k) {
  ZG_CHECK(log_weights.dim() == 2 && log_weights.size(1) > 0,
           "iwae_bound: log weights must be [N, K] with K > 0, got {}",
           shape_str(log_weights.shape()));
  ZG_CHECK(k <= log_weights.size(1), "iwae_bound: k = {} exceeds the K = {} columns", k,
           log_weights.size(1));
  Tensor w = k > 0 ? log_weights.narrow(1, 0, k) : log_weights;
  return nn::functional::log_mean_exp(w, 1);  // stable: log weights of −300 nats are fine
}

}  // namespace zg::models
