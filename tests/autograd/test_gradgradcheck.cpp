// gradgradcheck: the backward formulas are themselves differentiated (create_graph) and
// compared with finite differences of the first-order gradient, for every op whose backward
// is built from differentiable ops.
#include <functional>
#include <string>

#include "tests/autograd/grad_test_util.h"

using namespace zg;
using namespace zg::test;

namespace {

struct Case {
  std::string name;
  autograd::GradcheckFn f;
  Inputs inputs;
};

void run_all(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    INFO(c.name);
    CHECK(gradgradcheck(c.f, c.inputs));
  }
}

}  // namespace

TEST_CASE("gradgradcheck: unary ops") {
  Generator gen(80);
  auto any = [&] { return rnd({2, 3}, gen); };
  auto pos = [&] { return uni({2, 3}, gen, 0.5, 2.0); };
  auto nz = [&] { return away({2, 3}, gen); };
  auto u = [](Tensor (Tensor::*op)() const) {
    return [op](const Inputs& in) { return (in[0].*op)(); };
  };
  run_all({
      {"neg", u(&Tensor::neg), {any()}},
      {"abs", u(&Tensor::abs), {nz()}},
      {"exp", u(&Tensor::exp), {any()}},
      {"log", u(&Tensor::log), {pos()}},
      {"log1p", u(&Tensor::log1p), {pos()}},
      {"sqrt", u(&Tensor::sqrt), {pos()}},
      {"rsqrt", u(&Tensor::rsqrt), {pos()}},
      {"square", u(&Tensor::square), {any()}},
      {"sin", u(&Tensor::sin), {any()}},
      {"cos", u(&Tensor::cos), {any()}},
      {"tanh", u(&Tensor::tanh), {any()}},
      {"sigmoid", u(&Tensor::sigmoid), {any()}},
      {"erf", u(&Tensor::erf), {any()}},
      {"relu", u(&Tensor::relu), {nz()}},
      {"silu", u(&Tensor::silu), {any()}},
      {"gelu", u(&Tensor::gelu), {any()}},
      {"softplus", u(&Tensor::softplus), {any()}},
      {"leaky_relu", [](const Inputs& in) { return in[0].leaky_relu(0.1); }, {nz()}},
      {"clamp",
       [](const Inputs& in) { return in[0].clamp(-0.5, 0.5); },
       {values({-1.3, -0.9, -0.2, 0.1, 0.35, 0.9}, {2, 3})}},
      {"pow(3)", [](const Inputs& in) { return in[0].pow(3.0); }, {any()}},
      {"pow(-1.5)", [](const Inputs& in) { return in[0].pow(-1.5); }, {pos()}},
      {"pow(0.5)", [](const Inputs& in) { return in[0].pow(0.5); }, {pos()}},
      {"pow(1)", [](const Inputs& in) { return in[0].pow(1.0); }, {any()}},
      {"2.5 / x", [](const Inputs& in) { return 2.5 / in[0]; }, {nz()}},
      {"x * x", [](const Inputs& in) { return in[0] * in[0]; }, {any()}},
      {"tanh on a transposed leaf",
       u(&Tensor::tanh),
       {transposed_leaf(randn({3, 2}, gen, kFloat64))}},
      {"sigmoid of a slice with step",
       [](const Inputs& in) { return in[0].slice(1, 0, 5, 2).sigmoid(); },
       {rnd({2, 5}, gen)}},
      {"exp of an expand",
       [](const Inputs& in) {
         return in[0].expand({2, 3, 2}).exp();
       },
       {rnd({3, 1}, gen)}},
  });
}

