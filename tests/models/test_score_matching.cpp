#include <doctest/doctest.h>

#include <cmath>

#include "autograd/gradcheck.h"
#include "models/score_matching.h"
#include "optim/optim.h"
#include "tests/check_error.h"
#include "tests/test_util.h"

using namespace zg;

namespace {
const TensorOptions kF64 = TensorOptions().dtype(kFloat64);
}

TEST_CASE("exact_score_matching_loss of a linear score is tr(A) + 1/2 mean |Ax + b|^2") {
  Tensor x = tensor({1, 0, 0, 1, 1, 1}, kF64).reshape({3, 2});
  Tensor A = tensor({-1, 0.5, 0.2, -2}, kF64).reshape({2, 2});
  Tensor b = tensor({0.1, -0.3}, kF64);
  // Ax + b per row: (−0.9, −0.1), (0.6, −2.3), (−0.4, −2.1); squared norms 0.82, 5.65, 4.57.
  // J = tr A + ½·(0.82 + 5.65 + 4.57)/3 = −3 + 1.84.
  Tensor loss =
      models::exact_score_matching_loss([&](const Tensor& v) { return v.matmul(A.t()) + b; }, x);
  CHECK(loss.dim() == 0);
  CHECK(loss.item<double>() == doctest::Approx(-1.16).epsilon(1e-14));
}

TEST_CASE("exact_score_matching_loss counts only the diagonal of the Jacobian") {
  // s(x) = (x0·x1, x0²): ∂s0/∂x0 = x1, ∂s1/∂x1 = 0, so tr ∇s = x1 (the off-diagonal 2x0
  // and x0 must not count).
  Generator gen(5);
  Tensor x = randn({7, 2}, gen, kF64);
  auto model = [](const Tensor& v) {
    Tensor x0 = v.select(1, 0), x1 = v.select(1, 1);
    return stack({x0 * x1, x0.square()}, 1);
  };
  Tensor x0 = x.select(1, 0), x1 = x.select(1, 1);
  double expected = (x1 + ((x0 * x1).square() + x0.square().square()) * 0.5).mean().item<double>();
  CHECK(models::exact_score_matching_loss(model, x).item<double>() ==
        doctest::Approx(expected).epsilon(1e-13));
  CHECK_FALSE(x.requires_grad());  // the input is neither modified nor made a graph leaf
}

TEST_CASE("exact_score_matching_loss is differentiable in the parameters (second order)") {
  // s(x) = tanh(Ax + b): tr ∇s = Σ_d (1 − tanh²(z_d))·A_dd depends on A and b through the
  // derivative of tanh, so its gradient goes through the backward pass's own graph.
  Generator gen(6);
  Tensor x = randn({5, 3}, gen, kF64);
  Tensor A = (randn({3, 3}, gen, kF64) * 0.7).requires_grad_();
  Tensor b = (randn({3}, gen, kF64) * 0.3).requires_grad_();
  auto loss = [&](const std::vector<Tensor>& p) {
    return models::exact_score_matching_loss(
        [&](const Tensor& v) { return (v.matmul(p[0].t()) + p[1]).tanh(); }, x);
  };
  CHECK(autograd::gradcheck(loss, {A, b}));
  // And it builds its graph even when called without grad mode.
  NoGradGuard no_grad;
  CHECK(loss({A, b}).requires_grad());
}

TEST_CASE("exact_score_matching_loss errors") {
  auto identity = [](const Tensor& v) { return v; };
  CHECK_ZG_ERROR(models::exact_score_matching_loss(identity, zeros({4})),
                 "exact_score_matching_loss: expected floating x [B, D]", "[4]");
  CHECK_ZG_ERROR(
      models::exact_score_matching_loss([](const Tensor& v) { return v.sum({1}); }, zeros({4, 2})),
      "maps x [4, 2] to [4]");
  // A score that does not depend on x has zero trace.
  CHECK(models::exact_score_matching_loss([](const Tensor& v) { return ones_like(v).detach(); },
                                          zeros({4, 2}))
            .item<double>() == doctest::Approx(1.0));
}

