// The smallest complete zerogen program: a forward pass, backward, and a second-order
// gradient. d/dx Σx³ = 3x², and d/dx Σ3x² = 6x, so the last line prints ~0.
#include "zerogen.h"
using namespace zg;
int main() {
  manual_seed(0);
  Tensor x = randn({4, 3}, kFloat64).requires_grad_();
  Tensor w = randn({3, 2}, kFloat64).requires_grad_();
  Tensor y = x.matmul(w).tanh().sum();
  y.backward();
  fmt::print("{}\n{}\n", x.grad(), w.grad());
  auto g = autograd::grad({(x * x * x).sum()}, {x}, {.create_graph = true});
  auto h = autograd::grad({g[0].sum()}, {x});  // equals 6x
  fmt::print("{}\n", (h[0] - 6 * x).abs().max().item<double>());
}