TEST_CASE("gradgradcheck: binary ops, with broadcasting and non-contiguous operands") {
  Generator gen(81);
  auto mul = [](const Inputs& in) { return in[0] * in[1]; };
  auto div = [](const Inputs& in) { return in[0] / in[1]; };
  auto add = [](const Inputs& in) { return zg::add(in[0], in[1], 2.0); };
  auto sub = [](const Inputs& in) { return in[0] - in[1]; };
  auto pw = [](const Inputs& in) { return pow(in[0], in[1]); };
  auto mx = [](const Inputs& in) { return maximum(in[0], in[1]) * in[0]; };
  auto mn = [](const Inputs& in) { return minimum(in[0], in[1]).square(); };
  run_all({
      {"mul", mul, {rnd({2, 3}, gen), rnd({2, 3}, gen)}},
      {"mul broadcast", mul, {rnd({2, 1}, gen), rnd({1, 3}, gen)}},
      {"mul [2,3,2] x [2]", mul, {rnd({2, 3, 2}, gen), rnd({2}, gen)}},
      {"mul 0-d", mul, {rnd({}, gen), rnd({2, 2}, gen)}},
      {"mul transposed leaf",
       mul,
       {transposed_leaf(randn({3, 2}, gen, kFloat64)), rnd({2, 3}, gen)}},
      {"div", div, {rnd({2, 3}, gen), away({2, 3}, gen)}},
      {"div broadcast", div, {rnd({3, 1}, gen), away({1, 2}, gen)}},
      {"div transposed leaf", div, {rnd({2, 3}, gen), transposed_leaf(away({3, 2}, gen))}},
      {"add(alpha) broadcast", add, {rnd({2, 3}, gen), rnd({3}, gen)}},
      {"sub broadcast", sub, {rnd({2, 1}, gen), rnd({2, 3}, gen)}},
      {"pow", pw, {uni({2, 3}, gen, 0.5, 2.0), rnd({2, 3}, gen)}},
      {"pow broadcast", pw, {uni({2, 1}, gen, 0.5, 2.0), rnd({1, 3}, gen)}},
      {"maximum", mx, {rnd({2, 3}, gen), rnd({3}, gen)}},
      {"minimum", mn, {rnd({2, 3}, gen), rnd({2, 1}, gen)}},
      {"mul of strided slices",
       [](const Inputs& in) {
         return in[0].slice(1, 1, 6, 2) * in[1].expand({2, 3}).tanh();
       },
       {rnd({2, 6}, gen), rnd({1, 3}, gen)}},
      {"where",
       [](const Inputs& in) {
         Tensor cond = tensor({1, 0, 1, 0, 0, 1}, kFloat64).reshape({2, 3});
         return where(cond, in[0].square(), in[1] * in[0]);
       },
       {rnd({2, 3}, gen), rnd({3}, gen)}},
      {"masked_fill",
       [](const Inputs& in) {
         Tensor mask = tensor({1, 0, 0}, kFloat64);
         return (in[0] * in[0]).masked_fill(mask, 2.0);
       },
       {rnd({2, 3}, gen)}},
  });
}

TEST_CASE("gradgradcheck: reductions") {
  Generator gen(82);
  run_all({
      {"sum", [](const Inputs& in) { return (in[0] * in[0]).sum(); }, {rnd({2, 3}, gen)}},
      {"sum dims", [](const Inputs& in) { return in[0].sum({0}).square(); }, {rnd({2, 3}, gen)}},
      {"sum keepdim",
       [](const Inputs& in) {
         return in[0].sum({0, 2}, true) * in[0];
       },
       {rnd({2, 2, 2}, gen)}},
      {"mean", [](const Inputs& in) { return in[0].mean().exp(); }, {rnd({2, 3}, gen)}},
      {"mean dims",
       [](const Inputs& in) { return in[0].mean({-1}, true) * in[0]; },
       {rnd({2, 3}, gen)}},
      {"var", [](const Inputs& in) { return in[0].var(); }, {rnd({2, 3}, gen)}},
      {"var dims biased",
       [](const Inputs& in) { return in[0].var({1}, false, true); },
       {rnd({2, 3}, gen)}},
      {"std", [](const Inputs& in) { return in[0].std({0}); }, {rnd({3, 2}, gen)}},
      {"logsumexp", [](const Inputs& in) { return in[0].logsumexp({1}); }, {rnd({2, 3}, gen)}},
      {"logsumexp all",
       [](const Inputs& in) {
         return in[0].logsumexp({0, 1}, true);
       },
       {rnd({2, 3}, gen)}},
      {"amax",
       [](const Inputs& in) { return in[0].amax({1}) * in[0].sum({1}); },
       {rnd({2, 3}, gen)}},
      {"max(dim)",
       [](const Inputs& in) { return in[0].max(0).first.square(); },
       {rnd({3, 2}, gen)}},
      {"min", [](const Inputs& in) { return in[0].min().exp(); }, {rnd({2, 3}, gen)}},
      {"sum_to_size",
       [](const Inputs& in) {
         return (in[0] * in[0]).sum_to_size({1, 3});
       },
       {rnd({2, 3}, gen)}},
      {"sum of a transposed leaf",
       [](const Inputs& in) { return in[0].sum({0}).square(); },
       {transposed_leaf(randn({3, 2}, gen, kFloat64))}},
  });
}

