// An outside program using zerogen as an installed package or a subproject: one linear
// layer, a backward and an SGD step, each checked against the value worked out by hand.
#include <cmath>
#include <cstdio>

#include "nn/linear.h"
#include "zerogen.h"

using namespace zg;

namespace {

bool near(const char* what, double got, double want) {
  bool ok = std::abs(got - want) < 1e-5;
  std::printf("%s: %.6f (want %.6f)%s\n", what, got, want, ok ? "" : "  <-- WRONG");
  return ok;
}

}  // namespace

int main() {
  nn::Linear fc(3, 1);
  {
    NoGradGuard no_grad;
    fc->weight.copy_(tensor({1, 2, 3}).view({1, 3}));
    fc->bias.fill_(0.5);
  }
  optim::SGD opt(fc->parameters(), {.lr = 0.1});
  Tensor x = ones({1, 3});

  // y = 1 + 2 + 3 + 0.5 = 6.5, loss = (y − 2)² = 20.25, dloss/dy = 9 = dloss/db = dloss/dw_i.
  Tensor loss = nn::functional::mse_loss(fc(x), full({1, 1}, 2.0));
  loss.backward();
  bool ok = near("loss", loss.item<double>(), 20.25);
  ok &= near("dloss/dw[2]", fc->weight.grad().to_vector<double>()[2], 9.0);
  ok &= near("dloss/db", fc->bias.grad().item<double>(), 9.0);

  // After w −= 0.1·9 and b −= 0.1·9: y = 0.1 + 1.1 + 2.1 − 0.4 = 2.9.
  opt.step();
  ok &= near("y after one step", fc(x).item<double>(), 2.9);
  std::printf("%s\n", ok ? "consumer: OK" : "consumer: FAILED");
  return ok ? 0 : 1;
}
