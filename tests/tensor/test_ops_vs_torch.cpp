// Forward values of the core ops against PyTorch (float64 unless stated). The reference
// tensors, inputs included, come from tests/fixtures/make_fixtures.py.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "tests/tensor/fixtures.h"

namespace zg::test {
namespace {

// R("name"): a reference tensor. The file loads on first use, inside a test case, so a
// missing file fails that test instead of aborting the binary during static initialisation.
struct {
  Tensor operator()(const std::string& name) const { return torch_ref()(name); }
  size_t size() const { return torch_ref().size(); }
} const R;

using UnaryFn = std::function<Tensor(const Tensor&)>;

void check64(const Tensor& got, const std::string& name) {
  CHECK_MESSAGE(close64(got, R(name)), name);
}
void check32(const Tensor& got, const std::string& name) {
  CHECK_MESSAGE(close32(got, R(name)), name);
}
void check_exact(const Tensor& got, const std::string& name) {
  CHECK_MESSAGE(exact(got, R(name)), name);
}

}  // namespace

TEST_CASE("torch fixtures: the file loads") {
  CHECK(R.size() > 200);
  CHECK(R("unary.x").shape() == Shape{3, 11});
  CHECK(R("unary.x").dtype() == kFloat64);
  CHECK(R("f32.x").dtype() == kFloat32);
  CHECK(R("i64.a").dtype() == kInt64);
  CHECK(std::isinf(R("lse.x").to_vector<double>()[13]));
}

TEST_CASE("torch: unary ops") {
  Tensor x = R("unary.x");
  std::vector<std::pair<std::string, UnaryFn>> ops = {
      {"neg", [](const Tensor& t) { return t.neg(); }},
      {"abs", [](const Tensor& t) { return t.abs(); }},
      {"sign", [](const Tensor& t) { return t.sign(); }},
      {"exp", [](const Tensor& t) { return t.exp(); }},
      {"square", [](const Tensor& t) { return t.square(); }},
      {"sin", [](const Tensor& t) { return t.sin(); }},
      {"cos", [](const Tensor& t) { return t.cos(); }},
      {"tanh", [](const Tensor& t) { return t.tanh(); }},
      {"sigmoid", [](const Tensor& t) { return t.sigmoid(); }},
      {"erf", [](const Tensor& t) { return t.erf(); }},
      {"relu", [](const Tensor& t) { return t.relu(); }},
      {"silu", [](const Tensor& t) { return t.silu(); }},
      {"gelu", [](const Tensor& t) { return t.gelu(); }},
      {"softplus", [](const Tensor& t) { return t.softplus(); }},
      {"leaky_relu", [](const Tensor& t) { return t.leaky_relu(); }},
      {"leaky_relu_0.2", [](const Tensor& t) { return t.leaky_relu(0.2); }},
      {"clamp", [](const Tensor& t) { return t.clamp(-0.5, 0.75); }},
      {"clamp_min", [](const Tensor& t) { return t.clamp_min(-0.25); }},
      {"clamp_max", [](const Tensor& t) { return t.clamp_max(1.5); }},
  };
  for (auto& [name, f] : ops) {
    CAPTURE(name);
    check64(f(x), "unary." + name);
    // The same op on a transposed (non-contiguous) view gives the transposed result.
    check64(f(x.t().contiguous().t()), "unary." + name);
    check64(f(x.t()).t(), "unary." + name);
  }
  Tensor xpos = R("unary.xpos");
  check64(xpos.log(), "unary.log");
  check64(xpos.sqrt(), "unary.sqrt");
  check64(xpos.rsqrt(), "unary.rsqrt");
  check64(R("unary.xlog1p").log1p(), "unary.log1p");
}

TEST_CASE("torch: NaN and infinities propagate as in torch") {
  Tensor x = R("special.x");
  std::vector<std::pair<std::string, UnaryFn>> ops = {
      {"relu", [](const Tensor& t) { return t.relu(); }},
      {"sign", [](const Tensor& t) { return t.sign(); }},
      {"abs", [](const Tensor& t) { return t.abs(); }},
      {"sigmoid", [](const Tensor& t) { return t.sigmoid(); }},
      {"tanh", [](const Tensor& t) { return t.tanh(); }},
      {"silu", [](const Tensor& t) { return t.silu(); }},
      {"gelu", [](const Tensor& t) { return t.gelu(); }},
      {"softplus", [](const Tensor& t) { return t.softplus(); }},
      {"leaky_relu", [](const Tensor& t) { return t.leaky_relu(); }},
      {"clamp", [](const Tensor& t) { return t.clamp(-1.0, 1.0); }},
      {"exp", [](const Tensor& t) { return t.exp(); }},
      {"erf", [](const Tensor& t) { return t.erf(); }},
      {"sqrt", [](const Tensor& t) { return t.sqrt(); }},
      {"log", [](const Tensor& t) { return t.log(); }},
      {"rsqrt", [](const Tensor& t) { return t.rsqrt(); }},
  };
  for (auto& [name, f] : ops) {
    CAPTURE(name);
    check64(f(x), "special." + name);
  }
  Tensor m = R("special.m"), v = R("special.v");
  auto [mv, mi] = m.max(1);
  check_exact(mv, "special.max_1.values");
  check_exact(mi, "special.max_1.indices");
  auto [nv, ni] = m.min(1);
  check_exact(nv, "special.min_1.values");
  check_exact(ni, "special.min_1.indices");
  check_exact(m.amax({1}), "special.amax_1");
  check_exact(m.max(), "special.max");
  check_exact(m.sum({1}), "special.sum_1");
  check64(m.softmax(1), "special.softmax_1");
  check_exact(maximum(m, v), "special.maximum");
  check_exact(minimum(m, v), "special.minimum");
  Tensor l = R("special.lse_x");
  check64(l.logsumexp({1}), "special.lse_1");
  Tensor rows = l.index_select(0, from_vector(std::vector<int64_t>{0, 2}));
  check64(rows.softmax(1), "special.softmax_lse_x");
  check64(rows.log_softmax(1), "special.log_softmax_lse_x");
}

TEST_CASE("torch: pow") {
  Tensor x = R("unary.x"), xpos = R("unary.xpos");
  check64(xpos.pow(0.5), "pow.xpos_0.5");
  check64(xpos.pow(-1.5), "pow.xpos_-1.5");
  check64(pow(xpos, 2.7), "pow.xpos_2.7");
  check64(x.pow(2.0), "pow.x_2");
  check64(x.pow(3.0), "pow.x_3");
  check64(x.pow(0.0), "pow.x_0");
  check64(pow(R("bin.pbase"), R("bin.pexp")), "bin.pow_tt");
  check64(R("bin.pbase").pow(R("bin.pexp")), "bin.pow_tt");
}

TEST_CASE("torch: + - * / with broadcasting") {
  Tensor a = R("bin.a"), b = R("bin.b"), c = R("bin.c"), d = R("bin.d"), bnz = R("bin.bnz");
  check64(a + b, "bin.add_ab");
  check64(b + a, "bin.add_ab");
  check64(a - b, "bin.sub_ab");
  check64(a * b, "bin.mul_ab");
  check64(a / bnz, "bin.div_abnz");
  check64(a + c, "bin.add_ac");
  check64(c - a, "bin.sub_ca");
  check64(d * b, "bin.mul_db");
  check64(d / c, "bin.div_dc");
  check64(add(a, c, -2.5), "bin.add_alpha_ac");
  check64(a + 2.5, "bin.add_s");
  check64(2.5 - a, "bin.rsub_s");
  check64(a * -3.0, "bin.mul_s");
  check64(-3.0 * a, "bin.mul_s");
  check64(a / 3.0, "bin.div_s");
  check64(3.0 / bnz, "bin.rdiv_s");
  // Operands given as non-contiguous views of the same values.
  check64(a.transpose(0, 2).contiguous().transpose(0, 2) + b.expand({3, 4}), "bin.add_ab");
}

TEST_CASE("torch: maximum, minimum and comparisons (with ties)") {
  Tensor a = R("cmp.a"), b = R("cmp.b");
  check_exact(maximum(a, b), "cmp.maximum");
  check_exact(a.minimum(b), "cmp.minimum");
  check_exact(a.eq(b), "cmp.eq");
  check_exact(a.ne(b), "cmp.ne");
  check_exact(a.lt(b), "cmp.lt");
  check_exact(a.le(b), "cmp.le");
  check_exact(a.gt(b), "cmp.gt");
  check_exact(a.ge(b), "cmp.ge");
  check_exact(a.eq(0.5), "cmp.eq_s");
  check_exact(a.ne(0.5), "cmp.ne_s");
  check_exact(a.lt(0.5), "cmp.lt_s");
  check_exact(a.le(0.5), "cmp.le_s");
  check_exact(a.gt(0.5), "cmp.gt_s");
  check_exact(a.ge(0.5), "cmp.ge_s");
  // Ties in arg-reductions resolve to the first index, as torch does on the CPU.
  check_exact(a.argmax(1), "cmp.argmax_1");
  check_exact(a.argmin(0), "cmp.argmin_0");
  check_exact(a.max(0).second, "cmp.max_0.indices");
  check_exact(a.min(1).second, "cmp.min_1.indices");
}

TEST_CASE("torch: where and masked_fill") {
  check_exact(where(R("where.cond"), R("where.a"), R("where.b")), "where.out");
  // The condition may have another dtype than the values.
  check_exact(where(R("where.cond").to(kInt64), R("where.a"), R("where.b")), "where.out");
  check_exact(R("where.a").masked_fill(R("masked_fill.mask"), -1e9), "masked_fill.out");
}

TEST_CASE("torch: sum, mean, var, std") {
  Tensor r = R("red.x");
  check64(r.sum(), "red.sum");
  check64(r.sum({1}), "red.sum_1");
  check64(r.sum({0, 2}, true), "red.sum_02_keep");
  check64(r.sum({2, 0}, true), "red.sum_02_keep");
  check64(r.sum({-1}), "red.sum_-1");
  check64(r.mean(), "red.mean");
  check64(r.mean({1}), "red.mean_1");
  check64(r.mean({0, 2}, true), "red.mean_02_keep");
  check64(r.var(), "red.var");
  check64(r.var(false), "red.var_biased");
  check64(r.var({1}, true, true), "red.var_1_keep");
  check64(r.var({0, 2}, false), "red.var_02_biased");
  check64(r.std(), "red.std");
  check64(r.std(false), "red.std_biased");
  check64(r.std({2}), "red.std_2");
  check64(r.std({0, 1}, false, true), "red.std_01_biased_keep");
  // Over a permuted (non-contiguous) view: reduce the dims that were 1 and 2.
  Tensor p = r.permute({2, 0, 1});
  check64(p.sum({2}).t(), "red.sum_1");
  check64(p.var({2}).t().unsqueeze(1), "red.var_1_keep");
  check64(p.std({0}), "red.std_2");
}

TEST_CASE("torch: max/min with indices, amax, argmax") {
  Tensor r = R("red.x");
  check_exact(r.max(), "red.max");
  check_exact(r.min(), "red.min");
  auto [v1, i1] = r.max(1);
  check_exact(v1, "red.max_1.values");
  check_exact(i1, "red.max_1.indices");
  auto [v2, i2] = r.max(-1, true);
  check_exact(v2, "red.max_-1_keep.values");
  check_exact(i2, "red.max_-1_keep.indices");
  auto [v3, i3] = r.min(0);
  check_exact(v3, "red.min_0.values");
  check_exact(i3, "red.min_0.indices");
  check_exact(r.amax({0, 2}, true), "red.amax_02_keep");
  check_exact(r.amax({1}), "red.amax_1");
  check_exact(r.amin({-1}), "red.amin_-1");
  check_exact(r.argmax(1), "red.argmax_1");
  check_exact(r.argmax(-1, true), "red.argmax_-1_keep");
  check_exact(r.argmin(2), "red.argmin_2");
  // Through a transposed view the indices still count along the requested dim.
  check_exact(r.transpose(0, 2).max(1).second.t(), "red.max_1.indices");
}

TEST_CASE("torch: logsumexp, stable for large and -inf entries") {
  Tensor x = R("lse.x");
  check64(x.logsumexp({1}), "lse.dim1");
  check64(x.logsumexp({1}, true), "lse.dim1_keep");
  Tensor first = x.narrow(0, 0, 1);
  check64(first.logsumexp({0, 1}), "lse.all");
  check64(first.logsumexp({0}), "lse.dim0");
  auto v = x.logsumexp({1}).to_vector<double>();
  for (double e : v) CHECK(std::isfinite(e));
  CHECK(v[1] > 1001.0);
  CHECK(v[1] < 1002.0);
}

TEST_CASE("torch: matmul, every rank case") {
  for (std::string name :
       {"1x1", "1x2", "2x1", "2x2", "3x2", "2x3", "3x3", "1x3", "3x1", "bcast", "bcast1"}) {
    CAPTURE(name);
    Tensor a = R("mm." + name + ".a"), b = R("mm." + name + ".b");
    check64(matmul(a, b), "mm." + name + ".out");
    check64(a.matmul(b), "mm." + name + ".out");
  }
}

TEST_CASE("torch: matmul with transposed and strided operands") {
  Tensor a = R("mm.t.a"), b = R("mm.t.b");
  check64(a.t().matmul(b.t()), "mm.t.at_bt");
  check64(a.matmul(a.t()), "mm.t.a_at");
  check64(a.t().matmul(a), "mm.t.at_a");
  check64(a.t().contiguous().matmul(b.t().contiguous()), "mm.t.at_bt");
  check64(R("mm.t.ba").mT().matmul(R("mm.t.bb").mT()), "mm.t.bat_bbt");
  check64(R("mm.s.a").slice(1, 0, 8, 2).matmul(R("mm.s.b")), "mm.s.out");
  // A batch operand broadcast by expand (stride 0) against a real batch.
  Tensor a3 = R("mm.3x3.a"), b3 = R("mm.3x3.b");
  Tensor row = a3.select(0, 1).unsqueeze(0).expand({2, 3, 4});
  Tensor want =
      stack({matmul(a3.select(0, 1), b3.select(0, 0)), matmul(a3.select(0, 1), b3.select(0, 1))});
  CHECK(close64(matmul(row, b3), want));
}

TEST_CASE("torch: softmax and log_softmax, incl. large and -inf logits") {
  Tensor x = R("sm.x");
  check64(x.softmax(1), "sm.softmax_1");
  check64(softmax(x, -1), "sm.softmax_-1");
  check64(x.log_softmax(1), "sm.log_softmax_1");
  check64(log_softmax(x, 1), "sm.log_softmax_1");
  check64(R("sm.y").softmax(0), "sm.softmax_0");
  check64(R("sm.y").log_softmax(0), "sm.log_softmax_0");
  check64(R("sm.z").softmax(1), "sm.softmax_mid");
  check64(R("sm.z").log_softmax(1), "sm.log_softmax_mid");
  // Non-contiguous input: softmax over dim 0 of the transpose = dim 1 of the original.
  check64(x.t().softmax(0).t(), "sm.softmax_1");
  for (double v : x.softmax(1).to_vector<double>()) CHECK(std::isfinite(v));
}

TEST_CASE("torch: cat and stack") {
  Tensor a = R("cat.a"), b = R("cat.b"), c = R("cat.c"), d = R("cat.d");
  check_exact(cat({a, b, c}, 1), "cat.dim1");
  check_exact(cat({a, b, c}, -1), "cat.dim-1");
  check_exact(cat({a, d}, 0), "cat.dim0");
  check_exact(cat({a, d}), "cat.dim0");
  Tensor s1 = R("stack.a"), s2 = R("stack.b"), s3 = R("stack.c");
  for (int64_t dim : {0, 1, 2, -1}) {
    CAPTURE(dim);
    check_exact(stack({s1, s2, s3}, dim), "stack.dim" + std::to_string(dim));
  }
  // Non-contiguous inputs.
  check_exact(cat({a.t().contiguous().t(), b, c}, 1), "cat.dim1");
}

TEST_CASE("torch: index_select, gather, scatter_add, one_hot") {
  Tensor x = R("idx.x");
  check_exact(x.index_select(0, R("idx.i0")), "idx.index_select_0");
  check_exact(x.index_select(1, R("idx.i1")), "idx.index_select_1");
  Tensor g = R("gather.x");
  check_exact(g.gather(1, R("gather.i1")), "gather.dim1");
  check_exact(g.gather(0, R("gather.i0")), "gather.dim0");
  check_exact(g.t().contiguous().t().gather(1, R("gather.i1")), "gather.dim1");
  Tensor self = R("scatter.self");
  check64(self.scatter_add(1, R("scatter.i1"), R("scatter.src")), "scatter.dim1");
  check64(self.scatter_add(0, R("scatter.i0"), R("scatter.src0")), "scatter.dim0");
  CHECK(exact(self, R("scatter.self")));  // scatter_add is out of place
  check_exact(one_hot(R("one_hot.i"), 5), "one_hot.out");
}

TEST_CASE("torch: linspace, arange, eye") {
  check64(linspace(0, 1, 5, kFloat64), "linspace.0_1_5");
  check64(linspace(-2, 3, 7, kFloat64), "linspace.-2_3_7");
  check64(linspace(3, -1, 4, kFloat64), "linspace.3_-1_4");
  check64(linspace(2, 2, 1, kFloat64), "linspace.2_2_1");
  check_exact(arange(5, kFloat64), "arange.5");
  check64(arange(1, 2.5, 0.5, kFloat64), "arange.1_2.5_0.5");
  check64(arange(10, 0, -3, kFloat64), "arange.10_0_-3");
  check64(arange(0, 1, 0.1, kFloat64), "arange.0_1_0.1");
  check_exact(arange(7, kInt64), "arange.int_7");
  check_exact(eye(3, kFloat64), "eye.3");
  check_exact(eye(1, kFloat64), "eye.1");
}

TEST_CASE("torch: float32 ops") {
  Tensor x = R("f32.x");
  REQUIRE(x.dtype() == kFloat32);
  check32(x.exp(), "f32.exp");
  check32(x.tanh(), "f32.tanh");
  check32(x.sigmoid(), "f32.sigmoid");
  check32(x.gelu(), "f32.gelu");
  check32(x.softplus(), "f32.softplus");
  check32(x.silu(), "f32.silu");
  Tensor r = R("f32.r");
  check32(r.sum({1}), "f32.sum_1");
  check32(r.mean(), "f32.mean");
  check32(r.var({1}), "f32.var_1");
  check32(r + r.select(0, 0).narrow(1, 0, 1), "f32.add_bcast");
  check32(R("f32.mm.a").matmul(R("f32.mm.b")), "f32.mm.out");
  check32(R("f32.sm").softmax(1), "f32.softmax_1");
  check32(R("f32.sm").log_softmax(1), "f32.log_softmax_1");
  check32(R("lse.x").to(kFloat32).logsumexp({1}), "f32.lse_1");
}

TEST_CASE("torch: int64 ops") {
  Tensor a = R("i64.a"), b = R("i64.b"), c = R("i64.c");
  check_exact(a + b, "i64.add");
  check_exact(a - b, "i64.sub");
  check_exact(a * b, "i64.mul");
  check_exact(a + 5, "i64.add_s");
  check_exact(a * -3, "i64.mul_s");
  check_exact(-a, "i64.neg");
  check_exact(a.abs(), "i64.abs");
  check_exact(a.sum(), "i64.sum");
  check_exact(a.sum({0}), "i64.sum_0");
  check_exact(a.sum({1}, true), "i64.sum_1_keep");
  check_exact(a.max(), "i64.max");
  check_exact(a.min(), "i64.min");
  auto [v, i] = a.max(1);
  check_exact(v, "i64.max_1.values");
  check_exact(i, "i64.max_1.indices");
  check_exact(maximum(a, c), "i64.maximum");
  check_exact(a.eq(c), "i64.eq");
  check_exact(a.ne(c), "i64.ne");
  check_exact(a.lt(c), "i64.lt");
  check_exact(a.le(c), "i64.le");
  check_exact(a.gt(c), "i64.gt");
  check_exact(a.ge(c), "i64.ge");
  CHECK(a.sum().dtype() == kInt64);
}

}  // namespace zg::test