TEST_CASE("gradgradcheck: matmul, softmax and log_softmax") {
  Generator gen(83);
  auto mm = [](const Inputs& in) { return matmul(in[0], in[1]); };
  run_all({
      {"matmul 2-D", mm, {rnd({2, 3}, gen), rnd({3, 2}, gen)}},
      {"matmul 1-D . 1-D", mm, {rnd({3}, gen), rnd({3}, gen)}},
      {"matmul 1-D . 2-D", mm, {rnd({3}, gen), rnd({3, 2}, gen)}},
      {"matmul 2-D . 1-D", mm, {rnd({2, 3}, gen), rnd({3}, gen)}},
      {"matmul batched", mm, {rnd({2, 2, 3}, gen), rnd({2, 3, 2}, gen)}},
      {"matmul broadcast batch", mm, {rnd({2, 1, 2, 2}, gen), rnd({2, 2, 1}, gen)}},
      {"matmul N-D @ 2-D", mm, {rnd({2, 2, 3}, gen), rnd({3, 2}, gen)}},
      {"matmul transposed leaf",
       mm,
       {transposed_leaf(randn({3, 2}, gen, kFloat64)), rnd({3, 2}, gen)}},
      {"x @ x", [](const Inputs& in) { return in[0].matmul(in[0]); }, {rnd({2, 2}, gen)}},
      {"tanh(x @ w)",
       [](const Inputs& in) { return in[0].matmul(in[1]).tanh(); },
       {rnd({2, 3}, gen), rnd({3, 2}, gen)}},
      {"softmax", [](const Inputs& in) { return in[0].softmax(1); }, {rnd({2, 3}, gen)}},
      {"softmax dim 0", [](const Inputs& in) { return softmax(in[0], 0); }, {rnd({3, 2}, gen)}},
      {"log_softmax", [](const Inputs& in) { return in[0].log_softmax(-1); }, {rnd({2, 3}, gen)}},
      {"log_softmax dim 0",
       [](const Inputs& in) { return log_softmax(in[0], 0); },
       {rnd({3, 2}, gen)}},
      {"softmax transposed leaf",
       [](const Inputs& in) { return in[0].softmax(1); },
       {transposed_leaf(randn({3, 2}, gen, kFloat64))}},
      {"attention",
       [](const Inputs& in) { return (in[0].matmul(in[1].mT()) * 0.5).softmax(-1).matmul(in[1]); },
       {rnd({2, 2}, gen), rnd({3, 2}, gen)}},
  });
}

