/// \file
/// Stateless functions used by layers and losses (the torch::nn::functional of zerogen).
/// Layers are thin modules over these; losses live in nn/loss.h.
#pragma once
#include "tensor/tensor.h"

namespace zg::nn::functional {

/// x Wᵀ + b over the last dim of x; W is [out, in]; bias may be undefined.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = {});

/// KL(N(mu1, exp(logvar1)) ‖ N(mu2, exp(logvar2))), elementwise (D6 of DERIVATIONS.md):
/// log(σ2/σ1) + (σ1² + (μ1 − μ2)²) / (2σ2²) − 1/2.
Tensor gaussian_kl(const Tensor& mu1, const Tensor& logvar1, const Tensor& mu2,
                   const Tensor& logvar2);
/// KL(N(mu, exp(logvar)) ‖ N(0, 1)) = ½(μ² + σ² − 1 − log σ²), elementwise: the VAE's term.
Tensor gaussian_kl_standard(const Tensor& mu, const Tensor& logvar);

/// log((1/n) Σ_i exp(x_i)) over `dim` (n = x.size(dim)), that dim removed: the importance-
/// weighted bound's log (1/K) Σ_k w_k from log-weights (D10). Goes through logsumexp, which
/// shifts by the max, so log-weights of −1e4 or +1e4 neither underflow nor overflow; its
/// gradient is softmax(x) along dim. Any floating dtype; use float64 for evaluation (the
/// terms of an IWAE estimate can differ by hundreds of nats).
Tensor log_mean_exp(const Tensor& x, int64_t dim);

}  // namespace zg::nn::functional
