// gradcheck of reductions, matmul (every rank combination torch.matmul accepts), softmax /
// log_softmax and the indexing ops.
#include "tests/autograd/grad_test_util.h"

using namespace zg;
using namespace zg::test;

namespace {

// Checks f on x itself, on a transposed leaf of the same shape, and on x seen through a
// strided slice made inside f (so every reduction also runs on non-contiguous input).
template <class F>
void check_layouts(F f, const Shape& shape, Generator& gen) {
  Tensor x = rnd(shape, gen);
  CHECK(gradcheck([&](const Inputs& in) { return f(in[0]); }, {x}));
  if (shape.size() == 2) {
    Tensor xt = transposed_leaf(randn({shape[1], shape[0]}, gen, kFloat64));
    CHECK(gradcheck([&](const Inputs& in) { return f(in[0]); }, {xt}));
  }
  Shape wide = shape;
  wide.back() = 2 * wide.back() + 1;
  Tensor w = rnd(wide, gen);
  int64_t last = static_cast<int64_t>(shape.size()) - 1;
  CHECK(gradcheck([&](const Inputs& in) { return f(in[0].slice(last, 1, wide.back(), 2)); }, {w}));
}

}  // namespace

TEST_CASE("gradcheck: sum and mean over everything, dim lists and keepdim") {
  Generator gen(20);
  for (bool keep : {false, true}) {
    INFO("keepdim " << keep);
    check_layouts([](const Tensor& x) { return x.sum(); }, {3, 4}, gen);
    check_layouts([](const Tensor& x) { return x.mean(); }, {3, 4}, gen);
    check_layouts([=](const Tensor& x) { return x.sum({0}, keep); }, {3, 4}, gen);
    check_layouts([=](const Tensor& x) { return x.sum({-1}, keep); }, {3, 4}, gen);
    check_layouts([=](const Tensor& x) { return x.sum({0, 1}, keep); }, {3, 4}, gen);
    check_layouts([=](const Tensor& x) { return x.sum({0, 2}, keep); }, {2, 3, 2}, gen);
    check_layouts([=](const Tensor& x) { return x.sum({1}, keep); }, {2, 3, 2}, gen);
    check_layouts([=](const Tensor& x) { return x.mean({1}, keep); }, {3, 4}, gen);
    check_layouts([=](const Tensor& x) { return x.mean({2, 0}, keep); }, {2, 3, 2}, gen);
    check_layouts([=](const Tensor& x) { return x.mean({-2}, keep); }, {2, 3, 2}, gen);
  }
  // 0-d and expanded inputs.
  Tensor s = rnd({}, gen);
  CHECK(gradcheck([](const Inputs& in) { return in[0].sum(); }, {s}));
  CHECK(gradcheck([](const Inputs& in) { return in[0].mean(); }, {s}));
  Tensor col = rnd({3, 1}, gen);
  CHECK(gradcheck([](const Inputs& in) { return in[0].expand({3, 4}).sum({0}); }, {col}));
  CHECK(gradcheck([](const Inputs& in) { return in[0].expand({2, 3, 4}).mean({0, 2}); }, {col}));
}

TEST_CASE("gradcheck: var and std, unbiased and biased") {
  Generator gen(21);
  for (bool unbiased : {true, false}) {
    INFO("unbiased " << unbiased);
    check_layouts([=](const Tensor& x) { return x.var(unbiased); }, {3, 4}, gen);
    check_layouts([=](const Tensor& x) { return x.std(unbiased); }, {3, 4}, gen);
    for (bool keep : {false, true}) {
      check_layouts([=](const Tensor& x) { return x.var({1}, unbiased, keep); }, {3, 4}, gen);
      check_layouts([=](const Tensor& x) { return x.var({0}, unbiased, keep); }, {3, 4}, gen);
      check_layouts([=](const Tensor& x) { return x.std({-1}, unbiased, keep); }, {3, 4}, gen);
      check_layouts([=](const Tensor& x) { return x.var({0, 2}, unbiased, keep); }, {2, 3, 3}, gen);
      check_layouts([=](const Tensor& x) { return x.std({0, 2}, unbiased, keep); }, {2, 3, 3}, gen);
    }
  }
  // Closed form: d var / dx_i = 2 (x_i - mean) / (n - 1).
  Tensor x = values({1.0, 2.0, 4.0, 7.0}, {4});
  x.var().backward();
  CHECK(allclose(x.grad(), tensor({-2.5, -1.5, 0.5, 3.5}, kFloat64) * (2.0 / 3.0), 1e-12, 1e-12));
}