TEST_CASE("gradgradcheck: indexing and shape ops") {
  Generator gen(84);
  Tensor idx = tensor({2, 0, 2}, kInt64);
  Tensor gidx = tensor({0, 2, 2, 1, 1, 0}, kInt64).reshape({2, 3});
  run_all({
      {"gather",
       [&](const Inputs& in) { return in[0].gather(1, gidx).square(); },
       {rnd({2, 3}, gen)}},
      {"index_select",
       [&](const Inputs& in) { return in[0].index_select(1, idx) * in[0]; },
       {rnd({2, 3}, gen)}},
      {"scatter_add",
       [&](const Inputs& in) { return in[0].scatter_add(1, gidx, in[1] * in[1]) * in[0]; },
       {rnd({2, 3}, gen), rnd({2, 3}, gen)}},
      {"cross entropy",
       [](const Inputs& in) {
         Tensor target = tensor({1, 0}, kInt64).reshape({2, 1});
         return -in[0].log_softmax(1).gather(1, target).mean();
       },
       {rnd({2, 3}, gen)}},
      {"cat",
       [](const Inputs& in) {
         return cat({in[0], in[1].square(), in[0]}, 1) * 2.0;
       },
       {rnd({2, 2}, gen), rnd({2, 1}, gen)}},
      {"stack",
       [](const Inputs& in) {
         return stack({in[0].exp(), in[1] * in[0]}, 1);
       },
       {rnd({3}, gen), rnd({3}, gen)}},
      {"expand",
       [](const Inputs& in) {
         return in[0].expand({2, 3}) * in[1];
       },
       {rnd({1, 3}, gen), rnd({2, 3}, gen)}},
      {"transpose", [](const Inputs& in) { return in[0].t() * in[0].t(); }, {rnd({2, 3}, gen)}},
      {"permute",
       [](const Inputs& in) {
         return in[0].permute({2, 0, 1}).sin();
       },
       {rnd({2, 1, 3}, gen)}},
      {"reshape of a transpose",
       [](const Inputs& in) { return in[0].t().reshape({-1}).square(); },
       {rnd({2, 3}, gen)}},
      {"view",
       [](const Inputs& in) {
         return in[0].view({3, 2}).exp();
       },
       {rnd({2, 3}, gen)}},
      {"squeeze/unsqueeze",
       [](const Inputs& in) { return in[0].squeeze(1).unsqueeze(0) * in[0].squeeze(); },
       {rnd({2, 1, 2}, gen)}},
      {"slice with step",
       [](const Inputs& in) { return in[0].slice(1, 0, 5, 2).square(); },
       {rnd({2, 5}, gen)}},
      {"narrow", [](const Inputs& in) { return in[0].narrow(0, 1, 2).tanh(); }, {rnd({3, 2}, gen)}},
      {"select",
       [](const Inputs& in) { return in[0].select(1, -1) * in[0].select(1, 0); },
       {rnd({2, 3}, gen)}},
      {"chunk",
       [](const Inputs& in) {
         auto p = in[0].chunk(2, 1);
         return p[0] * p[1];
       },
       {rnd({2, 4}, gen)}},
      {"unbind",
       [](const Inputs& in) {
         auto p = in[0].unbind(0);
         return p[0].exp() * p[1];
       },
       {rnd({2, 3}, gen)}},
      {"clone/contiguous",
       [](const Inputs& in) { return in[0].t().contiguous().clone().cos(); },
       {rnd({2, 3}, gen)}},
  });
}

TEST_CASE("gradgradcheck: a two-layer network") {
  Generator gen(85);
  Tensor x = rnd({3, 2}, gen), w1 = rnd({2, 3}, gen), b1 = rnd({3}, gen), w2 = rnd({3, 2}, gen);
  CHECK(gradgradcheck(
      [](const Inputs& in) {
        Tensor h = (in[0].matmul(in[1]) + in[2]).silu();
        return h.matmul(in[3]).log_softmax(1).sum({0});
      },
      {x, w1, b1, w2}));
  // A layer norm: mean, var and rsqrt of broadcast operands.
  CHECK(gradgradcheck(
      [](const Inputs& in) {
        Tensor mu = in[0].mean({-1}, true);
        return (in[0] - mu) * (in[0].var({-1}, false, true) + 1e-5).rsqrt();
      },
      {rnd({2, 3}, gen)}));
}
