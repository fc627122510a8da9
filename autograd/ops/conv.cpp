// Sliding-window ops and their derivatives.
//
// im2col and col2im are linear maps and each other's adjoint, so each one's backward is
// the other. A convolution y = F(x, w) is bilinear; with T(g, w) its adjoint in x (the
// input gradient, which is also conv_transpose2d) and W(x, g) its adjoint in w (the weight
// gradient), the identities ⟨F(x, w), g⟩ = ⟨x, T(g, w)⟩ = ⟨w, W(x, g)⟩ give every partial
// derivative of each of the three maps as one of the other two:
//   F(x, w):  dx = T(h, w),  dw = W(x, h)
//   T(g, w):  dg = F(h, w),  dw = W(h, g)
//   W(x, g):  dx = T(g, h),  dg = F(x, h)
// where h is the incoming gradient. The backward formulas are therefore themselves
// differentiable ops, to any order.
#include "tensor/conv.h"
#include "autograd/node.h"
#include "tensor/raw.h"

namespace zg {

using Grads = std::vector<Tensor>;

Tensor im2col(const Tensor& x, const Window2d& win) {
  Tensor cols = raw::im2col(x, win);  // checks x first
  return record(cols, "Im2colBackward", {x},
                [win, h = x.size(2), w = x.size(3)](const Tensor& g, Node&) -> Grads {
                  return {col2im(g, h, w, win)};
                });
}

Tensor col2im(const Tensor& cols, int64_t h, int64_t w, const Window2d& win) {
  return record(raw::col2im(cols, h, w, win), "Col2imBackward", {cols},
                [win](const Tensor& g, Node&) -> Grads { return {im2col(g, win)}; });
}

// A bias b adds b[c] at every position of output channel c: its gradient sums h over the
// batch and the plane.
static Tensor bias_grad(const Tensor& h) { return h.sum({0, 2, 3}); }

Tensor conv2d_forward(const Tensor& x, const Tensor& w, const Window2d& win, int64_t groups,
                      const Tensor& bias) {
  return record(raw::conv2d_forward(x, w, win, groups, bias), "ConvolutionBackward", {x, w, bias},
                [x, w, win, groups](const Tensor& h, Node& self) -> Grads {
                  return {self.needs_grad(0)
                              ? conv2d_backward_input(h, w, x.size(2), x.size(3), win, groups)
                              : Tensor(),
                          self.needs_grad(1) ? conv2d_backward_weight(x, h, win, groups) : Tensor(),
                          self.needs_grad(2) ? bias_grad(h) : Tensor()};
                });
}

Tensor conv2d_backward_input(const Tensor& g, const Tensor& w, int64_t h, int64_t wd,
                             const Window2d& win, int64_t groups, const Tensor& bias) {
  return record(
      raw::conv2d_backward_input(g, w, h, wd, win, groups, bias), "ConvolutionBackwardInput",
      {g, w, bias}, [g, w, win, groups](const Tensor& hg, Node& self) -> Grads {
        return {self.needs_grad(0) ? conv2d_forward(hg, w, win, groups) : Tensor(),
                self.needs_grad(1) ? conv2d_backward_weight(hg, g, win, groups) : Tensor(),
                self.needs_grad(2) ? bias_grad(hg) : Tensor()};
      });
}

Tensor conv2d_backward_weight(const Tensor& x, const Tensor& g, const Window2d& win,
                              int64_t groups) {
  return record(raw::conv2d_backward_weight(x, g, win, groups), "ConvolutionBackwardWeight", {x, g},
                [x, g, win, groups](const Tensor& hw, Node& self) -> Grads {
                  return {self.needs_grad(0)
                              ? conv2d_backward_input(g, hw, x.size(2), x.size(3), win, groups)
                              : Tensor(),
                          self.needs_grad(1) ? conv2d_forward(x, hw, win, groups) : Tensor()};
                });
}

}  // namespace zg
