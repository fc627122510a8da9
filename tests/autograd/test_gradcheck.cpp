// gradcheck (float64 central differences) of every differentiable elementwise op: unary
// ops, scalar operands, binary ops with broadcasting, and non-contiguous operands.
#include <functional>
#include <optional>
#include <string>

#include "tests/autograd/grad_test_util.h"

using namespace zg;
using namespace zg::test;

namespace {

enum class Domain { Any, Positive, AwayFromZero };

Tensor make_input(Domain domain, const Shape& shape, Generator& gen) {
  switch (domain) {
    case Domain::Positive:
      return uni(shape, gen, 0.4, 2.0);
    case Domain::AwayFromZero:
      return away(shape, gen);
    default:
      return rnd(shape, gen);
  }
}

struct UnaryCase {
  std::string name;
  std::function<Tensor(const Tensor&)> f;
  Domain domain;
};

std::vector<UnaryCase> unary_cases() {
  return {
      {"neg", [](const Tensor& x) { return x.neg(); }, Domain::Any},
      {"operator-", [](const Tensor& x) { return -x; }, Domain::Any},
      {"abs", [](const Tensor& x) { return x.abs(); }, Domain::AwayFromZero},
      {"exp", [](const Tensor& x) { return x.exp(); }, Domain::Any},
      {"log", [](const Tensor& x) { return x.log(); }, Domain::Positive},
      {"log1p", [](const Tensor& x) { return x.log1p(); }, Domain::Positive},
      {"sqrt", [](const Tensor& x) { return x.sqrt(); }, Domain::Positive},
      {"rsqrt", [](const Tensor& x) { return x.rsqrt(); }, Domain::Positive},
      {"square", [](const Tensor& x) { return x.square(); }, Domain::Any},
      {"sin", [](const Tensor& x) { return x.sin(); }, Domain::Any},
      {"cos", [](const Tensor& x) { return x.cos(); }, Domain::Any},
      {"tanh", [](const Tensor& x) { return x.tanh(); }, Domain::Any},
      {"sigmoid", [](const Tensor& x) { return x.sigmoid(); }, Domain::Any},
      {"erf", [](const Tensor& x) { return x.erf(); }, Domain::Any},
      {"relu", [](const Tensor& x) { return x.relu(); }, Domain::AwayFromZero},
      {"leaky_relu", [](const Tensor& x) { return x.leaky_relu(); }, Domain::AwayFromZero},
      {"leaky_relu(0.2)", [](const Tensor& x) { return x.leaky_relu(0.2); }, Domain::AwayFromZero},
      {"silu", [](const Tensor& x) { return x.silu(); }, Domain::Any},
      {"gelu", [](const Tensor& x) { return x.gelu(); }, Domain::Any},
      {"softplus", [](const Tensor& x) { return x.softplus(); }, Domain::Any},
      {"pow(2)", [](const Tensor& x) { return x.pow(2.0); }, Domain::Any},
      {"pow(3)", [](const Tensor& x) { return pow(x, 3.0); }, Domain::Any},
      {"pow(1)", [](const Tensor& x) { return x.pow(1.0); }, Domain::Any},
      {"pow(0)", [](const Tensor& x) { return x.pow(0.0); }, Domain::Any},
      {"pow(-1)", [](const Tensor& x) { return x.pow(-1.0); }, Domain::AwayFromZero},
      {"pow(0.5)", [](const Tensor& x) { return x.pow(0.5); }, Domain::Positive},
      {"pow(-1.5)", [](const Tensor& x) { return x.pow(-1.5); }, Domain::Positive},
      {"pow(2.7)", [](const Tensor& x) { return x.pow(2.7); }, Domain::Positive},
      {"x + 2", [](const Tensor& x) { return x + 2.0; }, Domain::Any},
      {"2 + x", [](const Tensor& x) { return 2.0 + x; }, Domain::Any},
      {"x - 2", [](const Tensor& x) { return x - 2.0; }, Domain::Any},
      {"2 - x", [](const Tensor& x) { return 2.0 - x; }, Domain::Any},
      {"x * 2.5", [](const Tensor& x) { return x * 2.5; }, Domain::Any},
      {"2.5 * x", [](const Tensor& x) { return 2.5 * x; }, Domain::Any},
      {"x / 2.5", [](const Tensor& x) { return x / 2.5; }, Domain::Any},
      {"2.5 / x", [](const Tensor& x) { return 2.5 / x; }, Domain::AwayFromZero},
      {"clamp()", [](const Tensor& x) { return x.clamp(std::nullopt, std::nullopt); }, Domain::Any},
      {"x * x (same input twice)", [](const Tensor& x) { return x * x; }, Domain::Any},
      {"x / x.exp()", [](const Tensor& x) { return x / x.exp(); }, Domain::Any},
  };
}

}  // namespace

