/// \file
/// The network of the 2-D diffusion and score examples (DDPM, NCSN, D19–D21): an MLP on the
/// point and a sinusoidal embedding of its noise condition (t for DDPM, 1000·log σ for NCSN,
/// as the UNet takes them):
/// \code{.unparsed}
///   h = SiLU(Linear(x) + Linear(SiLU(Linear(sinusoidal(c)))))      (hidden units)
///   [h = SiLU(Linear(h))] × (layers − 1);  out = Linear(h)           (data_dim outputs)
/// \endcode
/// The output is ε, x_0 or a score, as the trainer chooses (models/noise_levels.h).
#pragma once
#include "nn/nn.h"

namespace zg::models {

struct ToyScoreNetOptions {
  int64_t data_dim = 2, hidden = 128, layers = 3, embed_dim = 32;
};

class ToyScoreNetImpl : public nn::Module {
 public:
  explicit ToyScoreNetImpl(const ToyScoreNetOptions& options = {});
  using nn::Module::forward;
  /// x [N, data_dim]; condition [N] (any numeric dtype, converted to x's) → [N, data_dim].
  Tensor forward(const Tensor& x, const Tensor& condition);
  ToyScoreNetOptions options;
  nn::Linear input{nullptr};
  nn::Sequential condition_embed{nullptr};  // sinusoidal → Linear → SiLU → Linear
  nn::Sequential trunk{nullptr};            // SiLU, [Linear, SiLU] × (layers − 1), Linear
};
ZG_MODULE(ToyScoreNet);

}  // namespace zg::models
