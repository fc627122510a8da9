// The normalisation building blocks: fused moments and the fused affine apply, each with a
// backward made of differentiable ops (so BatchNorm/GroupNorm/LayerNorm built on them have
// second derivatives).
#include "autograd/node.h"
#include "tensor/raw.h"

namespace zg {

using Grads = std::vector<Tensor>;

// With n elements per slice: d ā/da = 1/n, and d cov/da = (b − b̄)/n — the term through ā
// vanishes because Σ(b − b̄) = 0. The means come from the node's own output, so under
// create_graph they carry their dependence on a and b into the second derivative.
Moments moments(const Tensor& a, const Tensor& b, const Shape& dims) {
  Tensor packed = raw::moments(a, b, dims, "moments");
  std::vector<bool> reduced = raw::reduced_dims(dims, a.dim(), "moments");
  int64_t n = 1;
  for (int64_t i = 0; i < a.dim(); ++i)
    if (reduced[i]) n *= a.shape()[i];
  const double inv_n = 1.0 / static_cast<double>(n);
  Tensor out = record(
      packed, "MomentsBackward", {a, b},
      [a, b, inv_n](const Tensor& g, Node& self) -> Grads {
        Tensor y = self.output();
        Tensor g_cov = g.select(0, 2) * inv_n;
        Tensor ga, gb;
        if (self.needs_grad(0))
          ga = affine(b, g_cov, g.select(0, 0) * inv_n - g_cov * y.select(0, 1));
        if (self.needs_grad(1))
          gb = affine(a, g_cov, g.select(0, 1) * inv_n - g_cov * y.select(0, 0));
        return {ga, gb};
      },
      true);
  return {out.select(0, 0), out.select(0, 1), out.select(0, 2)};
}

// Each operand's gradient is the incoming one times its partner, summed back over the dims
// it was broadcast along.
static Tensor affine_node(const Tensor& a, const Tensor& s, const Tensor& b, const Tensor& t,
                          const Tensor& c) {
  return record(raw::affine(a, s, b, t, c, "affine"), "AffineBackward", {a, s, b, t, c},
                [a, s, b, t, c](const Tensor& g, Node& self) -> Grads {
                  Grads out(5);
                  const Tensor* partner[4] = {&s, &a, &t, &b};
                  const Tensor* self_of[4] = {&a, &s, &b, &t};
                  for (int i = 0; i < 4; ++i)
                    if (self.needs_grad(i))
                      out[i] = (g * *partner[i]).sum_to_size(self_of[i]->shape());
                  if (self.needs_grad(4)) out[4] = g.sum_to_size(c.shape());
                  return out;
                });
}

Tensor affine(const Tensor& a, const Tensor& s, const Tensor& c) {
  return affine_node(a, s, Tensor(), Tensor(), c);
}
Tensor affine(const Tensor& a, const Tensor& s, const Tensor& b, const Tensor& t, const Tensor& c) {
  ZG_CHECK(b.defined() && t.defined(), "affine: b and t must both be defined");
  return affine_node(a, s, b, t, c);
}

}  // namespace zg