TEST_CASE("gradcheck: unary ops on a contiguous input") {
  Generator gen(1);
  for (const UnaryCase& c : unary_cases()) {
    INFO(c.name);
    Tensor x = make_input(c.domain, {3, 4}, gen);
    CHECK(gradcheck([&](const Inputs& in) { return c.f(in[0]); }, {x}));
  }
}

TEST_CASE("gradcheck: unary ops on 0-d and 1-d inputs") {
  Generator gen(2);
  for (const UnaryCase& c : unary_cases()) {
    INFO(c.name);
    Tensor s = make_input(c.domain, {}, gen);
    CHECK(gradcheck([&](const Inputs& in) { return c.f(in[0]); }, {s}));
    Tensor v = make_input(c.domain, {5}, gen);
    CHECK(gradcheck([&](const Inputs& in) { return c.f(in[0]); }, {v}));
  }
}

TEST_CASE("gradcheck: unary ops on a non-contiguous (transposed) leaf") {
  Generator gen(3);
  for (const UnaryCase& c : unary_cases()) {
    INFO(c.name);
    Tensor x = transposed_leaf(make_input(c.domain, {3, 4}, gen));  // [4, 3], strides [1, 4]
    CHECK(gradcheck([&](const Inputs& in) { return c.f(in[0]); }, {x}));
  }
}

TEST_CASE("gradcheck: unary ops on transposed, sliced and expanded views made inside f") {
  Generator gen(4);
  for (const UnaryCase& c : unary_cases()) {
    INFO(c.name);
    Tensor x = make_input(c.domain, {3, 4}, gen);
    CHECK(gradcheck([&](const Inputs& in) { return c.f(in[0].t()); }, {x}));
    Tensor wide = make_input(c.domain, {3, 7}, gen);
    CHECK(gradcheck([&](const Inputs& in) { return c.f(in[0].slice(1, 1, 7, 2)); }, {wide}));
    CHECK(gradcheck([&](const Inputs& in) { return c.f(in[0].narrow(0, 1, 2)); }, {wide}));
    Tensor col = make_input(c.domain, {3, 1}, gen);
    CHECK(gradcheck([&](const Inputs& in) { return c.f(in[0].expand({2, 3, 4})); }, {col}));
  }
}

TEST_CASE("gradcheck: clamp with min only, max only, and both") {
  // No value within 0.05 of the bounds ±0.5, where clamp is not differentiable.
  Tensor x = values({-1.3, -0.9, -0.6, -0.4, -0.2, -0.05, 0.1, 0.35, 0.45, 0.7, 1.1, 2.0}, {3, 4});
  auto check_all = [](const Tensor& x) {
    CHECK(gradcheck([](const Inputs& in) { return in[0].clamp(-0.5, std::nullopt); }, {x}));
    CHECK(gradcheck([](const Inputs& in) { return in[0].clamp(std::nullopt, 0.5); }, {x}));
    CHECK(gradcheck([](const Inputs& in) { return in[0].clamp(-0.5, 0.5); }, {x}));
    CHECK(gradcheck([](const Inputs& in) { return in[0].clamp_min(-0.5); }, {x}));
    CHECK(gradcheck([](const Inputs& in) { return in[0].clamp_max(0.5); }, {x}));
  };
  check_all(x);
  check_all(transposed_leaf(x));
  // The gradient is exactly 1 inside [min, max] and 0 outside.
  Tensor y = x.clamp(-0.5, 0.5);
  y.sum().backward();
  Tensor expected = tensor({0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0}, kFloat64).reshape({3, 4});
  CHECK(max_abs_diff(x.grad(), expected) == 0.0);
}

// ---- binary ops -----------------------------------------------------------------------------

