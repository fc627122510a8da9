// Autograd semantics: accumulation into .grad(), retain_graph, seeds, grad mode, detach,
// autograd::grad, higher-order derivatives, graph shapes (diamonds, deep chains), retain_grad
// and the in-place / version checks.
#include <pthread.h>

#include <cmath>
#include <functional>
#include <string>

#include "tests/autograd/grad_test_util.h"

using namespace zg;
using namespace zg::test;

namespace {

Tensor vec(std::initializer_list<double> v) { return leaf(tensor(v, kFloat64)); }

// Elementwise closed form applied to a tensor's values.
template <class F>
Tensor map(const Tensor& t, F f) {
  std::vector<double> v = t.to_vector<double>();
  for (double& e : v) e = f(e);
  return from_vector(v, t.shape());
}

}  // namespace

TEST_CASE("engine: gradients accumulate across backward calls") {
  Tensor x = vec({1.0, -2.0, 3.0});
  CHECK_FALSE(x.grad().defined());
  (x * x).sum().backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{2, -4, 6});
  (x * 3.0).sum().backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{5, -1, 9});
  // Clearing with set_grad({}) starts over; zeroing in place keeps the buffer.
  x.set_grad(Tensor());
  CHECK_FALSE(x.grad().defined());
  x.sum().backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{1, 1, 1});
  {
    NoGradGuard no_grad;
    Tensor g = x.grad();
    g.zero_();
  }
  CHECK(x.grad().to_vector<double>() == std::vector<double>{0, 0, 0});
  (2.0 * x).sum().backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{2, 2, 2});
  // set_grad checks the shape.
  x.set_grad(ones({3}, kFloat64));
  CHECK(x.grad().to_vector<double>() == std::vector<double>{1, 1, 1});
  CHECK_THROWS_WITH_AS(x.set_grad(ones({2}, kFloat64)), doctest::Contains("[2]"), Error);
}

TEST_CASE("engine: leaf gradients are dense, independent buffers") {
  // a + b sends the same (expanded) gradient to both leaves; each .grad() must be its own
  // contiguous tensor, so in-place updates of one do not leak into the other.
  Tensor a = vec({1.0, 2.0}), b = vec({3.0, 4.0});
  (a + b).sum().backward();
  REQUIRE(a.grad().defined());
  REQUIRE(b.grad().defined());
  CHECK(a.grad().is_contiguous());
  CHECK(b.grad().is_contiguous());
  CHECK(a.grad().impl().storage != b.grad().impl().storage);
  {
    NoGradGuard no_grad;
    Tensor g = a.grad();
    g.mul_(10.0);
  }
  CHECK(a.grad().to_vector<double>() == std::vector<double>{10, 10});
  CHECK(b.grad().to_vector<double>() == std::vector<double>{1, 1});
  // The seed passed to backward is not aliased by .grad().
  Tensor c = vec({1.0, 1.0});
  Tensor seed = tensor({5.0, 6.0}, kFloat64);
  c.backward(seed);
  {
    NoGradGuard no_grad;
    Tensor g = c.grad();
    g.add_(1.0);
  }
  CHECK(seed.to_vector<double>() == std::vector<double>{5, 6});
  CHECK(c.grad().to_vector<double>() == std::vector<double>{6, 7});
  // A gradient that is a slice of a larger buffer (cat's backward) is stored densely too.
  Tensor d = vec({1.0, 2.0});
  cat({d, tensor({7.0}, kFloat64)}).exp().sum().backward();
  CHECK(d.grad().is_contiguous());
  CHECK(d.grad().impl().storage->nbytes == 2 * sizeof(double));
  CHECK(allclose(d.grad(), tensor({std::exp(1.0), std::exp(2.0)}, kFloat64), 1e-14));
}