TEST_CASE("dsm_loss is 1/2 |sigma s + z|^2 summed per example, mean over the batch") {
  Tensor s = tensor({1, 2, 3, 4}, kF64).reshape({2, 2});
  Tensor z = tensor({0.5, 0, -1, 1}, kF64).reshape({2, 2});
  // σ = (0.5, 2): rows (1, 1) and (5, 9), squared norms 2 and 106 → ½·108/2.
  CHECK(models::dsm_loss(s, z, tensor({0.5, 2.0}, kF64)).item<double>() == doctest::Approx(27.0));
  // One σ for all: rows (1.5, 2) and (2, 5) → ½·(6.25 + 29)/2.
  CHECK(models::dsm_loss(s, z, scalar_tensor(1.0, kF64)).item<double>() == doctest::Approx(8.8125));
  // Zero at the conditional score s = −z/σ.
  Tensor sigma = tensor({0.3, 1.7}, kF64);
  CHECK(models::dsm_loss(-z / sigma.unsqueeze(1), z, sigma).item<double>() == doctest::Approx(0.0));
}

TEST_CASE("dsm_loss broadcasts sigma over image-shaped examples") {
  Generator gen(7);
  Tensor s = randn({3, 2, 2, 2}, gen, kF64), z = randn({3, 2, 2, 2}, gen, kF64);
  Tensor sigma = tensor({0.1, 1.0, 5.0}, kF64);
  double expected = 0;
  for (int64_t i = 0; i < 3; ++i) {
    double sig = sigma.select(0, i).item<double>();
    expected += ((s.select(0, i) * sig + z.select(0, i)).square().sum() * 0.5).item<double>() / 3;
  }
  CHECK(models::dsm_loss(s, z, sigma).item<double>() == doctest::Approx(expected).epsilon(1e-13));
  CHECK_ZG_ERROR(models::dsm_loss(s, z.reshape({3, 8}), sigma), "dsm_loss: score_pred [3, 2, 2, 2]",
                 "noise [3, 8]");
  CHECK_ZG_ERROR(models::dsm_loss(s, z, tensor({1.0, 2.0}, kF64)), "sigma must be a scalar or [3]",
                 "[2]");
}

TEST_CASE("ncsn_toy_step takes one step of the sigma^2-weighted DSM loss") {
  manual_seed(9);
  models::ToyScoreNet net(models::ToyScoreNetOptions{.hidden = 16, .layers = 2, .embed_dim = 8});
  optim::Adam opt(net->parameters(), {.lr = 1e-2});
  Generator data_gen(10);
  Tensor x = randn({32, 2}, data_gen);
  const std::vector<double> sigmas = {4.0, 1.0, 0.25};

  // The same draws, by hand (models/diffusion_objective.h): a level k in 1..3 per example,
  // whose σ is b_k, i.e. the sigmas from the smallest up; then the noise.
  Generator gen(11), replay(11);
  Tensor level = randint(1, 4, {32}, replay);
  Tensor sigma = tensor({0.0, 0.25, 1.0, 4.0}).to(kFloat32).index_select(0, level);
  Tensor z = randn({32, 2}, replay);
  Tensor noisy = x + z * sigma.unsqueeze(1);
  double expected = 0;
  {
    NoGradGuard no_grad;
    Tensor score = models::toy_net_score(*net, noisy, sigma);
    CHECK(test::max_abs_diff(score, -net(noisy, sigma.log() * 1000.0) / sigma.unsqueeze(1)) == 0);
    expected = models::dsm_loss(score, z, sigma).item<double>();
  }
  Tensor before = net->parameters()[0].detach().clone();
  CHECK(models::ncsn_toy_step(*net, opt, x, sigmas, gen) ==
        doctest::Approx(expected).epsilon(1e-6));
  CHECK(opt.steps() == 1);
  CHECK(test::max_abs_diff(before, net->parameters()[0]) > 0);
  CHECK_ZG_ERROR(models::ncsn_toy_step(*net, opt, x, {}, gen), "ncsn_toy_step: no noise levels");
}

TEST_CASE("toy_net_score takes one sigma or one per example") {
  manual_seed(12);
  models::ToyScoreNet net(models::ToyScoreNetOptions{.hidden = 8, .layers = 1, .embed_dim = 4});
  Tensor x = randn({5, 2});
  CHECK(test::max_abs_diff(models::toy_net_score(*net, x, 0.7),
                           models::toy_net_score(*net, x, full({5}, 0.7))) == 0);
}
