// Reductions and their derivatives: a sum's gradient is the incoming gradient broadcast
// back over the reduced dims; a max's goes to the elements that attained it.
#include "autograd/node.h"
#include "tensor/raw.h"

namespace zg {

using Grads = std::vector<Tensor>;

static Shape all_dims(const Tensor& t) {
  Shape d(t.dim());
  for (int64_t i = 0; i < t.dim(); ++i) d[i] = i;
  return d;
}

// The reduced result with size-1 dims kept, viewed so it broadcasts against the input.
static Tensor keep_dims(const Tensor& g, const Tensor& x, const Shape& dims) {
  return g.reshape(raw::reduced_shape(x.shape(), raw::reduced_dims(dims, x.dim(), "sum"), true));
}

Tensor Tensor::sum(const Shape& dims, bool keepdim) const {
  Tensor x = *this;
  return record(raw::reduce(ReduceOp::Sum, x, dims, keepdim, "sum"), "SumBackward", {x},
                [x, dims](const Tensor& g, Node&) -> Grads {
                  return {keep_dims(g, x, dims).expand(x.shape())};
                });
}
Tensor Tensor::sum() const { return sum(all_dims(*this)); }

Tensor Tensor::mean(const Shape& dims, bool keepdim) const {
  raw::check_floating(*this, "mean");
  std::vector<bool> reduced = raw::reduced_dims(dims, dim(), "mean");
  int64_t count = 1;
  for (int64_t i = 0; i < dim(); ++i)
    if (reduced[i]) count *= shape()[i];
  return sum(dims, keepdim) / static_cast<double>(count);
}
Tensor Tensor::mean() const { return mean(all_dims(*this)); }

Tensor Tensor::var(const Shape& dims, bool unbiased, bool keepdim) const {
  raw::check_floating(*this, "var");
  std::vector<bool> reduced = raw::reduced_dims(dims, dim(), "var");
  int64_t count = 1;
  for (int64_t i = 0; i < dim(); ++i)
    if (reduced[i]) count *= shape()[i];
  Tensor centered = *this - mean(dims, true);
  return centered.square().sum(dims, keepdim) / static_cast<double>(count - (unbiased ? 1 : 0));
}
Tensor Tensor::var(bool unbiased) const { return var(all_dims(*this), unbiased); }
Tensor Tensor::std(const Shape& dims, bool unbiased, bool keepdim) const {
  return var(dims, unbiased, keepdim).sqrt();
}
Tensor Tensor::std(bool unbiased) const { return var(unbiased).sqrt(); }

// amax/amin: ties share the gradient equally, as in torch.
static Tensor extremum(ReduceOp op, const Tensor& x, const Shape& dims, bool keepdim,
                       const char* name) {
  Tensor y = raw::reduce(op, x, dims, true, name);
  // Always a separate handle: backward captures y, which must not be the recorded output
  // itself (the output's node would then keep itself alive).
  Shape shape = raw::reduced_shape(x.shape(), raw::reduced_dims(dims, x.dim(), name), keepdim);
  Tensor out = raw::as_strided(y, shape, contiguous_strides(shape), 0);
  return record(out, name, {x},
                [x, y, dims](const Tensor& g, Node&) -> Grads {
                  Tensor hit = raw::binary(BinaryOp::Eq, x, y, 1.0, "mask");
                  Tensor share = hit / raw::reduce(ReduceOp::Sum, hit, dims, true, "mask");
                  return {keep_dims(g, x, dims) * share};
                },
                false, {y});
}
Tensor Tensor::amax(const Shape& dims, bool keepdim) const {
  return extremum(ReduceOp::Max, *this, dims, keepdim, "amax");
}
Tensor Tensor::amin(const Shape& dims, bool keepdim) const {
  return extremum(ReduceOp::Min, *this, dims, keepdim, "amin");
}
Tensor Tensor::max() const { return amax(all_dims(*this)); }
Tensor Tensor::min() const { return amin(all_dims(*this)); }

static std::pair<Tensor, Tensor> arg_extremum(ReduceOp op, const Tensor& x, int64_t dim,
                                              bool keepdim, const char* name) {
  auto [values, indices] = raw::arg_reduce(op, x, dim, keepdim, name);
  int64_t d = wrap_dim(dim, x.dim(), name);
  Tensor idx = keepdim || x.dim() == 0 ? indices : indices.unsqueeze(d);
  values = record(values, name, {x},
                  [x, d, idx, keepdim](const Tensor& g, Node&) -> Grads {
                    Tensor gk = keepdim || x.dim() == 0 ? g : g.unsqueeze(d);
                    if (x.dim() == 0) return {gk.reshape({})};
                    return {zeros_like(x).scatter_add(d, idx, gk)};
                  },
                  false, {idx});
  return {values, indices};
}
std::pair<Tensor, Tensor> Tensor::max(int64_t dim, bool keepdim) const {
  return arg_extremum(ReduceOp::Max, *this, dim, keepdim, "max");
}
std::pair<Tensor, Tensor> Tensor::min(int64_t dim, bool keepdim) const {
  return arg_extremum(ReduceOp::Min, *this, dim, keepdim, "min");
}
Tensor Tensor::argmax(int64_t dim, bool keepdim) const {
  return raw::arg_reduce(ReduceOp::Max, *this, dim, keepdim, "argmax").second;
}
Tensor Tensor::argmin(int64_t dim, bool keepdim) const {
  return raw::arg_reduce(ReduceOp::Min, *this, dim, keepdim, "argmin").second;
}

Tensor Tensor::logsumexp(const Shape& dims, bool keepdim) const {
  raw::check_floating(*this, "logsumexp");
  // Shift by the (constant) max so exp() cannot overflow; an all -inf slice shifts by 0.
  Tensor m = raw::reduce(ReduceOp::Max, *this, dims, true, "logsumexp");
  m = where(raw::unary(UnaryOp::Abs, m, 0, "logsumexp").eq(INFINITY), zeros_like(m), m);
  Tensor out = (*this - m).exp().sum(dims, true).log() + m;
  if (keepdim) return out;
  return out.reshape(
      raw::reduced_shape(shape(), raw::reduced_dims(dims, dim(), "logsumexp"), false));
}

Tensor Tensor::sum_to_size(const Shape& target) const {
  if (shape() == target) return *this;
  int64_t lead = dim() - static_cast<int64_t>(target.size());
  ZG_CHECK(lead >= 0, "sum_to_size: cannot sum {} to {}", shape_str(shape()), shape_str(target));
  Shape dims;
  for (int64_t i = 0; i < dim(); ++i) {
    if (i < lead) {
      dims.push_back(i);
      continue;
    }
    int64_t t = target[i - lead];
    ZG_CHECK(t == shape()[i] || t == 1, "sum_to_size: cannot sum {} to {}", shape_str(shape()),
             shape_str(target));
    if (t == 1 && shape()[i] != 1) dims.push_back(i);
  }
  if (dims.empty()) return reshape(target);
  return sum(dims, true).reshape(target);
}

}  // namespace zg
