#include "models/toy_score_net.h"

#include "tensor/error.h"

namespace zg::models {

ToyScoreNetImpl::ToyScoreNetImpl(const ToyScoreNetOptions& o) : Module("ToyScoreNet"), options(o) {
  ZG_CHECK(
      o.data_dim > 0 && o.hidden > 0 && o.layers > 0 && o.embed_dim > 0 && o.embed_dim % 2 == 0,
      "ToyScoreNet: data_dim, hidden, layers must be positive and embed_dim positive and "
      "even, got {}, {}, {}, {}",
      o.data_dim, o.hidden, o.layers, o.embed_dim);
  input = register_module("input", nn::Linear(o.data_dim, o.hidden));
  nn::Sequential embed;
  embed->push_back(nn::SinusoidalTimeEmbedding(o.embed_dim));
  embed->push_back(nn::Linear(o.embed_dim, o.hidden));
  embed->push_back(nn::SiLU());
  embed->push_back(nn::Linear(o.hidden, o.hidden));
  condition_embed = register_module("condition_embed", embed);
  nn::Sequential seq;
  seq->push_back(nn::SiLU());
  for (int64_t i = 1; i < o.layers; ++i) {
    seq->push_back(nn::Linear(o.hidden, o.hidden));
    seq->push_back(nn::SiLU());
  }
  seq->push_back(nn::Linear(o.hidden, o.data_dim));
  trunk = register_module("trunk", seq);
}

Tensor ToyScoreNetImpl::forward(const Tensor& x, const Tensor& condition) {
  ZG_CHECK(x.dim() == 2 && x.size(1) == options.data_dim, "ToyScoreNet: expected x [N, {}], got {}",
           options.data_dim, shape_str(x.shape()));
  ZG_CHECK(condition.dim() == 1 && condition.size(0) == x.size(0),
           "ToyScoreNet: expected condition [{}], got {}", x.size(0), shape_str(condition.shape()));
  return trunk(input(x) + condition_embed(condition.to(x.dtype())));
}

}  // namespace zg::models
