// Large-tensor kernels (the OpenMP-parallel paths) give the same answers whatever the thread
// count and whatever the input layout; and the fmt formatter.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "tensor/backend.h"
#include "tensor/raw.h"
#include "tests/test_util.h"

namespace zg::test {
namespace {

// Runs f() with 1 and then 2 threads, restoring the thread count afterwards.
template <class F>
std::pair<Tensor, Tensor> with_1_and_2_threads(F f) {
  const int saved = get_num_threads();
  set_num_threads(1);
  Tensor one = f();
  set_num_threads(2);
  Tensor two = f();
  set_num_threads(saved);
  return {one, two};
}

bool identical(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() &&
         a.to_vector<double>() == b.to_vector<double>();
}

// Sum of all elements in long double, as a reference for the parallel reduction.
long double exact_sum(const Tensor& t) {
  long double s = 0;
  for (double v : t.to_vector<double>()) s += v;
  return s;
}

}  // namespace

TEST_CASE("large elementwise kernels: same result with 1 and 2 threads") {
  Generator gen(1);
  Tensor x = randn({400, 500}, gen, kFloat64);  // 200k elements, above the parallel grain
  Tensor y = randn({500}, gen, kFloat64);
  auto [e1, e2] = with_1_and_2_threads([&] { return x.exp(); });
  CHECK(identical(e1, e2));
  auto [g1, g2] = with_1_and_2_threads([&] { return x.gelu(); });
  CHECK(identical(g1, g2));
  auto [b1, b2] = with_1_and_2_threads([&] { return x * y + 1.0; });  // broadcast operand
  CHECK(identical(b1, b2));
  auto [w1, w2] = with_1_and_2_threads([&] { return where(x.gt(0.0), x, y); });
  CHECK(identical(w1, w2));
  // Every element computed (within an ulp or so of libm: kernels may use their own exp).
  auto xv = x.to_vector<double>(), ev = e2.to_vector<double>();
  bool all = true;
  for (size_t i = 0; i < xv.size(); ++i)
    all &= std::abs(ev[i] - std::exp(xv[i])) <= 1e-15 * std::exp(xv[i]);
  CHECK(all);
}

TEST_CASE("run_tasks: every task once, contiguous runs per worker, the same split each time") {
  Backend& be = cpu_backend();
  const int saved = get_num_threads();
  for (int threads : {1, 2, 3}) {
    set_num_threads(threads);
    CHECK(be.workers() == threads);
    for (int64_t tasks : {0, 1, 2, 7, 64}) {
      INFO("threads " << threads << ", tasks " << tasks);
      std::vector<int> worker_of(tasks, -1), runs(tasks, 0);
      for (int repeat = 0; repeat < 2; ++repeat) {
        std::vector<int> seen(tasks, -1);
        be.run_tasks(tasks, [&](int64_t i, int worker) {
          seen[i] = worker;
          ++runs[i];
        });
        if (repeat == 0) worker_of = seen;
        CHECK(seen == worker_of);
      }
      const int used = static_cast<int>(std::min<int64_t>(threads, tasks));
      for (int64_t i = 0; i < tasks; ++i) {
        CHECK(runs[i] == 2);
        CHECK(worker_of[i] >= 0);
        CHECK(worker_of[i] < used);
        if (i > 0) CHECK(worker_of[i] >= worker_of[i - 1]);  // contiguous runs, in order
      }
      if (tasks > 0) CHECK(worker_of.back() == used - 1);  // every worker gets a run
    }
  }
  // An exception in a task reaches the caller (after the others have finished).
  set_num_threads(2);
  CHECK_THROWS_WITH_AS(be.run_tasks(4,
                                    [](int64_t i, int) {
                                      if (i == 3) throw Error("task 3 failed");
                                    }),
                       "task 3 failed", Error);
  set_num_threads(saved);
}

TEST_CASE("large non-contiguous inputs") {
  Generator gen(2);
  Tensor x = randn({600, 500}, gen, kFloat64);
  Tensor xt = x.t();  // [500, 600], strided
  REQUIRE_FALSE(xt.is_contiguous());
  auto [e1, e2] = with_1_and_2_threads([&] { return xt.exp(); });
  CHECK(identical(e1, e2));
  CHECK(identical(e2, x.exp().t().contiguous()));
  auto [s1, s2] = with_1_and_2_threads([&] { return xt.sum({1}); });
  CHECK(max_abs_diff(s1, s2) < 1e-11);
  CHECK(max_abs_diff(s2, x.sum({0})) < 1e-11);
  auto [a1, a2] = with_1_and_2_threads([&] { return xt + xt.contiguous(); });
  CHECK(identical(a1, a2));
  CHECK(identical(a2, 2.0 * xt));
  // Every other column of a wide tensor.
  Tensor big = randn({300, 1000}, gen, kFloat64);
  Tensor odd = big.slice(1, 1, 1000, 2);
  auto [o1, o2] = with_1_and_2_threads([&] { return odd.tanh(); });
  CHECK(identical(o1, o2));
  CHECK(identical(o2, odd.contiguous().tanh()));
  auto [m1, m2] = with_1_and_2_threads([&] { return odd.amax({0}); });
  CHECK(identical(m1, m2));
  CHECK(identical(m2, odd.contiguous().amax({0})));
  auto [x1, x2] = with_1_and_2_threads([&] { return odd.t().max(1).second; });
  CHECK(identical(x1, x2));
  CHECK(identical(x2, odd.contiguous().argmax(0)));
  // An expanded (stride-0) large operand.
  Tensor row = randn({1, 1000}, gen, kFloat64);
  auto [r1, r2] = with_1_and_2_threads([&] { return row.expand({300, 1000}).sum({0}); });
  CHECK(max_abs_diff(r1, r2) < 1e-11);
  CHECK(max_abs_diff(r2, row.squeeze(0) * 300.0) < 1e-11);
}

TEST_CASE("large reductions: equal up to rounding with 1 and 2 threads") {
  Generator gen(3);
  Tensor x = randn({1000000}, gen, kFloat64) + 0.25;
  auto [s1, s2] = with_1_and_2_threads([&] { return x.sum(); });
  long double want = exact_sum(x);
  double tol = 1e-9 * static_cast<double>(std::abs(want));  // ~1e6 adds of |x| ~ 1
  CHECK(std::abs(s1.item<double>() - static_cast<double>(want)) < tol);
  CHECK(std::abs(s2.item<double>() - static_cast<double>(want)) < tol);
  Tensor x32 = x.to(kFloat32);
  auto [f1, f2] = with_1_and_2_threads([&] { return x32.sum(); });  // accumulates in double
  double want32 = static_cast<double>(exact_sum(x32));
  CHECK(std::abs(f1.item<double>() - want32) < 1e-6 * std::abs(want32) + 1e-3);
  CHECK(std::abs(f2.item<double>() - want32) < 1e-6 * std::abs(want32) + 1e-3);
  auto [m1, m2] = with_1_and_2_threads([&] { return x.max(); });
  CHECK(identical(m1, m2));
  auto xv = x.to_vector<double>();
  CHECK(m1.item<double>() == *std::max_element(xv.begin(), xv.end()));
  Tensor mat = x.reshape({1000, 1000});
  auto [r1, r2] = with_1_and_2_threads([&] { return mat.mean({1}); });
  CHECK(max_abs_diff(r1, r2) < 1e-14);
  auto [c1, c2] = with_1_and_2_threads([&] { return mat.var({0}); });
  CHECK(max_abs_diff(c1, c2) < 1e-12);
}

TEST_CASE("large softmax and matmul: same with 1 and 2 threads") {
  Generator gen(4);
  Tensor logits = randn({500, 400}, gen, kFloat64) * 5.0;
  auto [p1, p2] = with_1_and_2_threads([&] { return logits.softmax(1); });
  CHECK(identical(p1, p2));
  CHECK(max_abs_diff(p2.sum({1}), ones({500}, kFloat64)) < 1e-12);
  auto [q1, q2] = with_1_and_2_threads([&] { return logits.log_softmax(0); });
  CHECK(identical(q1, q2));
  Tensor a = randn({300, 400}, gen, kFloat64), b = randn({400, 350}, gen, kFloat64);
  auto [mm1, mm2] = with_1_and_2_threads([&] { return a.matmul(b); });
  // BLAS may block the K sum differently per thread count: equal up to rounding.
  CHECK(max_abs_diff(mm1, mm2) < 1e-11);
  // Spot-check entries against a plain dot product.
  auto av = a.to_vector<double>(), bv = b.to_vector<double>(), cv = mm2.to_vector<double>();
  for (int64_t i : {0, 17, 299})
    for (int64_t j : {0, 123, 349}) {
      double dot = 0;
      for (int64_t k = 0; k < 400; ++k) dot += av[i * 400 + k] * bv[k * 350 + j];
      CHECK(std::abs(cv[i * 350 + j] - dot) < 1e-11);
    }
  auto [t1, t2] = with_1_and_2_threads([&] { return a.t().matmul(a); });  // transposed operand
  CHECK(max_abs_diff(t1, t2) < 1e-10);
  CHECK(max_abs_diff(t2, a.t().contiguous().matmul(a)) < 1e-10);
  Tensor a32 = a.to(kFloat32), b32 = b.to(kFloat32);
  auto [f1, f2] = with_1_and_2_threads([&] { return a32.matmul(b32); });
  CHECK(max_abs_diff(f1, f2) < 1e-4);
  CHECK(max_abs_diff(f2.to(kFloat64), mm2) < 1e-3);
}

// ---- layouts -------------------------------------------------------------------------------

namespace {

// A [batch, rows, cols] float64 operand with the given memory layout.
Tensor operand(int layout, int64_t batch, int64_t rows, int64_t cols, Generator& gen) {
  switch (layout) {
    case 0:
      return randn({batch, rows, cols}, gen, kFloat64);
    case 1:
      return randn({batch, cols, rows}, gen, kFloat64).mT();  // column-major matrices
    case 2:
      return randn({batch, rows, 2 * cols}, gen, kFloat64).slice(2, 1, 2 * cols, 2);
    case 3:
      return randn({1, rows, cols}, gen, kFloat64).expand({batch, rows, cols});
    case 4:
      return randn({rows, batch, cols}, gen, kFloat64).transpose(0, 1);
    default:  // no unit stride in either matrix dim
      return randn({batch, 2 * rows, 3 * cols}, gen, kFloat64)
          .slice(1, 0, 2 * rows, 2)
          .slice(2, 0, 3 * cols, 3);
  }
}

// out[b, i, j] = sum_k a[b, i, k] b[b, k, j], by loops over row-major copies.
Tensor naive_bmm(const Tensor& a, const Tensor& b) {
  int64_t nb = a.size(0), m = a.size(1), k = a.size(2), n = b.size(2);
  auto av = a.to_vector<double>(), bv = b.to_vector<double>();
  std::vector<double> out(nb * m * n, 0.0);
  for (int64_t p = 0; p < nb; ++p)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        for (int64_t q = 0; q < k; ++q)
          out[(p * m + i) * n + j] += av[(p * m + i) * k + q] * bv[(p * k + q) * n + j];
  return from_vector(out, {nb, m, n});
}

}  // namespace

TEST_CASE("matmul matches a naive loop for every operand layout") {
  Generator gen(6);
  for (int64_t m : {1, 3})
    for (int64_t n : {1, 4})
      for (int64_t k : {1, 5})
        for (int la = 0; la < 6; ++la)
          for (int lb = 0; lb < 6; ++lb) {
            INFO("m=" << m << " n=" << n << " k=" << k << " layouts " << la << ", " << lb);
            Tensor a = operand(la, 2, m, k, gen), b = operand(lb, 2, k, n, gen);
            CHECK(max_abs_diff(a.matmul(b), naive_bmm(a, b)) < 1e-13);
            // 2-D @ 2-D, and batched @ 2-D (the batch folds into the rows).
            Tensor a0 = a.select(0, 1), b0 = b.select(0, 0);
            CHECK(max_abs_diff(a0.matmul(b0),
                               naive_bmm(a0.unsqueeze(0), b0.unsqueeze(0)).squeeze(0)) < 1e-13);
            CHECK(max_abs_diff(a.matmul(b0), naive_bmm(a, b0.unsqueeze(0).expand({2, k, n}))) <
                  1e-13);
          }
}

TEST_CASE("reductions over permuted and strided layouts match the contiguous result") {
  Generator gen(7);
  Tensor base = randn({6, 5, 4, 3}, gen, kFloat64);
  std::vector<Shape> perms = {{0, 1, 2, 3}, {3, 2, 1, 0}, {1, 3, 0, 2}, {2, 0, 3, 1}};
  std::vector<Shape> dim_sets = {{0}, {1}, {3}, {0, 2}, {1, 3}, {0, 1, 2}, {1, 2, 3}, {}};
  for (const Shape& p : perms)
    for (const Shape& dims : dim_sets)
      for (bool strided : {false, true}) {
        INFO("perm " << shape_str(p) << " dims " << shape_str(dims) << " strided " << strided);
        Tensor x = base.permute(p);
        if (strided) x = x.slice(0, 0, x.size(0), 2);
        Tensor xc = x.contiguous();
        CHECK(max_abs_diff(x.sum(dims, true), xc.sum(dims, true)) < 1e-13);
        CHECK(max_abs_diff(x.amax(dims), xc.amax(dims)) == 0.0);
        CHECK(max_abs_diff(x.amin(dims, true), xc.amin(dims, true)) == 0.0);
        CHECK(max_abs_diff(x.logsumexp(dims), xc.logsumexp(dims)) < 1e-13);
        for (int64_t d = 0; d < 4; ++d) {
          auto [v, i] = x.max(d);
          auto [vc, ic] = xc.max(d);
          CHECK(max_abs_diff(v, vc) == 0.0);
          CHECK(max_abs_diff(i, ic) == 0.0);
          CHECK(max_abs_diff(x.softmax(d), xc.softmax(d)) < 1e-15);
        }
      }
}

// ---- fmt -----------------------------------------------------------------------------------

TEST_CASE("fmt formatter: values, shape and dtype") {
  std::string s = fmt::format("{}", tensor({1.5, -2.0, 3.25}));
  CHECK(s.find("1.5000") != std::string::npos);
  CHECK(s.find("-2.0000") != std::string::npos);
  CHECK(s.find("shape=[3]") != std::string::npos);
  CHECK(s.find("dtype=float32") != std::string::npos);
  CHECK(s.find("...") == std::string::npos);

  std::string m = fmt::format("{}", arange(6, kFloat64).reshape({2, 3}));
  CHECK(m.find("shape=[2, 3]") != std::string::npos);
  CHECK(m.find("dtype=float64") != std::string::npos);
  CHECK(m.find("5.0000") != std::string::npos);
  // Transposed: values appear in the view's row-major order.
  std::string t = fmt::format("{}", arange(6, kFloat64).reshape({2, 3}).t());
  CHECK(t.find("shape=[3, 2]") != std::string::npos);
  CHECK(t.find("3.0000") < t.find("1.0000"));

  std::string i = fmt::format("{}", from_vector(std::vector<int64_t>{1, -20, 300}));
  CHECK(i.find("dtype=int64") != std::string::npos);
  CHECK(i.find("-20") != std::string::npos);
  CHECK(i.find("300") != std::string::npos);
  CHECK(i.find('.') == std::string::npos);  // integers print without a decimal point

  std::string z = fmt::format("{}", scalar_tensor(2.0));
  CHECK(z.find("2.0000") != std::string::npos);
  CHECK(z.find("shape=[]") != std::string::npos);
  CHECK(fmt::format("{}", Tensor()).find("undefined") != std::string::npos);
  CHECK(fmt::format("{}", zeros({2}).requires_grad_()).find("requires_grad") != std::string::npos);
}

TEST_CASE("fmt formatter elides tensors with more than 1000 elements") {
  std::string big = fmt::format("{}", arange(2000, kInt64).reshape({40, 50}));
  CHECK(big.find("...") != std::string::npos);
  CHECK(big.find("shape=[40, 50]") != std::string::npos);
  CHECK(big.find("1999") != std::string::npos);  // last entry shown
  CHECK(big.find("1000") == std::string::npos);  // a middle entry elided
  CHECK(big.size() < 2000);
  std::string edge = fmt::format("{}", arange(1000, kInt64));
  CHECK(edge.find("...") == std::string::npos);  // exactly 1000: printed in full
  CHECK(edge.find("500") != std::string::npos);
  std::string over = fmt::format("{}", arange(1001, kInt64));
  CHECK(over.find("...") != std::string::npos);
  CHECK(over.find("500") == std::string::npos);
}

TEST_CASE("Backend::matmul writes an output of any strides, and adds to it") {
  // The conv maps hand the GEMM outputs whose batch planes are padded apart
  // (tensor/raw_winograd.cpp); BLAS writes row-major matrices at any row and batch stride,
  // and anything else goes through a temporary.
  Generator gen(7);
  Backend& be = backend_for(kCPU);
  const Tensor a = randn({3, 4, 5}, gen, kFloat64), b = randn({3, 5, 6}, gen, kFloat64);
  const Tensor want = naive_bmm(a, b);
  for (int layout = 0; layout < 6; ++layout) {
    if (layout == 3) continue;  // a broadcast output would overlap itself
    INFO("output layout " << layout);
    const Tensor out = operand(layout, 3, 4, 6, gen);
    be.matmul(out, a, b);
    CHECK(max_abs_diff(out, want) < 1e-13);
    be.matmul(out, a, b, true);
    CHECK(max_abs_diff(out, want * 2.0) < 1e-13);
  }
  // Batch planes padded apart, with rows longer than the matrix.
  const Tensor buffer = zeros({3 * 40}, kFloat64);
  const Tensor padded = raw::as_strided(buffer, {3, 4, 6}, {40, 8, 1}, 0);
  be.matmul(padded, a, b);
  CHECK(max_abs_diff(padded, want) < 1e-13);
  CHECK(buffer.slice(0, 32, 40).abs().max().item<double>() == 0);  // the padding untouched
}

}  // namespace zg::test