namespace {

struct BinaryCase {
  std::string name;
  std::function<Tensor(const Tensor&, const Tensor&)> f;
  Domain a, b;
};

std::vector<BinaryCase> binary_cases() {
  return {
      {"add", [](const Tensor& a, const Tensor& b) { return a + b; }, Domain::Any, Domain::Any},
      {"add(alpha)", [](const Tensor& a, const Tensor& b) { return add(a, b, -1.5); }, Domain::Any,
       Domain::Any},
      {"sub", [](const Tensor& a, const Tensor& b) { return a - b; }, Domain::Any, Domain::Any},
      {"mul", [](const Tensor& a, const Tensor& b) { return a * b; }, Domain::Any, Domain::Any},
      {"div", [](const Tensor& a, const Tensor& b) { return a / b; }, Domain::Any,
       Domain::AwayFromZero},
      {"pow", [](const Tensor& a, const Tensor& b) { return pow(a, b); }, Domain::Positive,
       Domain::Any},
      {"Tensor::pow", [](const Tensor& a, const Tensor& b) { return a.pow(b); }, Domain::Positive,
       Domain::Any},
      {"maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); }, Domain::Any,
       Domain::Any},
      {"minimum", [](const Tensor& a, const Tensor& b) { return a.minimum(b); }, Domain::Any,
       Domain::Any},
      {"Tensor::maximum", [](const Tensor& a, const Tensor& b) { return a.maximum(b); },
       Domain::Any, Domain::Any},
  };
}

// Operand shapes: equal, and broadcast both ways (including 0-d and missing leading dims).
const std::vector<std::pair<Shape, Shape>> kShapes = {
    {{3, 4}, {3, 4}},    {{3, 1}, {1, 4}}, {{2, 3, 4}, {4}}, {{4}, {2, 3, 4}},
    {{2, 1, 4}, {3, 1}}, {{}, {2, 3}},     {{2, 3}, {}},
};

}  // namespace

TEST_CASE("gradcheck: binary ops, equal and broadcast shapes") {
  Generator gen(10);
  for (const BinaryCase& c : binary_cases()) {
    for (const auto& [sa, sb] : kShapes) {
      INFO(c.name << " " << shape_str(sa) << " x " << shape_str(sb));
      Tensor a = make_input(c.a, sa, gen), b = make_input(c.b, sb, gen);
      auto f = [&](const Inputs& in) { return c.f(in[0], in[1]); };
      CHECK(gradcheck(f, {a, b}));
      // Only one operand requiring grad: the other is a constant.
      CHECK(gradcheck(f, {a, b.detach()}));
      CHECK(gradcheck(f, {a.detach(), b}));
    }
  }
}

TEST_CASE("gradcheck: binary ops with non-contiguous operands") {
  Generator gen(11);
  for (const BinaryCase& c : binary_cases()) {
    INFO(c.name);
    // A transposed leaf passed directly, against a contiguous and another transposed operand.
    Tensor at = transposed_leaf(make_input(c.a, {3, 4}, gen));  // [4, 3]
    Tensor b = make_input(c.b, {4, 3}, gen);
    Tensor bt = transposed_leaf(make_input(c.b, {3, 4}, gen));
    auto f = [&](const Inputs& in) { return c.f(in[0], in[1]); };
    CHECK(gradcheck(f, {at, b}));
    CHECK(gradcheck(f, {at, bt}));
    // A transposed leaf broadcast against a row.
    Tensor row = make_input(c.b, {3}, gen);
    CHECK(gradcheck(f, {at, row}));

    // Transposed inside f.
    Tensor a34 = make_input(c.a, {3, 4}, gen);
    CHECK(gradcheck([&](const Inputs& in) { return c.f(in[0].t(), in[1]); }, {a34, b}));
    // Strided slices inside f: every other column, and a narrow of rows.
    Tensor wide = make_input(c.a, {4, 6}, gen);
    Tensor tall = make_input(c.b, {6, 3}, gen);
    CHECK(gradcheck(
        [&](const Inputs& in) { return c.f(in[0].slice(1, 0, 6, 2), in[1].narrow(0, 2, 4)); },
        {wide, tall}));
    // Expanded inside f: a column and a row broadcast explicitly, then also implicitly.
    Tensor col = make_input(c.a, {4, 1}, gen);
    Tensor r = make_input(c.b, {1, 3}, gen);
    CHECK(gradcheck([&](const Inputs& in) { return c.f(in[0].expand({4, 3}), in[1]); }, {col, b}));
    CHECK(gradcheck(
        [&](const Inputs& in) {
          return c.f(in[0].expand({2, 4, 3}), in[1].expand({4, 3}));
        },
        {col, r}));
  }
}

TEST_CASE("gradcheck: scalar operands on both sides, with broadcasting and views") {
  Generator gen(12);
  Tensor x = away({2, 3}, gen);
  Tensor xt = transposed_leaf(away({2, 3}, gen));
  for (const Tensor& t : {x, xt}) {
    CHECK(gradcheck([](const Inputs& in) { return 3.0 * in[0] - in[0] / 2.0 + 1.5; }, {t}));
    CHECK(gradcheck([](const Inputs& in) { return (1.0 - in[0]) * (2.0 / in[0]); }, {t}));
    CHECK(gradcheck([](const Inputs& in) { return (in[0] + 0.5) / (in[0] * in[0] + 1.0); }, {t}));
  }
}