TEST_CASE("gradcheck: max/min, amax/amin and max(dim)/min(dim) values") {
  Generator gen(22);  // randn values are distinct, so each max is differentiable
  check_layouts([](const Tensor& x) { return x.max(); }, {3, 4}, gen);
  check_layouts([](const Tensor& x) { return x.min(); }, {3, 4}, gen);
  for (bool keep : {false, true}) {
    INFO("keepdim " << keep);
    check_layouts([=](const Tensor& x) { return x.amax({0}, keep); }, {3, 4}, gen);
    check_layouts([=](const Tensor& x) { return x.amin({-1}, keep); }, {3, 4}, gen);
    check_layouts([=](const Tensor& x) { return x.amax({0, 2}, keep); }, {2, 3, 2}, gen);
    check_layouts([=](const Tensor& x) { return x.amin({1, 2}, keep); }, {2, 3, 2}, gen);
    check_layouts([=](const Tensor& x) { return x.max(1, keep).first; }, {3, 4}, gen);
    check_layouts([=](const Tensor& x) { return x.min(0, keep).first; }, {3, 4}, gen);
    check_layouts([=](const Tensor& x) { return x.max(-2, keep).first; }, {2, 3, 2}, gen);
    check_layouts([=](const Tensor& x) { return x.min(2, keep).first; }, {2, 3, 2}, gen);
  }
  Tensor s = rnd({}, gen);
  CHECK(gradcheck([](const Inputs& in) { return in[0].max(0).first; }, {s}));
  CHECK(gradcheck([](const Inputs& in) { return in[0].amax({}); }, {s}));

  // Ties: amax shares the gradient, max(dim) gives it to the one index it returns.
  Tensor t = values({1.0, 3.0, 3.0, 0.0}, {4});
  t.amax({0}).backward();
  CHECK(t.grad().to_vector<double>() == std::vector<double>{0, 0.5, 0.5, 0});
  Tensor u = values({1.0, 3.0, 3.0, 0.0}, {4});
  auto [v, i] = u.max(0);
  v.backward();
  std::vector<double> expected(4, 0.0);
  expected[i.item<int64_t>()] = 1.0;
  CHECK(u.grad().to_vector<double>() == expected);
}

TEST_CASE("gradcheck: logsumexp") {
  Generator gen(23);
  for (bool keep : {false, true}) {
    check_layouts([=](const Tensor& x) { return x.logsumexp({1}, keep); }, {3, 4}, gen);
    check_layouts([=](const Tensor& x) { return x.logsumexp({0}, keep); }, {3, 4}, gen);
    check_layouts([=](const Tensor& x) { return x.logsumexp({0, 2}, keep); }, {2, 3, 2}, gen);
  }
  // Large values: the max shift keeps it finite and the gradient is softmax.
  Tensor big = values({1000.0, 1001.0, 999.0}, {3});
  CHECK(gradcheck([](const Inputs& in) { return in[0].logsumexp({0}); }, {big}));
  big.logsumexp({0}).backward();
  CHECK(allclose(big.grad(), softmax(big.detach(), 0), 1e-12, 1e-12));
}

