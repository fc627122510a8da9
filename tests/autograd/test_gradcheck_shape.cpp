// gradcheck of views and copies: view/reshape/flatten, transposes and permutes,
// squeeze/unsqueeze/expand, narrow/slice/select, chunk/split/unbind, cat/stack, clone,
// contiguous and dtype casts. Each view is followed by a nonlinear op in some checks, so the
// gradient that flows back through it is not just ones.
#include "tests/autograd/grad_test_util.h"

using namespace zg;
using namespace zg::test;

namespace {

// f on a contiguous leaf, a transposed (non-contiguous) leaf, and a strided slice made in f.
template <class F>
void check_layouts(F f, Generator& gen) {
  Tensor x = rnd({3, 4}, gen);
  CHECK(gradcheck([&](const Inputs& in) { return f(in[0]); }, {x}));
  CHECK(gradcheck([&](const Inputs& in) { return f(in[0]).square(); }, {x}));
  Tensor xt = transposed_leaf(randn({4, 3}, gen, kFloat64));
  CHECK(gradcheck([&](const Inputs& in) { return f(in[0]); }, {xt}));
  Tensor wide = rnd({3, 9}, gen);
  CHECK(gradcheck([&](const Inputs& in) { return f(in[0].slice(1, 1, 9, 2)).sin(); }, {wide}));
}

// A list of tensors as one, each part weighted differently so misrouted gradients show.
Tensor weighted_cat(const std::vector<Tensor>& parts) {
  std::vector<Tensor> flat;
  for (size_t i = 0; i < parts.size(); ++i)
    flat.push_back(parts[i].reshape({-1}) * static_cast<double>(i + 1));
  return cat(flat, 0);
}

}  // namespace

TEST_CASE("gradcheck: view, reshape and flatten") {
  Generator gen(70);
  check_layouts([](const Tensor& x) { return x.reshape({4, 3}); }, gen);  // copies when strided
  check_layouts([](const Tensor& x) { return x.reshape({-1}); }, gen);
  check_layouts([](const Tensor& x) { return x.reshape({2, -1, 2}); }, gen);
  check_layouts([](const Tensor& x) { return x.flatten(); }, gen);
  check_layouts([](const Tensor& x) { return x.unsqueeze(0).flatten(0, 1); }, gen);
  check_layouts([](const Tensor& x) { return x.reshape({3, 4}); }, gen);  // no-op
  Tensor x = rnd({3, 4}, gen);
  CHECK(gradcheck([](const Inputs& in) { return in[0].view({2, 6}); }, {x}));
  CHECK(gradcheck([](const Inputs& in) { return in[0].view({4, -1}).exp(); }, {x}));
  CHECK(gradcheck([](const Inputs& in) { return in[0].view({2, 2, 3}).flatten(1); }, {x}));
  // A view of a transposed tensor that is still expressible as strides.
  Tensor y = rnd({2, 3, 4}, gen);
  CHECK(gradcheck([](const Inputs& in) { return in[0].transpose(0, 1).view({3, 2, 2, 2}); }, {y}));
  CHECK(gradcheck([](const Inputs& in) { return in[0].permute({2, 0, 1}).flatten(1, 2); }, {y}));
  Tensor s = rnd({}, gen);
  CHECK(gradcheck([](const Inputs& in) { return in[0].flatten(); }, {s}));
  CHECK(gradcheck([](const Inputs& in) { return in[0].reshape({1, 1}); }, {s}));
}

TEST_CASE("gradcheck: transpose, t, mT and permute") {
  Generator gen(71);
  check_layouts([](const Tensor& x) { return x.t(); }, gen);
  check_layouts([](const Tensor& x) { return x.transpose(0, 1); }, gen);
  check_layouts([](const Tensor& x) { return x.transpose(-1, -2).contiguous(); }, gen);
  check_layouts([](const Tensor& x) { return x.mT(); }, gen);
  check_layouts([](const Tensor& x) { return x.permute({1, 0}); }, gen);
  Tensor y = rnd({2, 3, 4}, gen);
  CHECK(gradcheck([](const Inputs& in) { return in[0].permute({2, 0, 1}); }, {y}));
  CHECK(gradcheck([](const Inputs& in) { return in[0].permute({1, 2, 0}).tanh(); }, {y}));
  CHECK(gradcheck([](const Inputs& in) { return in[0].mT() * in[0].transpose(1, 2); }, {y}));
  CHECK(gradcheck([](const Inputs& in) { return in[0].transpose(0, 2).transpose(0, 1); }, {y}));
  Tensor v = rnd({4}, gen);
  CHECK(gradcheck([](const Inputs& in) { return in[0].t(); }, {v}));  // 1-D: unchanged
}

