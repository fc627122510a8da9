#include "nn/embedding.h"

#include <fmt/format.h>

#include <cmath>

#include "nn/init.h"
#include "tensor/error.h"
#include "tensor/raw.h"

namespace zg::nn {

namespace functional {

Tensor embedding(const Tensor& indices, const Tensor& weight) {
  ZG_CHECK(weight.dim() == 2, "embedding: weight must be [num_embeddings, dim], got {}",
           shape_str(weight.shape()));
  ZG_CHECK(indices.dtype() == kInt64, "embedding: indices must be int64, got {} {}",
           dtype_name(indices.dtype()), shape_str(indices.shape()));
  const int64_t n = weight.size(0);
  if (indices.numel() > 0) {
    // Name the offending id: the largest if it is too big, else the smallest.
    int64_t lo = raw::reduce(ReduceOp::Min, indices, {}, false, "embedding").item<int64_t>();
    int64_t hi = raw::reduce(ReduceOp::Max, indices, {}, false, "embedding").item<int64_t>();
    ZG_CHECK(hi < n, "embedding: index {} is out of range for a table of {} embeddings", hi, n);
    ZG_CHECK(lo >= 0, "embedding: index {} is out of range for a table of {} embeddings", lo, n);
  }
  Shape out = indices.shape();
  out.push_back(weight.size(1));
  return weight.index_select(0, indices.reshape({-1})).reshape(out);
}

Tensor timestep_embedding(const Tensor& t, int64_t dim, double max_period) {
  ZG_CHECK(t.dim() == 1, "timestep_embedding: t must be 1-d [B], got {}", shape_str(t.shape()));
  ZG_CHECK(dim >= 2, "timestep_embedding: dim must be at least 2, got {}", dim);
  ZG_CHECK(max_period > 0, "timestep_embedding: max_period must be positive, got {}", max_period);
  const DType dt = t.dtype() == kFloat64 ? kFloat64 : kFloat32;
  const int64_t half = dim / 2;
  Tensor freqs = (arange(0, static_cast<double>(half), 1, TensorOptions(dt).device(t.device())) *
                  (-std::log(max_period) / static_cast<double>(half)))
                     .exp();
  Tensor args = t.to(dt).unsqueeze(1) * freqs.unsqueeze(0);  // [B, half]
  Tensor emb = cat({args.sin(), args.cos()}, 1);
  if (dim % 2 == 1)
    emb = cat({emb, zeros({t.size(0), 1}, TensorOptions(dt).device(t.device()))}, 1);
  return emb;
}

}  // namespace functional

EmbeddingImpl::EmbeddingImpl(const EmbeddingOptions& opts) : Module("Embedding"), options(opts) {
  ZG_CHECK(opts.num_embeddings > 0 && opts.embedding_dim > 0,
           "Embedding: num_embeddings and embedding_dim must be positive, got {} and {}",
           opts.num_embeddings, opts.embedding_dim);
  weight = register_parameter("weight", empty({opts.num_embeddings, opts.embedding_dim}));
  reset_parameters();
}

void EmbeddingImpl::reset_parameters() { init::normal_(weight, 0.0, 1.0); }

Tensor EmbeddingImpl::forward(const Tensor& indices) {
  return functional::embedding(indices, weight);
}

std::string EmbeddingImpl::extra_repr() const {
  return fmt::format("{}, {}", options.num_embeddings, options.embedding_dim);
}

SinusoidalTimeEmbeddingImpl::SinusoidalTimeEmbeddingImpl(int64_t dim, double max_period)
    : Module("SinusoidalTimeEmbedding"), dim(dim), max_period(max_period) {
  ZG_CHECK(dim >= 2, "SinusoidalTimeEmbedding: dim must be at least 2, got {}", dim);
}

Tensor SinusoidalTimeEmbeddingImpl::forward(const Tensor& t) {
  return functional::timestep_embedding(t, dim, max_period);
}

std::string SinusoidalTimeEmbeddingImpl::extra_repr() const {
  return fmt::format("dim={}, max_period={}", dim, max_period);
}

}  // namespace zg::nn
