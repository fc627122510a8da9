// Optimizer state: save after k steps, restore into a fresh optimizer over fresh parameters,
// continue — the weights must equal those of a run that never stopped, bit for bit (float32).
// And load_state_dict must refuse anything that does not fit, leaving the optimizer as it was.
#include <functional>
#include <memory>
#include <set>

#include "optim/optim.h"
#include "tests/optim/optim_test_util.h"

namespace zg::test {
namespace {

using optim::Adam;
using optim::AdamW;
using optim::Optimizer;
using optim::SGD;
using MakeOpt = std::function<std::unique_ptr<Optimizer>(std::vector<Tensor>)>;

// A small tanh MLP on fixed data (the fixture's), trained with autograd gradients.
struct Problem {
  Tensor x = optim_ref()("mlp.f32.x"), y = optim_ref()("mlp.f32.y");
  std::vector<Tensor> fresh_params() const {
    std::vector<Tensor> p;
    for (const char* n : {"w1", "b1", "w2", "b2"})
      p.push_back(optim_ref()(fmt::format("mlp.f32.init.{}", n)).requires_grad_());
    return p;
  }
  void train(Optimizer& opt, int steps) const {
    const auto& p = opt.params();
    for (int s = 0; s < steps; ++s) {
      opt.zero_grad();
      Tensor h = (x.matmul(p[0].t()) + p[1]).tanh();
      ((h.matmul(p[2].t()) + p[3] - y).square().mean()).backward();
      opt.set_lr(0.05 * (1.0 - 0.02 * static_cast<double>(opt.steps())));  // a schedule
      opt.step();
    }
  }
};

std::vector<std::pair<const char*, MakeOpt>> optimizers() {
  return {
      {"SGD", [](auto p) { return std::make_unique<SGD>(p, optim::SGDOptions{.lr = 0.05}); }},
      {"SGD nesterov wd",
       [](auto p) {
         return std::make_unique<SGD>(
             p, optim::SGDOptions{
                    .lr = 0.05, .momentum = 0.9, .weight_decay = 1e-3, .nesterov = true});
       }},
      {"Adam amsgrad wd",
       [](auto p) {
         return std::make_unique<Adam>(
             p, optim::AdamOptions{.lr = 0.05, .weight_decay = 1e-3, .amsgrad = true});
       }},
      {"AdamW", [](auto p) { return std::make_unique<AdamW>(p, optim::AdamWOptions{.lr = 0.05}); }},
  };
}

TEST_CASE(
    "optimizer state_dict: stop, save, restore into fresh objects, continue = never stopped") {
  Problem prob;
  for (const auto& [name, make] : optimizers()) {
    CAPTURE(name);
    auto straight = make(prob.fresh_params());
    prob.train(*straight, 12);

    auto first = make(prob.fresh_params());
    prob.train(*first, 5);
    TensorDict saved = first->state_dict();
    std::vector<Tensor> saved_params;
    for (const Tensor& p : first->params()) saved_params.push_back(p.detach().clone());
    prob.train(*first, 3);  // keeps going: the saved copies must not change

    std::vector<Tensor> params = prob.fresh_params();
    for (size_t i = 0; i < params.size(); ++i) {
      NoGradGuard g;
      params[i].copy_(saved_params[i]);
    }
    auto resumed = make(params);
    resumed->load_state_dict(saved);
    CHECK(resumed->steps() == 5);
    CHECK(resumed->lr() == saved.at("lr").item<double>());
    prob.train(*resumed, 7);
    CHECK(resumed->steps() == 12);
    for (size_t i = 0; i < params.size(); ++i)
      CHECK(exact(resumed->params()[i].detach(), straight->params()[i].detach()));
    // And the states themselves agree entry for entry.
    TensorDict a = resumed->state_dict(), b = straight->state_dict();
    REQUIRE(a.size() == b.size());
    for (const auto& [key, t] : a) {
      CAPTURE(key);
      REQUIRE(b.count(key));
      CHECK(exact(t, b.at(key)));
    }
  }
}

TEST_CASE("optimizer state_dict: names, lazily created state, copies") {
  Tensor a = ones({2, 3}).requires_grad_(), b = ones({4}).requires_grad_();
  Adam opt({a, b}, {.lr = 0.1, .amsgrad = true});
  std::set<std::string> before;
  for (const auto& kv : opt.state_dict()) before.insert(kv.first);
  CHECK(before == std::set<std::string>{"step", "lr", "options.beta1", "options.beta2",
                                        "options.eps", "options.weight_decay", "options.amsgrad",
                                        "options.decoupled_weight_decay"});
  a.set_grad(full({2, 3}, 0.5));  // b has no gradient: it gets no state
  opt.step();
  TensorDict d = opt.state_dict();
  for (const char* k : {"0.step", "0.exp_avg", "0.exp_avg_sq", "0.max_exp_avg_sq"})
    CHECK(d.count(k));
  CHECK(!d.count("1.step"));
  CHECK(d.at("step").dtype() == kInt64);
  CHECK(d.at("step").item<int64_t>() == 1);
  CHECK(d.at("0.step").item<int64_t>() == 1);
  CHECK(d.at("0.exp_avg").dtype() == kFloat32);
  CHECK(d.at("0.exp_avg").shape() == Shape{2, 3});
  CHECK(d.at("lr").item<double>() == 0.1);

  // The lazily missing state round-trips: a fresh optimizer gets none for b either, and both
  // continue identically once b has gradients (its own step count starting at 1).
  Tensor a2 = a.detach().clone().requires_grad_(), b2 = b.detach().clone().requires_grad_();
  Adam opt2({a2, b2}, {.lr = 0.1, .amsgrad = true});
  opt2.load_state_dict(d);
  for (int s = 0; s < 3; ++s) {
    for (Tensor p : {a, b, a2, b2}) p.set_grad(full(p.shape(), 0.25 * (s + 1)));
    opt.step();
    opt2.step();
  }
  CHECK(exact(a2.detach(), a.detach()));
  CHECK(exact(b2.detach(), b.detach()));
  CHECK(opt2.state_dict().at("1.step").item<int64_t>() == 3);
  CHECK(opt2.state_dict().at("0.step").item<int64_t>() == 4);

  // state_dict() returns copies: editing one does not reach the optimizer.
  TensorDict copy = opt.state_dict();
  {
    NoGradGuard g;
    copy.at("0.exp_avg").fill_(123.0);
  }
  CHECK(opt.state_dict().at("0.exp_avg").to_vector<float>()[0] != 123.0f);
  // load_state_dict() copies too: editing the dict after loading changes nothing.
  opt2.load_state_dict(copy);
  {
    NoGradGuard g;
    copy.at("0.exp_avg").fill_(7.0);
  }
  CHECK(opt2.state_dict().at("0.exp_avg").to_vector<float>()[0] == 123.0f);
}

TEST_CASE("optimizer load_state_dict: mismatches throw clear errors and change nothing") {
  auto make_adam = [] {
    Tensor a = ones({2, 3}).requires_grad_(), b = ones({4}).requires_grad_();
    auto opt = std::make_unique<Adam>(std::vector<Tensor>{a, b}, optim::AdamOptions{.lr = 0.1});
    a.set_grad(full({2, 3}, 0.5));
    b.set_grad(full({4}, -0.5));
    opt->step();
    return opt;
  };
  auto target = make_adam();
  const TensorDict good = make_adam()->state_dict();
  const TensorDict before = target->state_dict();
  auto with = [&](const std::string& key, const Tensor& t) {
    TensorDict d = good;
    d[key] = t;
    return d;
  };
  auto without = [&](const std::string& key) {
    TensorDict d = good;
    d.erase(key);
    return d;
  };
  CHECK_ZG_ERROR(target->load_state_dict(without("step")), "Adam::load_state_dict", "\"step\"");
  CHECK_ZG_ERROR(target->load_state_dict(without("lr")), "Adam::load_state_dict", "\"lr\"");
  CHECK_ZG_ERROR(target->load_state_dict(with("step", scalar_tensor(1.0, kFloat64))), "\"step\"",
                 "int64", "float64");
  CHECK_ZG_ERROR(target->load_state_dict(with("step", scalar_tensor(-1, kInt64))), "\"step\"",
                 ">= 0");
  CHECK_ZG_ERROR(target->load_state_dict(with("lr", scalar_tensor(0.1))), "\"lr\"", "float64");
  CHECK_ZG_ERROR(target->load_state_dict(with("0.exp_avg", zeros({2, 3}, kFloat64))), "0.exp_avg",
                 "float64", "float32", "[2, 3]");
  CHECK_ZG_ERROR(target->load_state_dict(with("1.exp_avg_sq", zeros({5}))), "1.exp_avg_sq", "[5]",
                 "[4]", "parameter 1");
  CHECK_ZG_ERROR(target->load_state_dict(with("1.step", zeros({}))), "1.step", "int64");
  CHECK_ZG_ERROR(target->load_state_dict(without("0.exp_avg_sq")), "parameter 0", "0.exp_avg_sq");
  CHECK_ZG_ERROR(target->load_state_dict(with("2.exp_avg", zeros({4}))), "2.exp_avg", "parameter 2",
                 "has 2");
  CHECK_ZG_ERROR(target->load_state_dict(with("0.momentum_buffer", zeros({2, 3}))),
                 "unexpected entry", "0.momentum_buffer");
  CHECK_ZG_ERROR(target->load_state_dict(with("model.weight", zeros({2}))), "unexpected entry",
                 "model.weight");
  CHECK_ZG_ERROR(target->load_state_dict(with("01.exp_avg", zeros({4}))), "unexpected entry",
                 "01.exp_avg");
  CHECK_ZG_ERROR(target->load_state_dict(with("options.beta1", scalar_tensor(0.5, kFloat64))),
                 "beta1 = 0.5", "beta1 = 0.9");
  CHECK_ZG_ERROR(target->load_state_dict(without("options.eps")), "options.eps");

  // Another optimizer's state.
  Tensor c = ones({2, 3}).requires_grad_(), d = ones({4}).requires_grad_();
  AdamW adamw({c, d}, {.lr = 0.1, .weight_decay = 0});
  CHECK_ZG_ERROR(adamw.load_state_dict(good), "AdamW::load_state_dict", "decoupled_weight_decay");
  SGD sgd({c, d}, {.lr = 0.1, .momentum = 0.9});
  CHECK_ZG_ERROR(sgd.load_state_dict(good), "SGD::load_state_dict", "options.momentum");
  Adam three({c, d, ones({1}).requires_grad_()}, {.lr = 0.1});
  three.load_state_dict(good);  // fewer parameters with state is fine: the third has none yet
  Adam one({c}, {.lr = 0.1});
  CHECK_ZG_ERROR(one.load_state_dict(good), "1.", "parameter 1", "has 1");

  // None of the failed loads changed the target.
  TensorDict after = target->state_dict();
  REQUIRE(after.size() == before.size());
  for (const auto& [key, t] : before) CHECK(exact(after.at(key), t));
}

}  // namespace
}  // namespace zg::test