TEST_CASE("gradcheck: squeeze, unsqueeze and expand") {
  Generator gen(72);
  check_layouts([](const Tensor& x) { return x.unsqueeze(1); }, gen);
  check_layouts([](const Tensor& x) { return x.unsqueeze(-1).unsqueeze(0); }, gen);
  check_layouts([](const Tensor& x) { return x.unsqueeze(2).expand({3, 4, 2}); }, gen);
  check_layouts([](const Tensor& x) { return x.expand({2, 3, 4}); }, gen);
  check_layouts([](const Tensor& x) { return x.expand({2, -1, -1}); }, gen);
  Tensor y = rnd({3, 1, 2, 1}, gen);
  CHECK(gradcheck([](const Inputs& in) { return in[0].squeeze(); }, {y}));
  CHECK(gradcheck([](const Inputs& in) { return in[0].squeeze(1); }, {y}));
  CHECK(gradcheck([](const Inputs& in) { return in[0].squeeze(-1); }, {y}));
  CHECK(gradcheck([](const Inputs& in) { return in[0].squeeze(0); }, {y}));  // size 3: no-op
  CHECK(gradcheck([](const Inputs& in) { return in[0].expand({2, 3, 4, 2, 5}); }, {y}));
  CHECK(gradcheck([](const Inputs& in) { return in[0].expand({3, 2, 2, 2}).cos(); }, {y}));
  Tensor s = rnd({}, gen);
  CHECK(gradcheck([](const Inputs& in) { return in[0].expand({2, 3}); }, {s}));
  CHECK(gradcheck([](const Inputs& in) { return in[0].unsqueeze(0).expand({4}); }, {s}));
  Tensor col = rnd({3, 1}, gen);
  CHECK(gradcheck([](const Inputs& in) { return in[0].expand_as(zeros({2, 3, 5})); }, {col}));
  // Expanded then viewed/transposed: reshape has to copy.
  CHECK(gradcheck([](const Inputs& in) { return in[0].expand({3, 4}).t().reshape({-1}); }, {col}));
  // Expand's gradient sums over the broadcast copies.
  Tensor r = leaf(ones({1, 3}, kFloat64));
  r.expand({4, 3}).sum().backward();
  CHECK(r.grad().to_vector<double>() == std::vector<double>{4, 4, 4});
}

TEST_CASE("gradcheck: narrow, slice (with step) and select") {
  Generator gen(73);
  check_layouts([](const Tensor& x) { return x.narrow(1, 1, 2); }, gen);
  check_layouts([](const Tensor& x) { return x.narrow(0, -2, 2); }, gen);
  check_layouts([](const Tensor& x) { return x.slice(1, 0, 4, 2); }, gen);
  check_layouts([](const Tensor& x) { return x.slice(0, 1, 3); }, gen);
  check_layouts([](const Tensor& x) { return x.slice(1, 1, 100, 3); }, gen);  // end clamped
  check_layouts([](const Tensor& x) { return x.slice(-1, -3, -1); }, gen);
  check_layouts([](const Tensor& x) { return x.select(0, 1); }, gen);
  check_layouts([](const Tensor& x) { return x.select(1, -1); }, gen);
  Tensor y = rnd({4, 5, 2}, gen);
  CHECK(gradcheck([](const Inputs& in) { return in[0].slice(1, 0, 5, 2).slice(0, 1, 4, 2); }, {y}));
  CHECK(gradcheck([](const Inputs& in) { return in[0].slice(1, 1, 5, 3).select(2, 1); }, {y}));
  // Overlapping slices of the same input: gradients add up.
  CHECK(gradcheck(
      [](const Inputs& in) { return in[0].slice(1, 0, 4) * in[0].slice(1, 1, 5, 1).exp(); }, {y}));
  Tensor v = leaf(zeros({6}, kFloat64));
  (v.slice(0, 0, 6, 2).sum() + 2.0 * v.slice(0, 1, 6, 3).sum()).backward();
  CHECK(v.grad().to_vector<double>() == std::vector<double>{1, 2, 1, 0, 3, 0});
}