TEST_CASE("engine: retain_graph allows a second backward, otherwise it throws") {
  Tensor x = vec({0.5, 1.5});
  Tensor y = x.exp().sum();
  y.backward({}, true);
  Tensor once = x.grad().clone();
  y.backward();  // allowed: the first call retained the graph; this one frees it
  CHECK(allclose(x.grad(), 2.0 * once, 1e-14));
  CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("second time"), Error);

  Tensor z = (x * x).tanh().sum();
  z.backward();
  CHECK_THROWS_WITH_AS(z.backward(), doctest::Contains("second time"), Error);
  // autograd::grad frees the graph too unless told otherwise.
  Tensor w = x.sin().sum();
  autograd::grad({w}, {x});
  CHECK_THROWS_WITH_AS(autograd::grad({w}, {x}), doctest::Contains("second time"), Error);
  Tensor v = x.sin().sum();
  auto g1 = autograd::grad({v}, {x}, {.retain_graph = true});
  auto g2 = autograd::grad({v}, {x});
  CHECK(max_abs_diff(g1[0], g2[0]) == 0.0);
}

TEST_CASE("engine: seeds for non-scalar outputs") {
  Tensor x = leaf(tensor({1.0, 2.0, 3.0, 4.0, 5.0, 6.0}, kFloat64).reshape({2, 3}));
  Tensor y = x * x;
  CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("[2, 3]"), Error);
  CHECK_THROWS_WITH_AS(autograd::grad({y}, {x}), doctest::Contains("[2, 3]"), Error);
  // A seed of the wrong shape or dtype is refused.
  CHECK_THROWS_AS(y.backward(ones({3, 2}, kFloat64)), Error);
  CHECK_THROWS_AS(y.backward(ones({2, 3}, kFloat32)), Error);
  // With a seed: vector-Jacobian product, d(x²)·v = 2x·v.
  Tensor seed = tensor({1.0, 0.0, -1.0, 2.0, 0.5, 0.0}, kFloat64).reshape({2, 3});
  y.backward(seed);
  CHECK(x.grad().to_vector<double>() == std::vector<double>{2, 0, -6, 16, 5, 0});
  // A one-element non-0-d output needs no seed.
  Tensor z = vec({3.0});
  (z * z).backward();
  CHECK(z.grad().item<double>() == 6.0);
  // A tensor that does not require grad cannot be backpropagated.
  CHECK_THROWS_AS(ones({1}, kFloat64).backward(), Error);
}

TEST_CASE("engine: backward of several outputs at once") {
  Tensor x = vec({1.0, 2.0});
  Tensor y1 = x * x, y2 = x.sum() * 3.0;
  autograd::backward({y1, y2}, {tensor({1.0, 1.0}, kFloat64), scalar_tensor(2.0, kFloat64)});
  CHECK(x.grad().to_vector<double>() == std::vector<double>{2 + 6, 4 + 6});
  CHECK_THROWS_AS(autograd::backward({x * 2.0, x * 3.0}, {ones({2}, kFloat64)}), Error);
}

TEST_CASE("engine: grad mode guards stop recording") {
  Tensor x = vec({1.0, 2.0});
  CHECK(GradMode::is_enabled());
  {
    NoGradGuard no_grad;
    CHECK_FALSE(GradMode::is_enabled());
    Tensor y = x * 2.0 + x.exp();
    CHECK_FALSE(y.requires_grad());
    CHECK(y.grad_fn() == nullptr);
    CHECK(y.is_leaf());
    {
      GradModeGuard enable(true);
      Tensor z = x * 2.0;
      CHECK(z.requires_grad());
      CHECK(z.grad_fn() != nullptr);
    }
    CHECK_FALSE(GradMode::is_enabled());
    // In-place updates of leaves are allowed here (what an optimizer step does).
    x.sub_(ones({2}, kFloat64), 0.5);
  }
  CHECK(GradMode::is_enabled());
  CHECK(x.to_vector<double>() == std::vector<double>{0.5, 1.5});
  CHECK(x.requires_grad());
  CHECK(x.is_leaf());
}

