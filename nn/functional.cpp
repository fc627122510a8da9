#include "nn/functional.h"

#include <cmath>

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

Tensor log_mean_exp(const Tensor& x, int64_t dim) {
  ZG_CHECK(x.defined() && x.is_floating_point(), "log_mean_exp: needs a floating-point tensor");
  ZG_CHECK(dim >= -x.dim() && dim < x.dim(), "log_mean_exp: dim {} out of range for shape {}", dim,
           shape_str(x.shape()));
  if (dim < 0) dim += x.dim();
  ZG_CHECK(x.size(dim) > 0, "log_mean_exp: the mean over dim {} of shape {} has no terms", dim,
           shape_str(x.shape()));
  return x.logsumexp({dim}) - std::log(static_cast<double>(x.size(dim)));
}

}  // namespace zg::nn::functional