TEST_CASE("gradcheck: chunk, split and unbind") {
  Generator gen(74);
  check_layouts([](const Tensor& x) { return weighted_cat(x.chunk(2, 1)); }, gen);
  check_layouts([](const Tensor& x) { return weighted_cat(x.chunk(3, 1)); }, gen);  // 2, 2
  check_layouts([](const Tensor& x) { return weighted_cat(x.chunk(3, 0)); }, gen);
  check_layouts([](const Tensor& x) { return weighted_cat(x.split(3, 1)); }, gen);  // 3, 1
  check_layouts([](const Tensor& x) { return weighted_cat(x.split(2, 0)); }, gen);  // 2, 1
  check_layouts([](const Tensor& x) { return weighted_cat(x.unbind(0)); }, gen);
  check_layouts([](const Tensor& x) { return weighted_cat(x.unbind(-1)); }, gen);
  // Only some of the parts used.
  Tensor x = rnd({3, 4}, gen);
  CHECK(gradcheck([](const Inputs& in) { return in[0].chunk(2, 1)[1].exp(); }, {x}));
  CHECK(gradcheck([](const Inputs& in) { return in[0].unbind(0)[2] * in[0].unbind(0)[0]; }, {x}));
}

TEST_CASE("gradcheck: cat and stack") {
  Generator gen(75);
  Tensor a = rnd({2, 3}, gen), b = rnd({1, 3}, gen), c = rnd({4, 3}, gen);
  CHECK(gradcheck([](const Inputs& in) { return cat({in[0], in[1], in[2]}, 0); }, {a, b, c}));
  CHECK(gradcheck([](const Inputs& in) { return cat({in[0], in[1], in[2]}).exp(); }, {a, b, c}));
  // One part a constant.
  CHECK(gradcheck(
      [](const Inputs& in) {
        return cat({in[0], in[1], in[2]}, 0);
      },
      {a, b.detach(), c}));
  Tensor d = rnd({2, 1}, gen), e = rnd({2, 4}, gen);
  CHECK(gradcheck([](const Inputs& in) { return cat({in[0], in[1]}, 1); }, {a, d}));
  CHECK(gradcheck([](const Inputs& in) { return cat({in[0], in[1], in[0]}, -1); }, {a, e}));
  // Non-contiguous parts: a transposed leaf, a strided slice, an expand.
  Tensor at = transposed_leaf(randn({3, 2}, gen, kFloat64));  // [2, 3]
  Tensor wide = rnd({2, 7}, gen), col = rnd({2, 1}, gen);
  CHECK(gradcheck(
      [](const Inputs& in) {
        return cat({in[0], in[1].slice(1, 0, 7, 3), in[2].expand({2, 3})}, 1).tanh();
      },
      {at, wide, col}));
  Tensor f = rnd({2, 3}, gen);
  for (int64_t dim : {0, 1, 2, -1}) {
    INFO("stack dim " << dim);
    CHECK(gradcheck([=](const Inputs& in) { return stack({in[0], in[1], in[0]}, dim); }, {a, f}));
    CHECK(gradcheck(
        [=](const Inputs& in) {
          return stack({in[0], in[1].t().t()}, dim).sin();
        },
        {at, f}));
  }
  Tensor s = rnd({}, gen), s2 = rnd({}, gen);
  CHECK(gradcheck([](const Inputs& in) { return stack({in[0], in[1]}); }, {s, s2}));
}

TEST_CASE("gradcheck: clone, contiguous and dtype casts") {
  Generator gen(76);
  check_layouts([](const Tensor& x) { return x.clone(); }, gen);
  check_layouts([](const Tensor& x) { return x.contiguous(); }, gen);
  check_layouts([](const Tensor& x) { return x.t().contiguous(); }, gen);
  check_layouts([](const Tensor& x) { return x.to(kFloat64); }, gen);  // identity
  Tensor x = rnd({3, 4}, gen);
  CHECK(x.to(kFloat64).is_same(x));
  CHECK(x.contiguous().is_same(x));
  // float64 -> float32 -> float64 is not gradcheckable (float32 rounding), so check the
  // backward cast directly: the gradient comes back in the input's dtype with exact values.
  Tensor y = x.to(kFloat32);
  CHECK(y.dtype() == kFloat32);
  CHECK(y.requires_grad());
  CHECK(y.grad_fn() != nullptr);
  Tensor seed = tensor({1.5, -2, 0.25, 4, 3, 2, 1, 0, -1, -2, -3, 8}, kFloat32).reshape({3, 4});
  y.backward(seed);
  REQUIRE(x.grad().defined());
  CHECK(x.grad().dtype() == kFloat64);
  CHECK(max_abs_diff(x.grad(), seed.to(kFloat64)) == 0.0);
  // float32 leaf through a float64 computation: gradient lands as float32.
  Tensor z = leaf(tensor({0.5, -1.0, 2.0}, kFloat32));
  (z.to(kFloat64) * z.to(kFloat64)).sum().backward();
  CHECK(z.grad().dtype() == kFloat32);
  CHECK(z.grad().to_vector<double>() == std::vector<double>{1.0, -2.0, 4.0});
  // Casting to an integer dtype drops the history.
  CHECK_FALSE(x.to(kInt64).requires_grad());
  // clone of a clone is a fresh buffer whose gradient is the identity.
  Tensor w = rnd({2, 2}, gen);
  w.clone().clone().sum().backward();
  CHECK(max_abs_diff(w.grad(), ones({2, 2}, kFloat64)) == 0.0);
}