TEST_CASE("engine: requires_grad propagates and detach cuts history") {
  Tensor a = vec({1.0, 2.0});
  Tensor c = tensor({3.0, 4.0}, kFloat64);
  CHECK(a.requires_grad());
  CHECK(a.is_leaf());
  CHECK_FALSE(c.requires_grad());
  Tensor ac = a * c;
  CHECK(ac.requires_grad());
  CHECK_FALSE(ac.is_leaf());
  CHECK(ac.grad_fn() != nullptr);
  Tensor cc = c * c + 1.0;
  CHECK_FALSE(cc.requires_grad());
  CHECK(cc.grad_fn() == nullptr);
  // Views of a tensor requiring grad require grad too.
  CHECK(a.narrow(0, 0, 1).requires_grad());
  CHECK(a.unsqueeze(0).expand({3, 2}).requires_grad());
  // Factories honour TensorOptions::requires_grad.
  Tensor z = zeros({2}, TensorOptions().dtype(kFloat64).requires_grad(true));
  CHECK(z.requires_grad());
  CHECK(z.is_leaf());

  // detach: same storage, no history; gradient does not flow through it.
  Tensor h = a.exp();
  Tensor d = h.detach();
  CHECK_FALSE(d.requires_grad());
  CHECK(d.is_leaf());
  CHECK(d.impl().storage == h.impl().storage);
  (a * d).sum().backward();  // d/da (a · exp(a) with exp(a) held constant) = exp(a)
  CHECK(allclose(a.grad(), a.detach().exp(), 1e-14));
  // Something built only from detached tensors cannot be backpropagated.
  CHECK_THROWS_AS((d * 2.0).sum().backward(), Error);
}

TEST_CASE("engine: requires_grad_ rules") {
  Tensor i = tensor({1, 2}, kInt64);
  CHECK_THROWS_WITH_AS(i.requires_grad_(), doctest::Contains("floating"), Error);
  CHECK_FALSE(i.requires_grad());
  CHECK_NOTHROW(i.requires_grad_(false));
  Tensor f = tensor({1.0}, kFloat32);
  f.requires_grad_();
  CHECK(f.requires_grad());
  f.requires_grad_(false);
  CHECK_FALSE(f.requires_grad());
  Tensor y = vec({1.0}) * 2.0;
  CHECK_THROWS_AS(y.requires_grad_(false), Error);  // non-leaf: use detach()
}

TEST_CASE("engine: autograd::grad leaves .grad() alone; allow_unused") {
  Tensor x = vec({1.0, 2.0}), y = vec({3.0, 4.0}), unused = vec({5.0});
  Tensor out = (x * y).sum();
  auto g = autograd::grad({out}, {x, y}, {.retain_graph = true});
  REQUIRE(g.size() == 2);
  CHECK(g[0].to_vector<double>() == std::vector<double>{3, 4});
  CHECK(g[1].to_vector<double>() == std::vector<double>{1, 2});
  CHECK_FALSE(x.grad().defined());
  CHECK_FALSE(y.grad().defined());
  CHECK_FALSE(g[0].requires_grad());  // no create_graph: plain values
  // An existing .grad() is not changed either.
  x.set_grad(full({2}, 7.0, kFloat64));
  autograd::grad({out}, {x}, {.retain_graph = true});
  CHECK(x.grad().to_vector<double>() == std::vector<double>{7, 7});

  CHECK_THROWS_WITH_AS(autograd::grad({out}, {x, unused}, {.retain_graph = true}),
                       doctest::Contains("allow_unused"), Error);
  auto gu = autograd::grad({out}, {x, unused}, {.retain_graph = true, .allow_unused = true});
  REQUIRE(gu.size() == 2);
  CHECK(gu[0].defined());
  CHECK_FALSE(gu[1].defined());
  // Inputs must require grad.
  CHECK_THROWS_AS(autograd::grad({out}, {tensor({1.0}, kFloat64)}), Error);
  // The gradient with respect to an intermediate result, and of an output w.r.t. itself.
  Tensor h = x * 3.0;
  Tensor o = (h * h).sum();
  auto gh = autograd::grad({o}, {h, x});
  CHECK(gh[0].to_vector<double>() == std::vector<double>{6, 12});
  CHECK(gh[1].to_vector<double>() == std::vector<double>{18, 36});
  Tensor q = x * 2.0;
  auto gq = autograd::grad({q}, {q}, {.grad_outputs = {tensor({1.5, 2.5}, kFloat64)}});
  CHECK(gq[0].to_vector<double>() == std::vector<double>{1.5, 2.5});
}

