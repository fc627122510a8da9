/// \file
/// The DCGAN of workload W3 (and of `zerogen train-gan`, issue 6), for 28×28 images:
/// \code{.unparsed}
///   G: z (100) → Linear 128·7·7 → BatchNorm2d → ReLU → ConvT(128→64, 4, 2, 1) → BN → ReLU
///        → ConvT(64→1, 4, 2, 1) → tanh            (7 → 14 → 28; images in [−1, 1])
///   D: Conv(1→64, 4, 2, 1) → LeakyReLU 0.2 → Conv(64→128, 4, 2, 1) → BN → LeakyReLU 0.2
///        → Linear(128·7·7 → 1)                   (one logit: D(x) = sigmoid(logit))
/// \endcode
#pragma once
#include "nn/nn.h"

namespace zg::models {

struct DCGANOptions {
  int64_t latent_dim = 100, channels = 1, width = 64;  ///< D's first conv (G's last has 2×width in)
};

class DCGANGeneratorImpl : public nn::Module {
 public:
  explicit DCGANGeneratorImpl(const DCGANOptions& options = {});
  Tensor forward(const Tensor& z) override;  ///< [N, latent_dim] → [N, C, 28, 28]
  DCGANOptions options;
  nn::Linear fc{nullptr};
  nn::Sequential net{nullptr};
};
ZG_MODULE(DCGANGenerator);

class DCGANDiscriminatorImpl : public nn::Module {
 public:
  explicit DCGANDiscriminatorImpl(const DCGANOptions& options = {});
  Tensor forward(const Tensor& x) override;  ///< [N, C, 28, 28] → logits [N, 1]
  DCGANOptions options;
  nn::Sequential net{nullptr};
};
ZG_MODULE(DCGANDiscriminator);

}  // namespace zg::models
