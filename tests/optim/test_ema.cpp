// EMA of weights against a hand computation of shadow = decay·shadow + (1 − decay)·param.
#include <cmath>

#include "optim/optim.h"
#include "tests/optim/optim_test_util.h"

namespace zg::test {
namespace {

using optim::EMA;

TEST_CASE("EMA: update follows the recurrence (float64 exactly as computed, float32 to rounding)") {
  for (DType dt : {kFloat64, kFloat32}) {
    CAPTURE(dtype_name(dt));
    Generator gen(7);
    Tensor w = randn({3, 4}, gen, dt).requires_grad_(), b = randn({4}, gen, dt);  // b: a buffer
    const double decay = 0.9;
    EMA ema({w, b}, decay);
    // The hand computation, in double, from the values the tensors actually hold.
    std::vector<std::vector<double>> want = {w.detach().to_vector<double>(), b.to_vector<double>()};
    for (int step = 0; step < 30; ++step) {
      {
        NoGradGuard g;  // "train": move the weights
        w.add_(randn({3, 4}, gen, dt), 0.1);
        b.mul_(0.97);
      }
      ema.update();
      std::vector<Tensor> now = {w.detach(), b};
      for (size_t i = 0; i < 2; ++i) {
        auto p = now[i].to_vector<double>();
        for (size_t k = 0; k < p.size(); ++k) want[i][k] = decay * want[i][k] + (1 - decay) * p[k];
      }
    }
    // float32: each update rounds twice (≤ 1 ulp of |shadow|), and an error made at one update
    // decays by `decay` per later update, so the total stays below ~2 ulp/(1 − decay) = 20 ulps
    // of the shadow's scale, i.e. 2.4e-6 relative; float64 likewise at its own precision.
    double tol = dt == kFloat32 ? 2.4e-6 : 5e-15;
    for (size_t i = 0; i < 2; ++i) {
      Tensor want_t = from_vector(want[i], ema.shadow()[i].shape());
      CHECK(max_rel_error(ema.shadow()[i].to(kFloat64), want_t, 1.0) <= tol);
    }
    CHECK(!ema.shadow()[0].requires_grad());
  }
}

TEST_CASE("EMA: decay 0 copies, decay 1 freezes, copy_to writes the average into the weights") {
  Tensor w = tensor({1, 2, 3}).requires_grad_();
  EMA follow({w}, 0.0), freeze({w}, 1.0), half({w}, 0.5);
  {
    NoGradGuard g;
    w.fill_(5.0);
  }
  follow.update();
  freeze.update();
  half.update();
  CHECK(exact(follow.shadow()[0], full({3}, 5.0)));
  CHECK(exact(freeze.shadow()[0], tensor({1, 2, 3})));
  CHECK(exact(half.shadow()[0], tensor({3, 3.5, 4})));

  half.copy_to({w});  // into a parameter that requires grad
  CHECK(exact(w.detach(), tensor({3, 3.5, 4})));
  CHECK(w.requires_grad());
  CHECK(w.is_leaf());
  // The shadow is its own storage: changing the weights does not move it.
  {
    NoGradGuard g;
    w.fill_(-1.0);
  }
  CHECK(exact(half.shadow()[0], tensor({3, 3.5, 4})));
}

TEST_CASE("EMA: state_dict round trip and errors") {
  Tensor a = ones({2, 2}).requires_grad_(), b = zeros({3}, kFloat64);
  EMA ema({a, b}, 0.99);
  {
    NoGradGuard g;
    a.fill_(3.0);
    b.fill_(-2.0);
  }
  ema.update();
  TensorDict d = ema.state_dict();
  CHECK(d.size() == 4);
  CHECK(d.at("num_updates").item<int64_t>() == 1);
  CHECK(d.count("0.shadow"));
  CHECK(d.count("1.shadow"));
  CHECK(d.at("decay").item<double>() == 0.99);

  EMA other({ones({2, 2}), zeros({3}, kFloat64)}, 0.99);
  other.load_state_dict(d);
  for (size_t i = 0; i < 2; ++i) CHECK(exact(other.shadow()[i], ema.shadow()[i]));
  ema.update();
  other.update();  // tracks its own params (still 1 and 0), so they now differ — but the
                   // loaded state was the same: check against the hand value.
  CHECK(other.shadow()[0].to_vector<float>()[0] ==
        doctest::Approx(0.99 * (0.99 + 0.01 * 3.0) + 0.01 * 1.0).epsilon(1e-6));

  auto with = [&](const std::string& key, const Tensor& t) {
    TensorDict x = d;
    x[key] = t;
    return x;
  };
  CHECK_ZG_ERROR(other.load_state_dict(with("decay", scalar_tensor(0.9, kFloat64))),
                 "EMA::load_state_dict", "0.9", "0.99");
  CHECK_ZG_ERROR(other.load_state_dict(with("1.shadow", zeros({3}))), "1.shadow", "float32",
                 "float64");
  CHECK_ZG_ERROR(other.load_state_dict(with("0.shadow", ones({4}))), "0.shadow", "[4]", "[2, 2]");
  CHECK_ZG_ERROR(other.load_state_dict(with("num_updates", scalar_tensor(-1, kInt64))),
                 "num_updates");
  CHECK_ZG_ERROR(other.load_state_dict(with("2.shadow", ones({4}))), "EMA::load_state_dict", "4",
                 "5");
  TensorDict missing = d;
  missing.erase("0.shadow");
  missing["x"] = ones({1});
  CHECK_ZG_ERROR(other.load_state_dict(missing), "\"0.shadow\"");

  CHECK_ZG_ERROR(EMA({a}, 1.5), "EMA", "decay", "1.5");
  CHECK_ZG_ERROR(EMA({a}, NAN), "EMA", "decay");
  CHECK_ZG_ERROR(EMA({zeros({2}, kInt64)}, 0.9), "EMA", "tensor 0", "floating");
  CHECK_ZG_ERROR(ema.copy_to({a}), "EMA::copy_to", "1", "2");
  CHECK_ZG_ERROR(ema.copy_to({a, zeros({3})}), "EMA::copy_to", "tensor 1", "float32", "float64");
  CHECK_ZG_ERROR(ema.copy_to({ones({4}), b}), "EMA::copy_to", "[4]", "[2, 2]");
}

}  // namespace
}  // namespace zg::test

namespace zg::test {
namespace {

using optim::EMA;

TEST_CASE("EMA: warm-up uses min(decay, (1 + n)/(10 + n)) and resumes its count") {
  Tensor w = zeros({1}, kFloat64);
  EMA ema({w}, 0.999, /*warmup=*/true);
  double want = 0;
  for (int n = 0; n < 50; ++n) {
    {
      NoGradGuard g;
      w.fill_(static_cast<double>(n + 1));
    }
    const double decay = std::min(0.999, (1.0 + n) / (10.0 + n));
    CHECK(ema.current_decay() == decay);
    ema.update();
    want = decay * want + (1 - decay) * (n + 1);
    CHECK(ema.shadow()[0].item<double>() == doctest::Approx(want).epsilon(1e-14));
  }
  // Without warm-up the first update keeps 99.9% of the initial 0.
  EMA plain({zeros({1}, kFloat64)}, 0.999);
  CHECK(plain.current_decay() == 0.999);
  // A resumed EMA continues the schedule where it stopped.
  EMA resumed({zeros({1}, kFloat64)}, 0.999, true);
  resumed.load_state_dict(ema.state_dict());
  CHECK(resumed.num_updates() == 50);
  CHECK(resumed.current_decay() == ema.current_decay());
}

}  // namespace
}  // namespace zg::test