TEST_CASE("engine: create_graph gives 2nd and 3rd derivatives") {
  Tensor x = leaf(linspace(-2.0, 2.0, 5, kFloat64));
  // d/dx sin = cos, d²/dx² = -sin, d³/dx³ = -cos.
  auto d1 = autograd::grad({x.sin().sum()}, {x}, {.create_graph = true});
  CHECK(d1[0].requires_grad());
  auto d2 = autograd::grad({d1[0].sum()}, {x}, {.create_graph = true});
  auto d3 = autograd::grad({d2[0].sum()}, {x});
  Tensor xv = x.detach();
  CHECK(allclose(d1[0], xv.cos(), 1e-12, 1e-12));
  CHECK(allclose(d2[0], -xv.sin(), 1e-12, 1e-12));
  CHECK(allclose(d3[0], -xv.cos(), 1e-12, 1e-12));
  // x³: 3x², 6x, 6.
  auto p1 = autograd::grad({x.pow(3.0).sum()}, {x}, {.create_graph = true});
  auto p2 = autograd::grad({p1[0].sum()}, {x}, {.create_graph = true});
  auto p3 = autograd::grad({p2[0].sum()}, {x});
  CHECK(allclose(p1[0], 3.0 * xv * xv, 1e-12, 1e-12));
  CHECK(allclose(p2[0], 6.0 * xv, 1e-12, 1e-12));
  CHECK(allclose(p3[0], full({5}, 6.0, kFloat64), 1e-12, 1e-12));
  // tanh: 1 - t², -2t(1 - t²).
  auto t1 = autograd::grad({x.tanh().sum()}, {x}, {.create_graph = true});
  auto t2 = autograd::grad({t1[0].sum()}, {x});
  Tensor t = xv.tanh();
  CHECK(allclose(t1[0], 1.0 - t * t, 1e-12, 1e-12));
  CHECK(allclose(t2[0], -2.0 * t * (1.0 - t * t), 1e-12, 1e-12));
  // backward(create_graph): .grad() itself is differentiable.
  Tensor y = vec({0.3, -0.7});
  (y * y * y).sum().backward({}, std::nullopt, true);
  REQUIRE(y.grad().requires_grad());
  auto h = autograd::grad({y.grad().sum()}, {y});
  CHECK(allclose(h[0], 6.0 * y.detach(), 1e-12, 1e-12));
}

TEST_CASE("engine: the quickstart identity, d/dx sum(3x^2) = 6x") {
  Generator gen(0);
  Tensor x = rnd({4, 3}, gen);
  auto g = autograd::grad({(x * x * x).sum()}, {x}, {.create_graph = true});
  auto h = autograd::grad({g[0].sum()}, {x});
  CHECK(max_abs_diff(h[0], 6.0 * x.detach()) < 1e-10);
  Tensor y = rnd({4, 3}, gen);
  (3.0 * y * y).sum().backward();
  CHECK(max_abs_diff(y.grad(), 6.0 * y.detach()) < 1e-10);
}

TEST_CASE("engine: Hessian-vector product matches the closed form") {
  // f(x) = Σ x_i² x_{i+1}: H v computed by double backward.
  Tensor x = vec({1.0, -2.0, 0.5, 3.0});
  Tensor v = tensor({0.5, 1.0, -1.0, 2.0}, kFloat64);
  auto f = [](const Tensor& x) { return (x.narrow(0, 0, 3).square() * x.narrow(0, 1, 3)).sum(); };
  auto g = autograd::grad({f(x)}, {x}, {.create_graph = true});
  auto hv = autograd::grad({(g[0] * v).sum()}, {x});
  // H[i][i] = 2 x_{i+1} (i < 3), H[i][i+1] = H[i+1][i] = 2 x_i.
  std::vector<double> xs = {1.0, -2.0, 0.5, 3.0}, vs = {0.5, 1.0, -1.0, 2.0}, expected(4, 0.0);
  for (int i = 0; i < 3; ++i) {
    expected[i] += 2 * xs[i + 1] * vs[i] + 2 * xs[i] * vs[i + 1];
    expected[i + 1] += 2 * xs[i] * vs[i];
  }
  CHECK(allclose(hv[0], from_vector(expected), 1e-12, 1e-12));
}

