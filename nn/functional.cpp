#include "nn/functional.h"

namespace zg::nn::functional {

Tensor gaussian_kl(const Tensor& mu1, const Tensor& logvar1, const Tensor& mu2,
                   const Tensor& logvar2) {
  return 0.5 * (logvar2 - logvar1 + (logvar1.exp() + (mu1 - mu2).square()) / logvar2.exp() - 1.0);
}

Tensor gaussian_kl_standard(const Tensor& mu, const Tensor& logvar) {
  return 0.5 * (mu.square() + logvar.exp() - 1.0 - logvar);
}

}  // namespace zg::nn::functional
