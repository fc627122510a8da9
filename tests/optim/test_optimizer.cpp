// Optimizer semantics other than the arithmetic: which parameters are accepted, zero_grad,
// skipped parameters, grad mode, non-contiguous parameters, bad arguments.
#include <chrono>

#include "optim/optim.h"
#include "tests/optim/optim_test_util.h"

namespace zg::test {
namespace {

using optim::Adam;
using optim::AdamW;
using optim::SGD;

TEST_CASE("optimizer: zero_grad drops gradients (set_to_none) or zeroes them") {
  Tensor w = ones({2, 2}).requires_grad_();
  SGD opt({w}, {.lr = 0.1});
  (w * w).sum().backward();
  REQUIRE(w.grad().defined());
  opt.zero_grad(/*set_to_none=*/false);
  REQUIRE(w.grad().defined());
  CHECK(exact(w.grad(), zeros({2, 2})));
  opt.zero_grad();
  CHECK(!w.grad().defined());
  // A later backward starts from nothing, not from the old gradient.
  (3 * w).sum().backward();
  CHECK(exact(w.grad(), full({2, 2}, 3.0)));
}

TEST_CASE("optimizer: step under grad mode records nothing; skips parameters without grad") {
  Tensor a = ones({3}).requires_grad_(), b = ones({2}).requires_grad_();
  SGD opt({a, b}, {.lr = 0.5, .momentum = 0.9});
  a.set_grad(full({3}, 2.0));
  CHECK(GradMode::is_enabled());
  opt.step();
  CHECK(GradMode::is_enabled());  // restored
  CHECK(a.is_leaf());
  CHECK(a.requires_grad());
  CHECK(exact(a.detach(), zeros({3})));  // 1 − 0.5·2
  CHECK(exact(b.detach(), ones({2})));   // no gradient: untouched, and no state made
  CHECK(opt.steps() == 1);
  CHECK(!opt.state_dict().count("1.momentum_buffer"));
  // b's first update uses its gradient as the momentum buffer, whatever step it comes at.
  b.set_grad(full({2}, 1.0));
  opt.step();
  CHECK(exact(b.detach(), full({2}, 0.5)));
  CHECK(exact(a.detach(), full({3}, -1.9)));  // buf = 0.9·2 + 2 = 3.8, a = 0 − 0.5·3.8
}

TEST_CASE("optimizer: non-contiguous parameters update like contiguous ones") {
  // The same Adam run on a contiguous leaf and on a transposed (strided) leaf.
  Tensor base = arange(12.0).reshape({3, 4}) / 7.0;
  Tensor c = base.clone().requires_grad_();
  Tensor nc = base.t().contiguous().t().requires_grad_();  // same values, column-major strides
  REQUIRE(!nc.is_contiguous());
  Adam o1({c}, {.lr = 0.1}), o2({nc}, {.lr = 0.1});
  for (int s = 0; s < 5; ++s) {
    Tensor g = (base - 0.3 * s).sin();
    c.set_grad(g.clone());
    nc.set_grad(g.t().contiguous().t());
    o1.step();
    o2.step();
  }
  CHECK(!nc.is_contiguous());
  CHECK(exact(nc.detach().contiguous(), c.detach()));
}

TEST_CASE("optimizer: AdamW with weight_decay 0 is Adam; defaults as torch") {
  CHECK(optim::AdamWOptions{}.weight_decay == 1e-2);
  CHECK(optim::AdamOptions{}.weight_decay == 0);
  CHECK(optim::AdamOptions{}.lr == 1e-3);
  Tensor a = tensor({1, -2, 3}).requires_grad_(), b = tensor({1, -2, 3}).requires_grad_();
  Adam adam({a}, {.lr = 0.01});
  AdamW adamw({b}, {.lr = 0.01, .weight_decay = 0});
  for (int s = 0; s < 4; ++s) {
    a.set_grad(tensor({0.5, 0.25 * s, -1}));
    b.set_grad(tensor({0.5, 0.25 * s, -1}));
    adam.step();
    adamw.step();
  }
  CHECK(exact(a.detach(), b.detach()));
  CHECK(adamw.options().weight_decay == 0);
}

TEST_CASE("optimizer: lr, steps and the first Adam step by hand") {
  // Step 1 of Adam: m = (1−β1)g, v = (1−β2)g², so the update is lr·g/(|g| + eps') = lr·sign(g).
  Tensor p = tensor({1.0, 1.0}, kFloat64).requires_grad_();
  Adam opt({p}, {.lr = 0.1, .eps = 0});
  p.set_grad(tensor({3.0, -0.001}, kFloat64));
  opt.step();
  CHECK(p.detach().to_vector<double>()[0] == doctest::Approx(0.9).epsilon(1e-15));
  CHECK(p.detach().to_vector<double>()[1] == doctest::Approx(1.1).epsilon(1e-15));
  // Where eps goes: at step 1 the denominator is √v/√(1−β2) + eps = |g| + eps (torch), not
  // (√v + eps)/√(1−β2) (the paper's ε on √v̂ before correction would be that); with |g| = eps
  // the update is lr/2.
  Tensor q = tensor({1.0}, kFloat64).requires_grad_();
  Adam eps_opt({q}, {.lr = 0.1, .eps = 1e-8});
  q.set_grad(tensor({1e-8}, kFloat64));
  eps_opt.step();
  CHECK(q.detach().item<double>() == doctest::Approx(0.95).epsilon(1e-12));
  opt.set_lr(0.25);
  CHECK(opt.lr() == 0.25);
  CHECK(opt.steps() == 1);
  CHECK(opt.params().size() == 1);
  CHECK(opt.params()[0].is_same(p));
}

TEST_CASE("optimizer: bad parameters and options throw zg::Error") {
  Tensor w = ones({2}).requires_grad_();
  CHECK_ZG_ERROR(SGD({}, {.lr = 0.1}), "Optimizer", "empty");
  CHECK_ZG_ERROR(SGD({Tensor()}, {.lr = 0.1}), "Optimizer", "parameter 0", "undefined");
  CHECK_ZG_ERROR(SGD({w, ones({3})}, {.lr = 0.1}), "parameter 1", "[3]", "requires grad");
  CHECK_ZG_ERROR(SGD({w * 2}, {.lr = 0.1}), "parameter 0", "leaf");
  CHECK_ZG_ERROR(SGD({zeros({2}, kInt64)}, {.lr = 0.1}), "parameter 0", "int64", "floating");
  CHECK_ZG_ERROR(SGD({w, w}, {.lr = 0.1}), "parameters 0 and 1", "same tensor");
  CHECK_ZG_ERROR(SGD({w}, {.lr = -0.1}), "learning rate", "-0.1");
  CHECK_ZG_ERROR(SGD({w}, {.lr = NAN}), "learning rate", "nan");
  CHECK_ZG_ERROR(SGD({w}, {.lr = 0.1, .momentum = -0.5}), "SGD", "momentum", "-0.5");
  CHECK_ZG_ERROR(SGD({w}, {.lr = 0.1, .weight_decay = -1}), "SGD", "weight_decay");
  CHECK_ZG_ERROR(SGD({w}, {.lr = 0.1, .nesterov = true}), "SGD", "nesterov", "momentum 0");
  CHECK_ZG_ERROR(SGD({w}, {.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .nesterov = true}), "SGD",
                 "nesterov", "dampening 0.1");
  CHECK_ZG_ERROR(Adam({w}, {.beta1 = 1.0}), "Adam", "betas", "(1, 0.999)");
  CHECK_ZG_ERROR(Adam({w}, {.beta2 = -0.1}), "Adam", "betas");
  CHECK_ZG_ERROR(Adam({w}, {.eps = -1e-8}), "Adam", "eps");
  CHECK_ZG_ERROR(AdamW({w}, {.weight_decay = -0.01}), "AdamW", "weight_decay");
  SGD opt({w}, {.lr = 0.1});
  CHECK_ZG_ERROR(opt.set_lr(-1), "learning rate", "-1");
  CHECK(opt.lr() == 0.1);
}

TEST_CASE("optimizer: a gradient of the wrong dtype stops step() before any update") {
  Tensor a = ones({2}).requires_grad_(), b = ones({3}).requires_grad_();
  Adam opt({a, b}, {.lr = 0.1});
  a.set_grad(ones({2}));
  b.set_grad(ones({3}, kFloat64));
  CHECK_ZG_ERROR(opt.step(), "Adam::step", "parameter 1", "float32", "float64", "[3]");
  CHECK(exact(a.detach(), ones({2})));  // a, checked fine, was not updated either
  CHECK(opt.steps() == 0);
  CHECK(opt.state_dict().size() == 8);  // step, lr, 6 options: no per-parameter state
}

// Not run by default (`zerogen_tests -tc='bench*' --no-skip`): the cost of one step on a
// 1M-element float32 parameter, for comparison with torch.optim (see the optim report).
TEST_CASE("bench: optimizer step on 1M floats" * doctest::skip()) {
  const int64_t n = 1 << 20;
  Tensor p = randn({n}).requires_grad_();
  p.set_grad(randn({n}));
  auto time = [&](optim::Optimizer& opt, const char* name) {
    opt.step();  // creates the state
    const int reps = 50;
    auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) opt.step();
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() /
        reps;
    MESSAGE(fmt::format("{:24s} {:.3f} ms/step ({} threads)", name, ms, get_num_threads()));
  };
  SGD sgd({p}, {.lr = 1e-6});
  time(sgd, "SGD");
  SGD sgdm({p}, {.lr = 1e-6, .momentum = 0.9, .nesterov = true});
  time(sgdm, "SGD nesterov");
  Adam adam({p}, {.lr = 1e-6});
  time(adam, "Adam");
  AdamW adamw({p}, {.lr = 1e-6});
  time(adamw, "AdamW");
  Adam ams({p}, {.lr = 1e-6, .weight_decay = 1e-4, .amsgrad = true});
  time(ams, "Adam amsgrad wd");
  optim::EMA ema({p}, 0.999);
  auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < 50; ++r) ema.update();
  MESSAGE(fmt::format(
      "{:24s} {:.3f} ms/update", "EMA",
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() /
          50));
}

}  // namespace
}  // namespace zg::test
