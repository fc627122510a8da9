// matmul with torch.matmul's rules, and the fused softmax / log_softmax.
#include "autograd/node.h"
#include "tensor/raw.h"

namespace zg {

using Grads = std::vector<Tensor>;

// [..., M, K] @ [..., K, N] with equal batch dims: the one GEMM node.
// d(A·B) = dA·B + A·dB, so grad_A = G·Bᵀ and grad_B = Aᵀ·G (transposes are free views).
static Tensor matmul_node(const Tensor& a, const Tensor& b) {
  return record(raw::matmul_same_batch(a, b), "MatmulBackward", {a, b},
                [a, b](const Tensor& g, Node& self) -> Grads {
                  return {self.needs_grad(0) ? matmul_node(g, b.mT()) : Tensor(),
                          self.needs_grad(1) ? matmul_node(a.mT(), g) : Tensor()};
                });
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  ZG_CHECK(a.dim() >= 1 && b.dim() >= 1, "matmul: both operands need at least 1 dim, got {} and {}",
           shape_str(a.shape()), shape_str(b.shape()));
  ZG_CHECK(a.size(-1) == b.size(b.dim() == 1 ? 0 : -2),
           "matmul: shapes {} and {} cannot be multiplied ({} vs {})", shape_str(a.shape()),
           shape_str(b.shape()), a.size(-1), b.size(b.dim() == 1 ? 0 : -2));
  if (a.dim() == 1 && b.dim() == 1) return matmul_node(a.unsqueeze(0), b.unsqueeze(1)).reshape({});
  if (a.dim() == 1) return matmul(a.unsqueeze(0), b).squeeze(-2);
  if (b.dim() == 1) return matmul(a, b.unsqueeze(1)).squeeze(-1);
  if (a.dim() > 2 && b.dim() == 2) {  // fold batch into rows: one GEMM, no broadcast grad
    Shape out = a.shape();
    out.back() = b.size(1);
    return matmul_node(a.reshape({-1, a.size(-1)}), b).reshape(out);
  }
  Shape batch = broadcast_shapes(Shape(a.shape().begin(), a.shape().end() - 2),
                                 Shape(b.shape().begin(), b.shape().end() - 2), "matmul");
  Shape sa = batch, sb = batch;
  sa.insert(sa.end(), a.shape().end() - 2, a.shape().end());
  sb.insert(sb.end(), b.shape().end() - 2, b.shape().end());
  return matmul_node(a.expand(sa), b.expand(sb));
}
Tensor Tensor::matmul(const Tensor& other) const { return zg::matmul(*this, other); }

// softmax: dy = y ⊙ (g − Σ g⊙y); log_softmax: dx = g − softmax(x)·Σg.
Tensor softmax(const Tensor& x, int64_t dim) {
  int64_t d = wrap_dim(dim, x.dim(), "softmax");
  return record(
      raw::softmax(x, d, false), "SoftmaxBackward", {x},
      [d](const Tensor& g, Node& self) -> Grads {
        Tensor y = self.output();
        return {y * (g - (g * y).sum({d}, true))};
      },
      true);
}
Tensor log_softmax(const Tensor& x, int64_t dim) {
  int64_t d = wrap_dim(dim, x.dim(), "log_softmax");
  return record(
      raw::softmax(x, d, true), "LogSoftmaxBackward", {x},
      [d](const Tensor& g, Node& self) -> Grads {
        return {g - self.output().exp() * g.sum({d}, true)};
      },
      true);
}
Tensor Tensor::softmax(int64_t dim) const { return zg::softmax(*this, dim); }
Tensor Tensor::log_softmax(int64_t dim) const { return zg::log_softmax(*this, dim); }

}  // namespace zg