TEST_CASE("gradcheck: sum_to_size") {
  Generator gen(24);
  Tensor x = rnd({2, 3, 4}, gen);
  for (const Shape& target : {Shape{2, 3, 4}, Shape{3, 4}, Shape{4}, Shape{1, 4}, Shape{3, 1},
                              Shape{2, 1, 4}, Shape{1, 1, 1}, Shape{1}})
    CHECK(gradcheck([&](const Inputs& in) { return in[0].sum_to_size(target); }, {x}));
  Tensor xt = transposed_leaf(randn({4, 3}, gen, kFloat64));
  CHECK(gradcheck([](const Inputs& in) { return in[0].sum_to_size({1, 4}); }, {xt}));
}

// ---- matmul --------------------------------------------------------------------------------

TEST_CASE("gradcheck: matmul over every rank combination") {
  Generator gen(30);
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{4}, {4}},                 // dot
      {{4}, {4, 3}},              // vector @ matrix
      {{3, 4}, {4}},              // matrix @ vector
      {{3, 4}, {4, 2}},           // matrix @ matrix
      {{2, 3, 4}, {2, 4, 2}},     // batched
      {{2, 1, 3, 4}, {5, 4, 2}},  // broadcast batch dims -> [2, 5, 3, 2]
      {{2, 3, 4}, {4, 2}},        // N-D @ 2-D (batch folded into rows)
      {{2, 2, 3, 4}, {4, 2}},
      {{3, 4}, {2, 4, 2}},     // 2-D @ N-D
      {{4}, {2, 4, 3}},        // 1-D @ N-D
      {{2, 3, 4}, {4}},        // N-D @ 1-D
      {{1, 3, 4}, {2, 4, 2}},  // size-1 batch broadcast
  };
  for (const auto& [sa, sb] : cases) {
    INFO(shape_str(sa) << " @ " << shape_str(sb));
    Tensor a = rnd(sa, gen), b = rnd(sb, gen);
    auto f = [](const Inputs& in) { return matmul(in[0], in[1]); };
    CHECK(gradcheck(f, {a, b}));
    CHECK(gradcheck(f, {a, b.detach()}));
    CHECK(gradcheck(f, {a.detach(), b}));
  }
}

TEST_CASE("gradcheck: matmul with non-contiguous operands") {
  Generator gen(31);
  auto f = [](const Inputs& in) { return in[0].matmul(in[1]); };
  // Transposed leaves passed directly.
  Tensor at = transposed_leaf(randn({4, 3}, gen, kFloat64));  // [3, 4]
  Tensor bt = transposed_leaf(randn({2, 4}, gen, kFloat64));  // [4, 2]
  Tensor b = rnd({4, 2}, gen);
  CHECK(gradcheck(f, {at, b}));
  CHECK(gradcheck(f, {at, bt}));
  CHECK(gradcheck(f, {rnd({3, 4}, gen), bt}));
  // Transposes, mT and permutes made inside f.
  Tensor a43 = rnd({4, 3}, gen), b24 = rnd({2, 4}, gen);
  CHECK(gradcheck([](const Inputs& in) { return in[0].t().matmul(in[1].t()); }, {a43, b24}));
  Tensor c = rnd({2, 4, 3}, gen), d = rnd({2, 2, 4}, gen);
  CHECK(gradcheck([](const Inputs& in) { return in[0].mT().matmul(in[1].mT()); }, {c, d}));
  CHECK(gradcheck(
      [](const Inputs& in) {
        return in[0].permute({1, 0, 2}).matmul(in[1]);
      },
      {rnd({3, 2, 4}, gen), rnd({2, 4, 2}, gen)}));
  // Strided slices and expands inside f.
  Tensor wide = rnd({3, 9}, gen), tall = rnd({8, 2}, gen);
  CHECK(gradcheck(
      [](const Inputs& in) { return in[0].slice(1, 0, 8, 2).matmul(in[1].slice(0, 1, 8, 2)); },
      {wide, tall}));
  Tensor w = rnd({4, 2}, gen);
  CHECK(gradcheck(
      [](const Inputs& in) {
        return in[0].matmul(in[1].expand({3, 4, 2}));
      },
      {rnd({3, 2, 4}, gen), w}));
  Tensor row = rnd({1, 4}, gen);
  CHECK(gradcheck([](const Inputs& in) { return in[0].expand({3, 4}).matmul(in[1]); }, {row, w}));
  // The same operand on both sides: x @ x.
  Tensor sq = rnd({3, 3}, gen);
  CHECK(gradcheck([](const Inputs& in) { return in[0].matmul(in[0]); }, {sq}));
  CHECK(gradcheck([](const Inputs& in) { return in[0].matmul(in[0].t()); }, {rnd({2, 3}, gen)}));
}