TEST_CASE("gradcheck: maximum/minimum route the gradient to the winner") {
  Tensor a = values({1.0, -2.0, 3.0, 0.5}, {4});
  Tensor b = values({0.0, 1.0, 2.0, 4.0}, {4});
  maximum(a, b).sum().backward();
  CHECK(a.grad().to_vector<double>() == std::vector<double>{1, 0, 1, 0});
  CHECK(b.grad().to_vector<double>() == std::vector<double>{0, 1, 0, 1});
  // Ties split the gradient evenly, as torch does.
  Tensor c = values({2.0}, {1}), d = values({2.0}, {1});
  minimum(c, d).sum().backward();
  CHECK(c.grad().item<double>() == 0.5);
  CHECK(d.grad().item<double>() == 0.5);
}

TEST_CASE("gradcheck: where and masked_fill, with broadcast condition and operands") {
  Generator gen(13);
  Tensor cond = randn({3, 1}, gen, kFloat64).gt(0.0);
  Tensor cond2 = tensor({1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1}, kFloat64).reshape({3, 4});
  Tensor a = rnd({3, 4}, gen), b = rnd({1, 4}, gen), s = rnd({}, gen);
  CHECK(gradcheck([&](const Inputs& in) { return where(cond2, in[0], in[1]); }, {a, b}));
  CHECK(gradcheck([&](const Inputs& in) { return where(cond, in[0], in[1]); }, {a, b}));
  CHECK(gradcheck([&](const Inputs& in) { return where(cond, in[1], in[0]); }, {a, b}));
  CHECK(gradcheck([&](const Inputs& in) { return where(cond2, in[0], in[1]); }, {s, b}));
  CHECK(gradcheck([&](const Inputs& in) { return where(cond2.t(), in[0].t(), in[1]); },
                  {a, transposed_leaf(randn({3, 4}, gen, kFloat64))}));
  CHECK(gradcheck([&](const Inputs& in) { return in[0].masked_fill(cond2, -3.0); }, {a}));
  CHECK(gradcheck([&](const Inputs& in) { return in[0].masked_fill(cond, 7.0); }, {a}));
  CHECK(gradcheck([&](const Inputs& in) { return in[0].masked_fill(cond2, 1.0); }, {b}));
  // The gradient is the condition (resp. its complement), summed over broadcast dims.
  Tensor y = where(cond2, a, b);
  y.sum().backward();
  CHECK(max_abs_diff(a.grad(), cond2) == 0.0);
  CHECK(max_abs_diff(b.grad(), (1.0 - cond2).sum({0}, true)) == 0.0);
}

TEST_CASE("gradcheck: composite elementwise expressions") {
  Generator gen(14);
  Tensor x = rnd({2, 3}, gen), y = uni({3}, gen, 0.5, 1.5), z = rnd({2, 1}, gen);
  CHECK(gradcheck(
      [](const Inputs& in) {
        Tensor h = (in[0] * in[1] + in[2]).tanh();
        return h.sigmoid() * in[1].log() - (h * in[2]).exp() / (1.0 + in[0].square());
      },
      {x, y, z}));
  // Layer norm written out by hand: mean, var, rsqrt, broadcasting affine.
  CHECK(gradcheck(
      [](const Inputs& in) {
        Tensor mu = in[0].mean({-1}, true);
        Tensor var = (in[0] - mu).square().mean({-1}, true);
        return (in[0] - mu) * (var + 1e-5).rsqrt() * in[1] + in[1].square();
      },
      {x, y}));
}

TEST_CASE("gradcheck: detects a wrong derivative and rejects bad inputs") {
  Generator gen(15);
  Tensor x = uni({2, 3}, gen, 0.5, 1.5);
  // x * detach(x) has derivative x, not 2x: the check must fail.
  auto wrong = [](const Inputs& in) { return in[0] * in[0].detach(); };
  CHECK_FALSE(gradcheck(wrong, {x}, {.raise = false}));
  CHECK_THROWS_WITH_AS(gradcheck(wrong, {x}), doctest::Contains("mismatch"), Error);
  // A derivative off by 1e-4 relative is still caught at the default tolerances.
  auto slightly = [](const Inputs& in) { return in[0] * (1.0 + 1e-2 * in[0].detach()); };
  CHECK_FALSE(gradcheck(slightly, {x}, {.raise = false}));
  // float32 inputs, expanded leaves and no differentiable input are refused.
  Tensor f32 = leaf(randn({2}, gen));
  CHECK_THROWS_WITH_AS(gradcheck(wrong, {f32}), doctest::Contains("float64"), Error);
  Tensor expanded = leaf(randn({1, 3}, gen, kFloat64).expand({2, 3}));
  CHECK_THROWS_WITH_AS(gradcheck(wrong, {expanded}), doctest::Contains("expanded"), Error);
  CHECK_THROWS_AS(gradcheck(wrong, {x.detach()}), Error);
}
