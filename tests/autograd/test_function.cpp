// autograd::Function: user-written forward/backward pairs recorded as one node — checked
// against finite differences (first and second order), against the built-in ops they
// restate, and for the errors a wrong backward or a stale saved tensor must produce.
#include "tests/autograd/grad_test_util.h"
#include "tests/check_error.h"

namespace zg {
namespace {

using namespace test;
using autograd::FunctionCtx;

// How often each branch of MulSigmoid::backward ran, to see needs_input_grad honoured.
int x_grads_computed = 0, w_grads_computed = 0;
bool forward_saw_grad_mode = true;

// y = x · σ(w), broadcasting; saves both inputs.
struct MulSigmoid : autograd::Function<MulSigmoid> {
  static constexpr const char* name = "MulSigmoid";
  static Tensor forward(FunctionCtx& ctx, const Tensor& x, const Tensor& w) {
    forward_saw_grad_mode = GradMode::is_enabled();
    ctx.save_for_backward({x, w});
    return x * w.sigmoid();
  }
  static std::vector<Tensor> backward(FunctionCtx& ctx, const Tensor& g) {
    Tensor x = ctx.saved()[0], w = ctx.saved()[1], s = w.sigmoid();
    Tensor gx, gw;
    if (ctx.needs_input_grad(0)) {
      ++x_grads_computed;
      gx = (g * s).sum_to_size(x.shape());
    }
    if (ctx.needs_input_grad(1)) {
      ++w_grads_computed;
      gw = (g * x * s * (1.0 - s)).sum_to_size(w.shape());
    }
    return {gx, gw};
  }
};

struct Settings {
  double scale;
};

// y = scale · exp(x): saves its own output, reads a double and a struct from saved_data.
// No `name`: the node is named after the C++ type.
struct ScaledExp : autograd::Function<ScaledExp> {
  static Tensor forward(FunctionCtx& ctx, const Tensor& x, double scale) {
    Tensor y = scale * x.exp();
    ctx.saved_data["scale"] = scale;
    ctx.saved_data["settings"] = Settings{scale};
    ctx.save_for_backward({y});
    return y;
  }
  static std::vector<Tensor> backward(FunctionCtx& ctx, const Tensor& g) {
    REQUIRE(ctx.get<double>("scale") == ctx.get<Settings>("settings").scale);
    return {g * ctx.saved()[0]};  // dy/dx = y
  }
};

// Row maxima and their indices: a differentiable value plus a non-differentiable index.
struct RowMax : autograd::Function<RowMax> {
  static constexpr const char* name = "RowMax";
  static std::vector<Tensor> forward(FunctionCtx& ctx, const Tensor& x) {
    auto [values, indices] = x.max(1, true);
    ctx.save_for_backward({indices});
    ctx.saved_data["shape"] = x.shape();
    return {values, indices};
  }
  static std::vector<Tensor> backward(FunctionCtx& ctx, const Tensor& g) {
    Tensor zero = zeros(ctx.get<Shape>("shape"), g.dtype());
    return {zero.scatter_add(1, ctx.saved()[0], g)};
  }
};

// Backwards that break the contract.
struct OneGradForTwo : autograd::Function<OneGradForTwo> {
  static constexpr const char* name = "OneGradForTwo";
  static Tensor forward(FunctionCtx&, const Tensor& x, const Tensor& w) { return x * w; }
  static std::vector<Tensor> backward(FunctionCtx&, const Tensor& g) { return {g}; }
};
struct UnreducedGrad : autograd::Function<UnreducedGrad> {
  static constexpr const char* name = "UnreducedGrad";
  static Tensor forward(FunctionCtx&, const Tensor& x, const Tensor& w) { return x * w; }
  static std::vector<Tensor> backward(FunctionCtx&, const Tensor& g) { return {g, g}; }
};
struct Float32Grad : autograd::Function<Float32Grad> {
  static constexpr const char* name = "Float32Grad";
  static Tensor forward(FunctionCtx&, const Tensor& x) { return x.square(); }
  static std::vector<Tensor> backward(FunctionCtx&, const Tensor& g) { return {g.to(kFloat32)}; }
};
struct WritesInput : autograd::Function<WritesInput> {
  static constexpr const char* name = "WritesInput";
  static Tensor forward(FunctionCtx&, Tensor x) { return x.mul_(2.0); }
  static std::vector<Tensor> backward(FunctionCtx&, const Tensor& g) { return {g}; }
};

// y = x·w + b with an optional bias: an undefined Tensor() argument is an input that never
// needs a gradient, and backward still returns one entry for it.
struct Affine : autograd::Function<Affine> {
  static constexpr const char* name = "Affine";
  static Tensor forward(FunctionCtx& ctx, const Tensor& x, const Tensor& w, const Tensor& b) {
    ctx.save_for_backward({x, w});
    return b.defined() ? x * w + b : x * w;
  }
  static std::vector<Tensor> backward(FunctionCtx& ctx, const Tensor& g) {
    REQUIRE_FALSE(ctx.needs_input_grad(2));
    Tensor x = ctx.saved()[0], w = ctx.saved()[1];
    return {(g * w).sum_to_size(x.shape()), (g * x).sum_to_size(w.shape()), Tensor()};
  }
};

TEST_CASE("Function: gradcheck and gradgradcheck, broadcast and non-contiguous inputs") {
  Generator gen(41);
  auto mul_sigmoid = [](const Inputs& in) { return MulSigmoid::apply(in[0], in[1]); };
  Inputs broadcast{rnd({3, 4}, gen), rnd({4}, gen)};
  CHECK(gradcheck(mul_sigmoid, broadcast));
  CHECK(gradgradcheck(mul_sigmoid, broadcast));
  Inputs strided{transposed_leaf(randn({4, 3}, gen, kFloat64)), rnd({3, 1, 4}, gen)};
  CHECK(gradcheck(mul_sigmoid, strided));
  CHECK(gradgradcheck(mul_sigmoid, strided));

  auto scaled_exp = [](const Inputs& in) { return ScaledExp::apply(in[0], 1.7); };
  Inputs x{transposed_leaf(randn({3, 2}, gen, kFloat64))};
  CHECK(gradcheck(scaled_exp, x));
  CHECK(gradgradcheck(scaled_exp, x));

  auto affine = [](const Inputs& in) { return Affine::apply(in[0], in[1], Tensor()); };
  CHECK(gradcheck(affine, {rnd({2, 3}, gen), rnd({3}, gen)}));
  CHECK(gradgradcheck(affine, {rnd({2, 3}, gen), rnd({3}, gen)}));
}

TEST_CASE("Function: one node named after the function; forward runs with grad mode off") {
  Generator gen(42);
  Tensor x = rnd({2, 3}, gen), w = rnd({3}, gen);
  Tensor y = MulSigmoid::apply(x, w);
  CHECK_FALSE(forward_saw_grad_mode);
  CHECK(GradMode::is_enabled());
  REQUIRE(y.grad_fn());
  CHECK(y.grad_fn()->name == "MulSigmoid");
  CHECK(y.grad_fn()->next.size() == 2);
  CHECK(y.grad_fn()->next[0] == gradient_edge(x));  // the inputs' own nodes: nothing between
  CHECK(ScaledExp::apply(x, 2.0).grad_fn()->name.ends_with("ScaledExp"));
  {
    NoGradGuard no_grad;
    CHECK_FALSE(MulSigmoid::apply(x, w).requires_grad());
  }
  CHECK_FALSE(MulSigmoid::apply(x.detach(), w.detach()).requires_grad());
}

TEST_CASE("Function: gradients equal the built-in ops' in a mixed graph") {
  Generator gen(43);
  Tensor x = rnd({5, 4}, gen), w = rnd({4}, gen), m = rnd({4, 2}, gen);
  auto loss = [&](bool custom) {
    Tensor h = x.tanh();
    Tensor gated = custom ? MulSigmoid::apply(h, w) : h * w.sigmoid();
    Tensor e = custom ? ScaledExp::apply(gated.matmul(m), 0.5) : 0.5 * gated.matmul(m).exp();
    return e.square().mean() + gated.sum();
  };
  auto builtin = autograd::grad({loss(false)}, {x, w, m});
  auto custom = autograd::grad({loss(true)}, {x, w, m});
  for (size_t i = 0; i < 3; ++i) CHECK(max_abs_diff(custom[i], builtin[i]) < 1e-12);
  CHECK(gradcheck([&](const Inputs&) { return loss(true); }, {x, w, m}));

  auto [values, indices] = x.max(1, true);
  auto out = RowMax::apply(x);
  REQUIRE(out.size() == 2);
  CHECK(out[0].requires_grad());
  CHECK_FALSE(out[1].requires_grad());
  CHECK(max_abs_diff(out[1].to(kFloat64), indices.to(kFloat64)) == 0.0);
  Tensor seed = rnd({5, 1}, gen).detach();
  auto gx_builtin = autograd::grad({values}, {x}, {.grad_outputs = {seed}});
  auto gx_custom = autograd::grad({out[0]}, {x}, {.grad_outputs = {seed}});
  CHECK(max_abs_diff(gx_custom[0], gx_builtin[0]) == 0.0);
}

TEST_CASE("Function: backward is asked only for the gradients that are needed") {
  Generator gen(44);
  Tensor x = rnd({2, 3}, gen), w = randn({3}, gen, kFloat64);
  x_grads_computed = w_grads_computed = 0;
  MulSigmoid::apply(x, w).sum().backward();
  CHECK(x_grads_computed == 1);
  CHECK(w_grads_computed == 0);
  CHECK(x.grad().defined());
  CHECK_FALSE(w.grad().defined());
}

TEST_CASE("Function: the output it saves is freed with the graph (no reference cycle)") {
  Generator gen(45);
  Tensor x = rnd({3}, gen);
  Tensor y = ScaledExp::apply(x, 2.0);
  std::weak_ptr<Node> node = y.grad_fn();
  y = Tensor();
  CHECK(node.expired());
}

TEST_CASE("Function: in-place writes to saved tensors and to inputs are reported") {
  Generator gen(46);
  Tensor x = rnd({2, 3}, gen), w = randn({3}, gen, kFloat64);
  Tensor y = MulSigmoid::apply(x, w);
  w.add_(1.0);  // w does not require grad, so the write is allowed, but backward needs it
  CHECK_ZG_ERROR(y.sum().backward(), "MulSigmoid", "modified by an in-place op");

  auto out = RowMax::apply(x);
  out[1].zero_();  // the indices backward scatters into
  CHECK_ZG_ERROR(out[0].sum().backward(), "RowMax", "modified by an in-place op");

  Tensor z = rnd({2, 2}, gen).detach();
  CHECK_ZG_ERROR(WritesInput::apply(z), "WritesInput", "input 0 [2, 2] in place");
}

TEST_CASE("Function: a backward with the wrong count, shape or dtype is named in the error") {
  Generator gen(47);
  Tensor x = rnd({3, 4}, gen), w = rnd({4}, gen);
  CHECK_ZG_ERROR(OneGradForTwo::apply(x, w).sum().backward(), "OneGradForTwo",
                 "returned 1 gradients for 2 Tensor inputs");
  CHECK_ZG_ERROR(UnreducedGrad::apply(x, w).sum().backward(), "UnreducedGrad",
                 "gradient float64 [3, 4] for input 1, which is float64 [4]");
  CHECK_ZG_ERROR(Float32Grad::apply(x).sum().backward(), "Float32Grad",
                 "gradient float32 [3, 4] for input 0, which is float64 [3, 4]");
}

struct ReadsWrongType : autograd::Function<ReadsWrongType> {
  static constexpr const char* name = "ReadsWrongType";
  static Tensor forward(FunctionCtx& ctx, const Tensor& x) {
    ctx.saved_data["n"] = 3;  // an int
    return x.clone();
  }
  static std::vector<Tensor> backward(FunctionCtx& ctx, const Tensor& g) {
    return {g * ctx.get<double>("n")};
  }
};

TEST_CASE("Function: saved_data read back with the wrong type or key is named in the error") {
  Generator gen(48);
  Tensor x = rnd({2}, gen);
  CHECK_ZG_ERROR(ReadsWrongType::apply(x).sum().backward(), "ReadsWrongType", "\"n\"", "double",
                 "int");
  FunctionCtx ctx("Probe");
  CHECK_ZG_ERROR(ctx.get<int>("missing"), "Probe", "\"missing\"");
  CHECK_ZG_ERROR(ctx.saved(), "Probe", "backward");
}

}  // namespace
}  // namespace zg
