// Indexing: gather and scatter_add are each other's derivative; index_select is a gather
// with the index broadcast across the other dims.
#include "autograd/node.h"
#include "tensor/raw.h"

namespace zg {

using Grads = std::vector<Tensor>;

Tensor Tensor::gather(int64_t dim, const Tensor& index) const {
  int64_t d = wrap_dim(dim, this->dim(), "gather");
  return record(raw::gather(*this, d, index), "GatherBackward", {*this},
                [d, index, in = shape()](const Tensor& g, Node&) -> Grads {
                  return {zeros(in, g.options()).scatter_add(d, index, g)};
                },
                false, {index});
}

Tensor Tensor::scatter_add(int64_t dim, const Tensor& index, const Tensor& src) const {
  int64_t d = wrap_dim(dim, this->dim(), "scatter_add");
  return record(raw::scatter_add(*this, d, index, src), "ScatterAddBackward", {*this, src},
                [d, index](const Tensor& g, Node& self) -> Grads {
                  return {self.needs_grad(0) ? g : Tensor(),
                          self.needs_grad(1) ? g.gather(d, index) : Tensor()};
                },
                false, {index});
}

Tensor Tensor::index_select(int64_t dim, const Tensor& index) const {
  ZG_CHECK(index.dim() <= 1, "index_select: index must be 0-d or 1-d, got {}",
           shape_str(index.shape()));
  int64_t d = wrap_dim(dim, this->dim(), "index_select");
  raw::check_index(index, this->dim() == 0 ? 1 : shape()[d], "index_select");
  if (this->dim() == 0) return *this;
  Shape s(this->dim(), 1);
  s[d] = index.numel();
  Shape full = shape();
  full[d] = index.numel();
  Tensor idx = raw::broadcast_to(index.reshape(s), full, "index_select");
  Tensor out = gather(d, idx);
  return index.dim() == 0 ? out.squeeze(d) : out;
}

Tensor one_hot(const Tensor& index, int64_t num_classes) {
  ZG_CHECK(index.dtype() == kInt64, "one_hot: index must be int64, got {}",
           dtype_name(index.dtype()));
  ZG_CHECK(num_classes > 0, "one_hot: num_classes must be positive, got {}", num_classes);
  raw::check_index(index, num_classes, "one_hot");
  Tensor classes = arange(0, static_cast<double>(num_classes), 1, index.options());
  return raw::binary(BinaryOp::Eq, index.unsqueeze(-1), classes, 1, "one_hot");
}

}  // namespace zg
