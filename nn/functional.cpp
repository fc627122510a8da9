#include "nn/functional.h"

#include "tensor/error.h"

namespace zg::nn::functional {

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  ZG_CHECK(weight.dim() == 2, "linear: weight must be [out, in], got {}",
           shape_str(weight.shape()));
  ZG_CHECK(x.dim() >= 1 && x.size(-1) == weight.size(1),
           "linear: input {} does not end in in_features = {} (weight {})", shape_str(x.shape()),
           weight.size(1), shape_str(weight.shape()));
  Tensor y = x.matmul(weight.t());
  return bias.defined() ? y + bias : y;
}

Tensor gaussian_kl(const Tensor& mu1, const Tensor& logvar1, const Tensor& mu2,
                   const Tensor& logvar2) {
  return 0.5 * (logvar2 - logvar1 + (logvar1.exp() + (mu1 - mu2).square()) / logvar2.exp() - 1.0);
}

Tensor gaussian_kl_standard(const Tensor& mu, const Tensor& logvar) {
  return 0.5 * (mu.square() + logvar.exp() - 1.0 - logvar);
}

}  // namespace zg::nn::functional
