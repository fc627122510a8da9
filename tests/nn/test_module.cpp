// The Module tree: registration, names, state dicts, train/eval, dtype conversion, printing.
#include <doctest/doctest.h>

#include "tests/autograd/grad_test_util.h"
#include "tests/test_util.h"
#include "zerogen.h"

namespace zg {
namespace {
using test::max_abs_diff;

struct MlpImpl : nn::Module {
  nn::Linear fc1{nullptr}, fc2{nullptr};
  nn::Sequential head{nullptr};
  MlpImpl() : Module("Mlp") {
    fc1 = register_module("fc1", nn::Linear(4, 8));
    fc2 = register_module("fc2", nn::Linear(nn::LinearOptions(8, 3).bias(false)));
    head = register_module("head", nn::Sequential(nn::ReLU(), nn::Linear(3, 2), nn::Tanh()));
    register_buffer("count", zeros({1}, kInt64));
  }
  Tensor forward(const Tensor& x) override { return head(fc2(fc1(x).relu())); }
};
ZG_MODULE(Mlp);

TEST_CASE("Module: named parameters in registration order with dotted names") {
  manual_seed(0);
  Mlp net;
  std::vector<std::string> names;
  for (auto& [n, p] : net->named_parameters()) {
    names.push_back(n);
    CHECK(p.requires_grad());
    CHECK(p.is_leaf());
  }
  CHECK(names == std::vector<std::string>{"fc1.weight", "fc1.bias", "fc2.weight", "head.1.weight",
                                          "head.1.bias"});
  CHECK(net->num_parameters() == 4 * 8 + 8 + 8 * 3 + 3 * 2 + 2);
  CHECK(net->parameters().size() == 5);
  auto sd = net->state_dict();
  CHECK(sd.size() == 6);
  CHECK(sd.count("count") == 1);
  CHECK(net->named_modules().size() == 7);  // net, fc1, fc2, head, head.0..2
}

TEST_CASE("Module: state_dict round trip reproduces the outputs; bad dicts are refused") {
  manual_seed(1);
  Mlp a, b;
  Tensor x = randn({5, 4});
  CHECK(max_abs_diff(a(x), b(x)) > 1e-3);
  b->load_state_dict(a->state_dict());
  CHECK(max_abs_diff(a(x), b(x)) == 0.0);
  // The handles layers hold see the loaded values (copy_ into the same storage).
  CHECK(max_abs_diff(b->fc1->weight, a->fc1->weight) == 0.0);

  auto sd = a->state_dict();
  sd.erase("fc1.bias");
  sd["extra"] = zeros({1});
  CHECK_THROWS_WITH_AS(b->load_state_dict(sd), doctest::Contains("missing keys [fc1.bias]"), Error);
  CHECK_THROWS_WITH_AS(b->load_state_dict(sd), doctest::Contains("unexpected keys [extra]"), Error);
  auto wrong = a->state_dict();
  wrong["fc1.weight"] = zeros({4, 8});
  CHECK_THROWS_WITH_AS(b->load_state_dict(wrong),
                       doctest::Contains("'fc1.weight' has shape [4, 8]"), Error);
}

TEST_CASE("Module: names are checked") {
  nn::Module m("M");
  m.register_parameter("w", zeros({2}));
  CHECK_THROWS_WITH_AS(m.register_parameter("w", zeros({2})),
                       doctest::Contains("already registered"), Error);
  CHECK_THROWS_WITH_AS(m.register_buffer("a.b", zeros({2})), doctest::Contains("no '.'"), Error);
  CHECK_THROWS_WITH_AS(m.forward(zeros({1})), doctest::Contains("no single-input forward"), Error);
}

TEST_CASE("Module: train/eval reaches every submodule; zero_grad clears gradients") {
  Mlp net;
  net->eval();
  for (auto& [n, m] : net->named_modules()) CHECK_FALSE(m->is_training());
  net->train();
  for (auto& [n, m] : net->named_modules()) CHECK(m->is_training());
  net(randn({2, 4})).sum().backward();
  CHECK(net->fc1->weight.grad().defined());
  net->zero_grad();
  for (auto& p : net->parameters()) CHECK_FALSE(p.grad().defined());
}

TEST_CASE("Module: to(kFloat64) converts in place; the layer's handles follow") {
  manual_seed(2);
  Mlp net;
  Tensor x = randn({3, 4});
  Tensor y32 = net(x);
  Tensor w = net->fc1->weight;  // a second handle, like an optimizer's list
  net->to(kFloat64);
  CHECK(w.dtype() == kFloat64);
  CHECK(net->fc1->weight.dtype() == kFloat64);
  CHECK(net->named_buffers()[0].second.dtype() == kInt64);  // integer buffers untouched
  Tensor y64 = net(x.to(kFloat64));
  CHECK(max_abs_diff(y64.to(kFloat32), y32) < 1e-6);
  CHECK(w.requires_grad());
  CHECK_THROWS_WITH_AS(net->to(kInt64), doctest::Contains("floating dtype"), Error);
}

TEST_CASE("Module: repr prints the tree with parameter counts") {
  Mlp net;
  std::string r = net->repr();
  CHECK(r.find("Mlp(\n") == 0);
  CHECK(r.find("(fc1): Linear(in_features=4, out_features=8, bias=true)  # 40 params") !=
        std::string::npos);
  CHECK(r.find("(head): Sequential(\n    (0): ReLU()\n") != std::string::npos);
  CHECK(r.find("  # 72 params\n") == std::string::npos);  // the total goes on the last line
  CHECK(r.ends_with("\n)  # 72 params"));
}

TEST_CASE("Linear: PyTorch's init bounds, forward = x Wᵀ + b, float64 gradcheck") {
  manual_seed(3);
  nn::Linear fc(50, 7);
  double bound = 1.0 / std::sqrt(50.0);
  CHECK(fc->weight.abs().max().item<float>() <= bound);
  CHECK(fc->weight.abs().max().item<float>() > 0.9 * bound);
  CHECK(fc->bias.abs().max().item<float>() <= bound);
  // The std of U(−b, b) is b/√3.
  CHECK(std::abs(fc->weight.std().item<float>() - bound / std::sqrt(3.0)) < 0.1 * bound);

  Generator gen(5);
  Tensor x = randn({3, 2, 4}, gen, kFloat64);
  Tensor w = randn({5, 4}, gen, kFloat64);
  Tensor b = randn({5}, gen, kFloat64);
  Tensor y = nn::functional::linear(x, w, b);
  CHECK(max_abs_diff(y, x.matmul(w.t()) + b) == 0.0);
  CHECK(autograd::gradcheck(
      [](const std::vector<Tensor>& in) { return nn::functional::linear(in[0], in[1], in[2]); },
      {test::leaf(x), test::leaf(w), test::leaf(b)}));
  CHECK_THROWS_WITH_AS(nn::functional::linear(x, w.t(), b), doctest::Contains("in_features"),
                       Error);
}

}  // namespace
}  // namespace zg