TEST_CASE("engine: diamonds and shared subgraphs sum their gradients") {
  Tensor x = vec({0.5, -1.0});
  // x feeds two branches that meet again.
  Tensor a = x.exp(), b = x.sin();
  Tensor y = (a * b + a + b.square()).sum();
  y.backward();
  Tensor xv = x.detach();
  Tensor ea = xv.exp(), sb = xv.sin(), cb = xv.cos();
  CHECK(allclose(x.grad(), ea * sb + ea * cb + ea + 2.0 * sb * cb, 1e-12, 1e-12));
  // The same tensor used many times.
  Tensor z = vec({2.0});
  Tensor s = z + z + z * z + z.exp() * 0.0;
  s.backward();
  CHECK(z.grad().item<double>() == doctest::Approx(2.0 + 4.0));
  // An intermediate used by two outputs backpropagated together.
  Tensor w = vec({1.0, 3.0});
  Tensor m = w * w;
  autograd::backward({m.sum(), (m * 2.0).sum()});
  CHECK(w.grad().to_vector<double>() == std::vector<double>{6, 18});
}

namespace {

// Runs fn on a thread with a small (256 KiB) stack, where recursing once per graph node
// would overflow for the graphs below; true when it finished.
template <class F>
bool on_small_stack(F fn) {
  struct Job {
    F fn;
    bool done = false;
  } job{std::move(fn)};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  pthread_t thread;
  auto body = [](void* p) -> void* {
    auto* j = static_cast<Job*>(p);
    j->fn();
    j->done = true;
    return nullptr;
  };
  bool started = pthread_create(&thread, &attr, body, &job) == 0;
  pthread_attr_destroy(&attr);
  if (started) pthread_join(thread, nullptr);
  return started && job.done;
}

Tensor chain(const Tensor& x, int n) {
  Tensor y = x;
  for (int i = 0; i < n; ++i) y = y * 1.0 + 0.0;
  return y;
}

}  // namespace

TEST_CASE("engine: deep graphs are run and freed without recursion") {
  Tensor x = vec({1.0});
  {
    Tensor y = chain(x, 10000);  // 20000 nodes
    CHECK(on_small_stack([&] { y.sum().backward(); }));
    CHECK(x.grad().item<double>() == 1.0);
    CHECK(on_small_stack([&] { y = Tensor(); }));  // frees the (used) graph
  }
  {
    Tensor y = chain(x, 10000);
    CHECK(on_small_stack([&] { y = Tensor(); }));  // a graph never backpropagated
  }
  {
    Tensor y = chain(x, 10000);
    auto g = autograd::grad({y.sum()}, {x}, {.create_graph = true});
    y = Tensor();
    CHECK(g[0].item<double>() == 1.0);
    CHECK(on_small_stack([&] { g.clear(); }));  // the graph of the backward pass
  }
}

TEST_CASE("engine: a graph is freed when its last output goes away") {
  // No node may keep itself alive (say, through a tensor its backward captured).
  Tensor x = leaf(tensor({1.0, 3.0, 2.0, 0.5}, kFloat64).reshape({2, 2}));
  std::vector<std::pair<std::string, std::function<Tensor()>>> ops = {
      {"exp", [&] { return x.exp(); }},
      {"softmax", [&] { return x.softmax(1); }},
      {"amax", [&] { return x.amax({1}); }},
      {"amax keepdim", [&] { return x.amax({1}, true); }},
      {"max(dim) keepdim", [&] { return x.max(1, true).first; }},
      {"where", [&] { return where(x.gt(1.0), x, x * 2.0); }},
      {"gather",
       [&] {
         return x.gather(1, tensor({1, 0}, kInt64).reshape({2, 1}));
       }},
      {"matmul", [&] { return x.matmul(x); }},
  };
  for (const auto& [name, op] : ops) {
    INFO(name);
    Tensor y = op();
    std::weak_ptr<Node> node = y.grad_fn();
    REQUIRE_FALSE(node.expired());
    y = Tensor();
    CHECK(node.expired());
  }
  // After backward(create_graph), the graph is kept only by .grad() until it is cleared.
  Tensor y = (x * x).sum();
  std::weak_ptr<Node> node = y.grad_fn();
  y.backward({}, std::nullopt, true);
  y = Tensor();
  x.set_grad(Tensor());
  CHECK(node.expired());
}