TEST_CASE("gradcheck: edge shapes (0-d results, size-1 dims, empty tensors)") {
  Generator gen(77);
  Tensor v = rnd({4}, gen), ones11 = rnd({1, 1}, gen);
  CHECK(gradcheck([](const Inputs& in) { return in[0].select(0, 2); }, {v}));  // -> 0-d
  CHECK(gradcheck([](const Inputs& in) { return in[0].index_select(0, scalar_tensor(3, kInt64)); },
                  {v}));
  CHECK(gradcheck([](const Inputs& in) { return in[0].squeeze(); }, {ones11}));  // -> 0-d
  CHECK(gradcheck([](const Inputs& in) { return in[0].sum_to_size({}); }, {ones11}));
  CHECK(gradcheck([](const Inputs& in) { return in[0].sum_to_size({}); }, {v}));
  CHECK(gradcheck(
      [](const Inputs& in) {
        return in[0].permute({-1, 0}).exp();
      },
      {rnd({2, 3}, gen)}));
  CHECK(gradcheck([](const Inputs& in) { return in[0].mean({0}, true).mean(); }, {ones11}));
  // Empty parts and empty reductions carry no gradient but must not break the others.
  Tensor e = leaf(zeros({0, 3}, kFloat64)), a = rnd({2, 3}, gen);
  CHECK(gradcheck([](const Inputs& in) { return cat({in[0], in[1]}, 0).tanh(); }, {e, a}));
  CHECK(gradcheck([](const Inputs& in) { return in[0].sum({0}) + in[1].sum({0}); }, {e, a}));
  Tensor y = (e.sum() + a.sum());
  y.backward();
  CHECK(e.grad().shape() == Shape{0, 3});
  CHECK(max_abs_diff(a.grad(), ones({2, 3}, kFloat64)) == 0.0);
}

TEST_CASE("gradcheck: masked softmax with -inf entries, as in attention") {
  Generator gen(78);
  Tensor mask = tensor({0, 1, 1, 0, 0, 1, 0, 0, 0}, kFloat64).reshape({3, 3});  // causal
  Tensor scores = rnd({3, 3}, gen);
  auto f = [&](const Inputs& in) { return in[0].masked_fill(mask, -INFINITY).softmax(-1); };
  CHECK(gradcheck(f, {scores}));
  CHECK(gradcheck(
      [&](const Inputs& in) { return in[0].masked_fill(mask, -INFINITY).log_softmax(-1).exp(); },
      {scores}));
  CHECK(gradgradcheck(f, {scores}));
  // Masked positions get exactly zero gradient, and nothing is NaN.
  Tensor w = randn({3, 3}, gen, kFloat64);
  auto g = autograd::grad({(f({scores}) * w).sum()}, {scores});
  std::vector<double> gv = g[0].to_vector<double>(), m = mask.to_vector<double>();
  for (size_t i = 0; i < gv.size(); ++i) {
    CHECK_FALSE(std::isnan(gv[i]));
    if (m[i] != 0) CHECK(gv[i] == 0.0);
  }
}

TEST_CASE("gradcheck: pow at a zero base and clamp at its bounds") {
  // d a^b / db is taken as 0 where a = 0 (no NaN from log 0); d a^b / da = b a^(b-1).
  Tensor a = values({0.0, 0.5, 2.0}, {3}), b = values({2.0, 3.0, 1.5}, {3});
  CHECK(gradcheck([](const Inputs& in) { return pow(in[0], in[1]); }, {a.detach(), b}));
  auto g = autograd::grad({pow(a, b).sum()}, {a, b});
  CHECK(g[0].to_vector<double>()[0] == 0.0);
  CHECK(g[1].to_vector<double>()[0] == 0.0);
  CHECK_FALSE(std::isnan(g[1].to_vector<double>()[0]));
  // clamp passes the gradient at the bounds themselves, as torch does.
  Tensor x = values({-1.0, 1.0, 0.0}, {3});
  auto gc = autograd::grad({x.clamp(-1.0, 1.0).sum()}, {x});
  CHECK(gc[0].to_vector<double>() == std::vector<double>{1, 1, 1});
}