// ---- softmax -------------------------------------------------------------------------------

TEST_CASE("gradcheck: softmax and log_softmax along every dim") {
  Generator gen(40);
  for (int64_t d : {0, 1, 2, -1}) {
    INFO("dim " << d);
    Tensor x = rnd({2, 3, 4}, gen);
    CHECK(gradcheck([=](const Inputs& in) { return softmax(in[0], d); }, {x}));
    CHECK(gradcheck([=](const Inputs& in) { return in[0].log_softmax(d); }, {x}));
    // Weighted, so the gradient is not the trivial zero of softmax().sum().
    Tensor w = randn({2, 3, 4}, gen, kFloat64);
    CHECK(gradcheck([=](const Inputs& in) { return (in[0].softmax(d) * w).sum(); }, {x}));
    CHECK(gradcheck([=](const Inputs& in) { return (log_softmax(in[0], d) * w).sum(); }, {x}));
  }
  for (int64_t d : {0, 1}) {
    check_layouts([=](const Tensor& x) { return x.softmax(d); }, {3, 4}, gen);
    check_layouts([=](const Tensor& x) { return x.log_softmax(d); }, {3, 4}, gen);
  }
  Tensor col = rnd({3, 1}, gen);
  CHECK(gradcheck([](const Inputs& in) { return in[0].expand({3, 4}).softmax(0); }, {col}));
  CHECK(gradcheck([](const Inputs& in) { return in[0].expand({3, 4}).log_softmax(0); }, {col}));
  Tensor s = rnd({}, gen);
  CHECK(gradcheck([](const Inputs& in) { return in[0].log_softmax(0) + in[0]; }, {s}));
  // Large logits stay finite.
  Tensor big = values({500.0, 502.0, 499.0, -500.0}, {4});
  CHECK(gradcheck([](const Inputs& in) { return in[0].log_softmax(0); }, {big}));
  CHECK(gradcheck([](const Inputs& in) { return in[0].softmax(0); }, {big}));
}

// ---- indexing ------------------------------------------------------------------------------

TEST_CASE("gradcheck: index_select, with repeated indices") {
  Generator gen(50);
  Tensor idx = tensor({2, 0, 2, 1}, kInt64);
  Tensor x = rnd({3, 4}, gen);
  CHECK(gradcheck([&](const Inputs& in) { return in[0].index_select(0, idx); }, {x}));
  CHECK(gradcheck([&](const Inputs& in) { return in[0].index_select(1, idx); }, {x}));
  CHECK(gradcheck([&](const Inputs& in) { return in[0].index_select(-1, idx.narrow(0, 0, 3)); },
                  {x}));
  CHECK(gradcheck([&](const Inputs& in) { return in[0].index_select(0, scalar_tensor(1, kInt64)); },
                  {x}));
  Tensor xt = transposed_leaf(randn({4, 3}, gen, kFloat64));
  CHECK(gradcheck([&](const Inputs& in) { return in[0].index_select(1, idx); }, {xt}));
  Tensor x3 = rnd({2, 3, 2}, gen);
  CHECK(gradcheck([&](const Inputs& in) { return in[0].index_select(1, idx); }, {x3}));
  // Repeats accumulate: row 2 picked twice gets gradient 2.
  Tensor y = leaf(ones({3, 2}, kFloat64));
  y.index_select(0, idx).sum().backward();
  CHECK(y.grad().to_vector<double>() == std::vector<double>{1, 1, 1, 1, 2, 2});
}