TEST_CASE("engine: retain_grad keeps a non-leaf's gradient") {
  Tensor x = vec({1.0, 2.0});
  Tensor h = x * 3.0;
  Tensor k = h * 2.0;
  h.retain_grad();
  (h * h).sum().backward();
  REQUIRE(h.grad().defined());
  CHECK(h.grad().to_vector<double>() == std::vector<double>{6, 12});
  CHECK(x.grad().to_vector<double>() == std::vector<double>{18, 36});
  CHECK_FALSE(k.grad().defined());  // no retain_grad: non-leaf grads are not kept
  Tensor m = x.exp();
  (m * 2.0).sum().backward();
  CHECK_FALSE(m.grad().defined());
  CHECK_THROWS_AS(tensor({1.0}, kFloat64).retain_grad(), Error);  // does not require grad
  // autograd::grad writes no .grad(), retained or not.
  Tensor r = x * 2.0;
  r.retain_grad();
  auto g = autograd::grad({(r * r).sum()}, {x});
  CHECK(g[0].to_vector<double>() == std::vector<double>{8, 16});
  CHECK_FALSE(r.grad().defined());
}

TEST_CASE("engine: in-place writes are checked") {
  Tensor x = vec({1.0, 2.0});
  // A leaf that requires grad cannot be modified in place while grad mode is on.
  CHECK_THROWS_WITH_AS(x.add_(1.0), doctest::Contains("requires grad"), Error);
  CHECK_THROWS_AS(x.mul_(2.0), Error);
  CHECK_THROWS_AS(x.fill_(0.0), Error);
  CHECK_THROWS_AS(x.copy_(zeros({2}, kFloat64)), Error);
  CHECK_THROWS_AS(x += 1.0, Error);
  CHECK(x.to_vector<double>() == std::vector<double>{1, 2});  // untouched
  // Nor can a non-leaf that requires grad.
  Tensor h = x * 2.0;
  CHECK_THROWS_AS(h.add_(1.0), Error);

  // A tensor saved for backward, modified in place afterwards: backward refuses.
  Tensor w = tensor({3.0, 4.0}, kFloat64);
  Tensor y = (x * w).sum();
  w.mul_(2.0);
  CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("in-place"), Error);
  // The same for a saved output (exp saves its result), modified under NoGradGuard.
  Tensor e = x.exp();
  Tensor loss = e.sum();
  {
    NoGradGuard no_grad;
    e.mul_(0.0);
  }
  CHECK_THROWS_WITH_AS(loss.backward(), doctest::Contains("in-place"), Error);
  // And a leaf updated by an "optimizer step" while an old graph still needs its value.
  Tensor p = vec({1.0, 2.0});
  Tensor old = (p * p).sum();
  {
    NoGradGuard no_grad;
    p.sub_(ones({2}, kFloat64), 0.1);
  }
  CHECK_THROWS_WITH_AS(old.backward(), doctest::Contains("in-place"), Error);
  // A fresh graph after the update is fine.
  (p * p).sum().backward();
  CHECK(allclose(p.grad(), tensor({1.8, 3.8}, kFloat64), 1e-14));
}

TEST_CASE("engine: in-place writes to masks, indices and results that backward reads") {
  // Each backward below reads a tensor that is neither an input nor a saved output; writing
  // to it after the forward would silently change the gradient, so backward must refuse.
  Tensor x = vec({1.0, 3.0, 2.0});
  SUBCASE("where's condition") {
    Tensor cond = tensor({1.0, 0.0, 1.0}, kFloat64);
    Tensor y = where(cond, x, zeros({3}, kFloat64)).sum();
    cond.fill_(0.0);
    CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("in-place"), Error);
  }
  SUBCASE("masked_fill's mask") {
    Tensor mask = tensor({0.0, 1.0, 0.0}, kFloat64);
    Tensor y = x.masked_fill(mask, -1.0).sum();
    mask.zero_();
    CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("in-place"), Error);
  }
  SUBCASE("amax's result") {
    Tensor m = x.amax({0});
    {
      NoGradGuard no_grad;
      m.fill_(2.0);  // would move the gradient to x[2]
    }
    CHECK_THROWS_WITH_AS(m.backward(), doctest::Contains("in-place"), Error);
  }
  SUBCASE("max(dim)'s indices") {
    auto [v, i] = x.max(0, true);
    i.fill_(0);  // would move the gradient to x[0]
    CHECK_THROWS_WITH_AS(v.sum().backward(), doctest::Contains("in-place"), Error);
  }
  SUBCASE("gather's and index_select's index") {
    Tensor idx = tensor({2, 1}, kInt64);
    Tensor y = x.gather(0, idx).sum() + x.index_select(0, idx).sum();
    idx.fill_(0);
    CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("in-place"), Error);
  }
  SUBCASE("scatter_add's index") {
    Tensor idx = tensor({2, 2}, kInt64);
    Tensor src = vec({1.0, 1.0});
    Tensor y = (x.scatter_add(0, idx, src) * x).sum();
    idx.fill_(0);
    CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("in-place"), Error);
  }
  SUBCASE("untouched, the same graphs backpropagate") {
    Tensor cond = tensor({1.0, 0.0, 1.0}, kFloat64);
    Tensor idx = tensor({2, 1}, kInt64);
    auto [v, i] = x.max(0, true);
    (where(cond, x, zeros({3}, kFloat64)).sum() + x.amax({0}) + v.sum() + x.gather(0, idx).sum())
        .backward();
    CHECK(x.grad().to_vector<double>() == std::vector<double>{1, 3, 2});
  }
}

