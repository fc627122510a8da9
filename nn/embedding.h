/// \file
/// Lookup tables: Embedding (learned, as torch.nn.Embedding) and the fixed sinusoidal
/// embedding of a diffusion timestep.
#pragma once
#include "nn/module.h"

namespace zg::nn {

namespace functional {

/// weight[indices]: int64 indices of any shape → indices.shape + [dim]. Each id must lie in
/// [0, num_embeddings); the gradient scatters-adds into the used rows of weight.
Tensor embedding(const Tensor& indices, const Tensor& weight);

/// The DDPM timestep embedding: for t of shape [B] (any numeric dtype; float32 out unless t
/// is float64) returns [B, dim] = [sin(t·f_0 .. t·f_{h−1}), cos(t·f_0 .. t·f_{h−1})] with
/// h = dim / 2 and f_i = exp(−ln(max_period)·i / h). WORKLOADS.md does not pin the variant;
/// implementations differ in two details, fixed here as: sines first (Ho et al.'s DDPM code;
/// guided-diffusion puts cosines first) and i / h (guided-diffusion; Ho et al. divide by
/// h − 1). A PyTorch twin must use the same two choices. An odd dim gets a zero last column.
Tensor timestep_embedding(const Tensor& t, int64_t dim, double max_period = 10000.0);

}  // namespace functional

struct EmbeddingOptions {
  EmbeddingOptions(int64_t num_embeddings, int64_t embedding_dim)
      : num_embeddings(num_embeddings), embedding_dim(embedding_dim) {}
  int64_t num_embeddings, embedding_dim;
};

class EmbeddingImpl : public Module {
 public:
  EmbeddingImpl(int64_t num_embeddings, int64_t embedding_dim)
      : EmbeddingImpl(EmbeddingOptions(num_embeddings, embedding_dim)) {}
  explicit EmbeddingImpl(const EmbeddingOptions& options);
  Tensor forward(const Tensor& indices) override;
  std::string extra_repr() const override;
  void reset_parameters();  ///< N(0, 1), as torch

  EmbeddingOptions options;
  Tensor weight;  ///< [num_embeddings, embedding_dim]
};
ZG_MODULE(Embedding);

/// No parameters: a module so that it can sit in a Sequential before the time MLP.
class SinusoidalTimeEmbeddingImpl : public Module {
 public:
  explicit SinusoidalTimeEmbeddingImpl(int64_t dim, double max_period = 10000.0);
  Tensor forward(const Tensor& t) override;
  std::string extra_repr() const override;
  int64_t dim;
  double max_period;
};
ZG_MODULE(SinusoidalTimeEmbedding);

}  // namespace zg::nn