TEST_CASE("gradcheck: gather, with repeated and partial indices") {
  Generator gen(51);
  Tensor x = rnd({3, 4}, gen);
  Tensor idx1 = tensor({0, 3, 3, 1, 2, 2, 0, 0, 1}, kInt64).reshape({3, 3});
  Tensor idx0 = tensor({2, 0, 1, 2, 2, 2, 0, 1}, kInt64).reshape({2, 4});
  CHECK(gradcheck([&](const Inputs& in) { return in[0].gather(1, idx1); }, {x}));
  CHECK(gradcheck([&](const Inputs& in) { return in[0].gather(0, idx0); }, {x}));
  CHECK(gradcheck([&](const Inputs& in) { return in[0].gather(-1, idx1.narrow(0, 0, 2)); }, {x}));
  Tensor xt = transposed_leaf(randn({4, 3}, gen, kFloat64));
  CHECK(gradcheck([&](const Inputs& in) { return in[0].gather(1, idx1); }, {xt}));
  CHECK(gradcheck([&](const Inputs& in) { return in[0].t().gather(0, idx0.t()); }, {x}));
  // Cross-entropy style: pick the target log-probability of each row.
  Tensor target = tensor({1, 3, 0}, kInt64).reshape({3, 1});
  CHECK(gradcheck([&](const Inputs& in) { return -in[0].log_softmax(1).gather(1, target).mean(); },
                  {x}));
}

TEST_CASE("gradcheck: scatter_add into self and from src") {
  Generator gen(52);
  Tensor self = rnd({3, 4}, gen);
  Tensor src1 = rnd({3, 3}, gen), src0 = rnd({2, 4}, gen);
  Tensor idx1 = tensor({0, 3, 3, 1, 2, 2, 0, 0, 1}, kInt64).reshape({3, 3});
  Tensor idx0 = tensor({2, 0, 1, 2, 2, 2, 0, 1}, kInt64).reshape({2, 4});
  auto f1 = [&](const Inputs& in) { return in[0].scatter_add(1, idx1, in[1]); };
  auto f0 = [&](const Inputs& in) { return in[0].scatter_add(0, idx0, in[1]); };
  CHECK(gradcheck(f1, {self, src1}));
  CHECK(gradcheck(f0, {self, src0}));
  CHECK(gradcheck(f1, {self.detach(), src1}));  // src only
  CHECK(gradcheck(f1, {self, src1.detach()}));  // self only
  // Non-contiguous self and src.
  Tensor self_t = transposed_leaf(randn({4, 3}, gen, kFloat64));
  Tensor src_t = transposed_leaf(randn({3, 3}, gen, kFloat64));
  CHECK(gradcheck(f1, {self_t, src_t}));
  // Nonlinear use of the result, so the gradient depends on where things landed.
  CHECK(
      gradcheck([&](const Inputs& in) { return in[0].scatter_add(1, idx1, in[1].tanh()).square(); },
                {self, src1}));
  // Exact: d/d src = the incoming gradient gathered back.
  Tensor w = randn({3, 4}, gen, kFloat64);
  (self.scatter_add(1, idx1, src1) * w).sum().backward();
  CHECK(max_abs_diff(self.grad(), w) == 0.0);
  CHECK(max_abs_diff(src1.grad(), w.gather(1, idx1)) == 0.0);
}

TEST_CASE("gradcheck: a small classifier end to end") {
  Generator gen(60);
  Tensor x = rnd({4, 3}, gen), w1 = rnd({3, 5}, gen), b1 = rnd({5}, gen);
  Tensor w2 = rnd({5, 3}, gen);
  Tensor target = tensor({0, 2, 1, 2}, kInt64).reshape({4, 1});
  CHECK(gradcheck(
      [&](const Inputs& in) {
        Tensor h = (in[0].matmul(in[1]) + in[2]).gelu();
        Tensor logits = h.matmul(in[3]);
        return -logits.log_softmax(-1).gather(1, target).mean() + 1e-2 * in[1].square().sum();
      },
      {x, w1, b1, w2}));
}