TEST_CASE("engine: closed-form derivatives of elementwise ops") {
  Tensor x = leaf(linspace(-2.5, 2.5, 11, kFloat64));
  std::vector<std::pair<std::function<Tensor(const Tensor&)>, std::function<double(double)>>>
      cases = {
          {[](const Tensor& t) { return t.tanh(); },
           [](double v) { return 1 - std::tanh(v) * std::tanh(v); }},
          {[](const Tensor& t) { return t.sigmoid(); },
           [](double v) {
             double s = 1 / (1 + std::exp(-v));
             return s * (1 - s);
           }},
          {[](const Tensor& t) { return t.exp(); }, [](double v) { return std::exp(v); }},
          {[](const Tensor& t) { return t.sin(); }, [](double v) { return std::cos(v); }},
          {[](const Tensor& t) { return t.erf(); },
           [](double v) { return 2 / std::sqrt(M_PI) * std::exp(-v * v); }},
          {[](const Tensor& t) { return t.softplus(); },
           [](double v) { return 1 / (1 + std::exp(-v)); }},
          {[](const Tensor& t) { return t.gelu(); },
           [](double v) {
             return 0.5 * (1 + std::erf(v / std::sqrt(2.0))) +
                    v * std::exp(-v * v / 2) / std::sqrt(2 * M_PI);
           }},
          {[](const Tensor& t) { return t.silu(); },
           [](double v) {
             double s = 1 / (1 + std::exp(-v));
             return s * (1 + v * (1 - s));
           }},
          {[](const Tensor& t) { return t.square(); }, [](double v) { return 2 * v; }},
      };
  for (size_t i = 0; i < cases.size(); ++i) {
    INFO("case " << i);
    auto g = autograd::grad({cases[i].first(x).sum()}, {x});
    CHECK(allclose(g[0], map(x.detach(), cases[i].second), 1e-12, 1e-14));
  }
  // relu / abs / leaky_relu away from 0.
  Tensor y = vec({-2.0, -0.5, 0.5, 2.0});
  CHECK(autograd::grad({y.relu().sum()}, {y})[0].to_vector<double>() ==
        std::vector<double>{0, 0, 1, 1});
  CHECK(autograd::grad({y.abs().sum()}, {y})[0].to_vector<double>() ==
        std::vector<double>{-1, -1, 1, 1});
  CHECK(autograd::grad({y.leaky_relu(0.25).sum()}, {y})[0].to_vector<double>() ==
        std::vector<double>{0.25, 0.25, 1, 1});
  // softmax: J = diag(s) - s sᵀ, so weighting by w gives s ⊙ (w - s·w).
  Tensor z = vec({0.1, -0.3, 0.7});
  Tensor w = tensor({1.0, 2.0, -1.0}, kFloat64);
  auto gs = autograd::grad({(z.softmax(0) * w).sum()}, {z});
  Tensor s = z.detach().softmax(0);
  CHECK(allclose(gs[0], s * (w - (s * w).sum()), 1e-12, 1e-14));
}
