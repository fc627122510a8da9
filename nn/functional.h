// Stateless functions used by layers and losses (the torch::nn::functional of zerogen).
// Layers are thin modules over these; losses live in nn/loss.h.
#pragma once
#include "tensor/tensor.h"

namespace zg::nn::functional {

// x Wᵀ + b over the last dim of x; W is [out, in]; bias may be undefined.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = {});

// KL(N(mu1, exp(logvar1)) ‖ N(mu2, exp(logvar2))), elementwise (D6 of DERIVATIONS.md):
// log(σ2/σ1) + (σ1² + (μ1 − μ2)²) / (2σ2²) − 1/2.
Tensor gaussian_kl(const Tensor& mu1, const Tensor& logvar1, const Tensor& mu2,
                   const Tensor& logvar2);
// KL(N(mu, exp(logvar)) ‖ N(0, 1)) = ½(μ² + σ² − 1 − log σ²), elementwise: the VAE's term.
Tensor gaussian_kl_standard(const Tensor& mu, const Tensor& logvar);

}  // namespace zg::nn::functional
