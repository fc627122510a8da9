// The tensor layer itself: factories, random streams, views and storage sharing, and the
// in-place ops. Thread-count independence of the kernels and the formatter are in
// test_tensor_kernels.cpp.
#include <cmath>
#include <numeric>
#include <vector>

#include "tests/check_error.h"
#include "tests/test_util.h"

namespace zg::test {
namespace {

const void* storage_of(const Tensor& t) { return t.impl().storage.get(); }

template <class T>
std::vector<T> values(const Tensor& t) {
  return t.to_vector<T>();
}

double mean_of(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}
double var_of(const std::vector<double>& v) {  // unbiased
  double m = mean_of(v), s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return s / static_cast<double>(v.size() - 1);
}

}  // namespace

// ---- creation ------------------------------------------------------------------------------

TEST_CASE("zeros, ones, full, scalar_tensor") {
  Tensor z = zeros({2, 3});
  CHECK(z.shape() == Shape{2, 3});
  CHECK(z.dtype() == kFloat32);
  CHECK(z.numel() == 6);
  CHECK(z.is_contiguous());
  CHECK(values<double>(z) == std::vector<double>(6, 0.0));
  CHECK(values<double>(ones({4}, kFloat64)) == std::vector<double>(4, 1.0));
  Tensor f = full({2, 2}, -2.5, kFloat64);
  CHECK(f.dtype() == kFloat64);
  CHECK(values<double>(f) == std::vector<double>(4, -2.5));
  Tensor fi = full({3}, 7, kInt64);
  CHECK(values<int64_t>(fi) == std::vector<int64_t>{7, 7, 7});
  Tensor s = scalar_tensor(3.5);
  CHECK(s.dim() == 0);
  CHECK(s.numel() == 1);
  CHECK(s.item<double>() == 3.5);
  Tensor e = zeros({0, 3});
  CHECK(e.numel() == 0);
  CHECK(e.sum().item<double>() == 0.0);
  Tensor g = zeros({2}, TensorOptions().dtype(kFloat64).requires_grad(true));
  CHECK(g.requires_grad());
  CHECK(g.dtype() == kFloat64);
}

TEST_CASE("arange, linspace, eye") {
  CHECK(values<double>(arange(4)) == std::vector<double>{0, 1, 2, 3});
  CHECK(arange(4).dtype() == kFloat32);
  CHECK(values<int64_t>(arange(2, 11, 3, kInt64)) == std::vector<int64_t>{2, 5, 8});
  CHECK(values<double>(arange(3, 0, -1, kFloat64)) == std::vector<double>{3, 2, 1});
  CHECK(arange(5, 5, 1).numel() == 0);
  CHECK(values<double>(linspace(0, 1, 5, kFloat64)) == std::vector<double>{0, 0.25, 0.5, 0.75, 1});
  CHECK(values<double>(linspace(4, 4, 1, kFloat64)) == std::vector<double>{4});
  CHECK(linspace(0, 1, 0).numel() == 0);
  Tensor i = eye(3, kInt64);
  CHECK(i.shape() == Shape{3, 3});
  CHECK(values<int64_t>(i) == std::vector<int64_t>{1, 0, 0, 0, 1, 0, 0, 0, 1});
}

TEST_CASE("from_vector, tensor, *_like") {
  Tensor v = from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(v.shape() == Shape{2, 3});
  CHECK(v.dtype() == kFloat64);
  CHECK(v.select(1, 2).to_vector<double>() == std::vector<double>{3, 6});
  Tensor f = from_vector(std::vector<float>{1.5f, -2.0f});
  CHECK(f.shape() == Shape{2});
  CHECK(f.dtype() == kFloat32);
  Tensor i = from_vector(std::vector<int64_t>{4, -5});
  CHECK(i.dtype() == kInt64);
  CHECK(values<int64_t>(i) == std::vector<int64_t>{4, -5});
  Tensor t = tensor({1.0, 2.0, 3.0});
  CHECK(t.dtype() == kFloat32);
  CHECK(values<double>(t) == std::vector<double>{1, 2, 3});
  Tensor ti = tensor({1, 2}, kInt64);
  CHECK(ti.dtype() == kInt64);

  for (const Tensor& like : {empty_like(v), zeros_like(v), ones_like(v), full_like(v, 2.0),
                             rand_like(v), randn_like(v)}) {
    CHECK(like.shape() == v.shape());
    CHECK(like.dtype() == kFloat64);
    CHECK(storage_of(like) != storage_of(v));
  }
  CHECK(values<double>(zeros_like(v)) == std::vector<double>(6, 0));
  CHECK(values<double>(ones_like(v)) == std::vector<double>(6, 1));
  CHECK(values<double>(full_like(v, 2.0)) == std::vector<double>(6, 2));
  CHECK(zeros_like(i).dtype() == kInt64);
}

// ---- random streams ------------------------------------------------------------------------

TEST_CASE("rand is uniform on [0, 1)") {
  const int64_t n = 100000;
  Generator gen(11);
  auto u = values<double>(rand({n}, gen, kFloat64));
  CHECK(*std::min_element(u.begin(), u.end()) >= 0.0);
  CHECK(*std::max_element(u.begin(), u.end()) < 1.0);
  // Mean 1/2 and variance 1/12: allow 5 standard errors.
  double se_mean = std::sqrt(1.0 / 12.0 / n);
  CHECK(std::abs(mean_of(u) - 0.5) < 5 * se_mean);
  // Var of the sample variance of U(0,1): (mu4 - sigma^4)/n with mu4 = 1/80.
  double se_var = std::sqrt((1.0 / 80.0 - 1.0 / 144.0) / n);
  CHECK(std::abs(var_of(u) - 1.0 / 12.0) < 5 * se_var);
  auto u32 = values<float>(rand({n}, gen));
  CHECK(*std::max_element(u32.begin(), u32.end()) < 1.0f);  // float32 rounding stays below 1
  CHECK(*std::min_element(u32.begin(), u32.end()) >= 0.0f);
}

TEST_CASE("float32 rand never rounds up to the upper bound") {
  // Counter 17758991 of seed 0 draws 1 - 2.8e-8, which rounds to 1.0f in float32.
  const uint64_t counter = 17758991;
  auto r = philox4x32(counter, 0);
  REQUIRE(static_cast<float>(1.0 - uniform_from_bits(r[0], r[1])) == 1.0f);
  Generator gen;
  gen.set_state(0, counter);
  float u = rand({1}, gen).item<float>();
  CHECK(u < 1.0f);
  CHECK(u > 0.999999f);
  gen.set_state(0, counter);
  CHECK(rand({1}, gen, kFloat64).item<double>() < 1.0);
  Tensor t = zeros({1});
  gen.set_state(0, counter);
  t.uniform_(-1.0, 1.0, &gen);
  CHECK(t.item<float>() < 1.0f);
}

TEST_CASE("randn has mean 0 and variance 1") {
  const int64_t n = 100000;
  Generator gen(12);
  auto x = values<double>(randn({n}, gen, kFloat64));
  double se_mean = 1.0 / std::sqrt(double(n));  // sigma / sqrt(n)
  double se_var = std::sqrt(2.0 / (n - 1));     // for a normal: Var(s^2) = 2 sigma^4 / (n-1)
  CHECK(std::abs(mean_of(x)) < 5 * se_mean);
  CHECK(std::abs(var_of(x) - 1.0) < 5 * se_var);
  // Tails: P(|x| > 3) = 0.0027; the count is binomial.
  double p = 0.0026998, expected = p * n, sd = std::sqrt(n * p * (1 - p));
  double tails = std::count_if(x.begin(), x.end(), [](double v) { return std::abs(v) > 3; });
  CHECK(std::abs(tails - expected) < 5 * sd);
  // normal_ with a mean and std.
  Tensor y = empty({n}, kFloat64);
  y.normal_(2.0, 3.0, &gen);
  auto yv = values<double>(y);
  CHECK(std::abs(mean_of(yv) - 2.0) < 5 * 3.0 * se_mean);
  CHECK(std::abs(var_of(yv) - 9.0) < 5 * 9.0 * se_var);
}

TEST_CASE("randint stays in [low, high) and hits every value") {
  Generator gen(13);
  Tensor r = randint(-3, 4, {20000}, gen);
  CHECK(r.dtype() == kInt64);
  auto v = values<int64_t>(r);
  CHECK(*std::min_element(v.begin(), v.end()) == -3);
  CHECK(*std::max_element(v.begin(), v.end()) == 3);
  for (int64_t k = -3; k < 4; ++k) {  // each of 7 values ~ 2857 times; binomial SD ~ 49
    auto c = std::count(v.begin(), v.end(), k);
    CHECK(std::abs(c - 20000.0 / 7) < 5 * std::sqrt(20000.0 / 7 * 6 / 7));
  }
  Tensor shaped = randint(0, 2, {3, 4}, gen);
  CHECK(shaped.shape() == Shape{3, 4});
  CHECK(shaped.is_contiguous());
}

TEST_CASE("manual_seed makes the default stream reproducible") {
  manual_seed(42);
  auto a = values<float>(randn({1000}));
  auto a2 = values<float>(rand({10}));
  manual_seed(42);
  auto b = values<float>(randn({1000}));
  auto b2 = values<float>(rand({10}));
  CHECK(a == b);
  CHECK(a2 == b2);
  auto c = values<float>(randn({1000}));  // the stream moves on
  CHECK(a != c);
  manual_seed(43);
  CHECK(values<float>(randn({1000})) != a);
}

TEST_CASE("Generators: same seed, same stream; draws continue the stream") {
  Generator g1(7), g2(7), g3(8);
  auto x1 = values<double>(randn({64}, g1, kFloat64));
  auto x2 = values<double>(randn({64}, g2, kFloat64));
  auto x3 = values<double>(randn({64}, g3, kFloat64));
  CHECK(x1 == x2);
  CHECK(x1 != x3);
  CHECK(g1.offset() == 64);
  // Counter-based: two draws of 32 equal one draw of 64.
  Generator g4(7);
  auto first = values<double>(randn({32}, g4, kFloat64));
  auto second = values<double>(randn({32}, g4, kFloat64));
  first.insert(first.end(), second.begin(), second.end());
  CHECK(first == x1);
  // set_state rewinds.
  g4.set_state(7, 0);
  CHECK(values<double>(randn({64}, g4, kFloat64)) == x1);
  // A private generator does not disturb the default stream.
  manual_seed(5);
  auto d1 = values<float>(rand({16}));
  manual_seed(5);
  Generator other(5);
  (void)rand({100}, other);
  CHECK(values<float>(rand({16})) == d1);
}

TEST_CASE("random streams do not depend on the thread count") {
  const int saved = get_num_threads();
  Generator g1(99), g2(99);
  set_num_threads(1);
  Tensor one = randn({1000000}, g1, kFloat64);
  Tensor u1 = rand({300000}, g1);
  Tensor i1 = randint(0, 1000, {200000}, g1);
  set_num_threads(2);
  Tensor two = randn({1000000}, g2, kFloat64);
  Tensor u2 = rand({300000}, g2);
  Tensor i2 = randint(0, 1000, {200000}, g2);
  set_num_threads(saved);
  CHECK(get_num_threads() == saved);
  CHECK(values<double>(one) == values<double>(two));
  CHECK(values<float>(u1) == values<float>(u2));
  CHECK(values<int64_t>(i1) == values<int64_t>(i2));
}

// ---- views ---------------------------------------------------------------------------------

TEST_CASE("views share storage and copy nothing") {
  Tensor a = arange(24, kFloat64).reshape({2, 3, 4});
  const double* base = a.data_ptr<double>();

  Tensor t = a.transpose(0, 2);
  CHECK(storage_of(t) == storage_of(a));
  CHECK(t.data_ptr<double>() == base);
  CHECK(t.shape() == Shape{4, 3, 2});
  CHECK(t.strides() == Shape{1, 4, 12});

  Tensor n = a.narrow(2, 1, 2);
  CHECK(storage_of(n) == storage_of(a));
  CHECK(n.data_ptr<double>() == base + 1);
  CHECK(n.storage_offset() == 1);

  Tensor s = a.select(1, 2);
  CHECK(s.data_ptr<double>() == base + 8);
  CHECK(s.shape() == Shape{2, 4});

  Tensor v = a.view({6, 4});
  CHECK(v.data_ptr<double>() == base);
  CHECK(v.view({-1}).shape() == Shape{24});

  Tensor e = a.select(0, 0).select(0, 0).unsqueeze(0).expand({5, 4});
  CHECK(e.data_ptr<double>() == base);
  CHECK(e.strides() == Shape{0, 1});

  for (const Tensor& w : {a.permute({2, 0, 1}), a.unsqueeze(1), a.flatten(), a.mT(),
                          a.slice(2, 0, 4, 2), a.squeeze(), a.detach()})
    CHECK(storage_of(w) == storage_of(a));
}

TEST_CASE("writes through a view are visible in the base and other views") {
  Tensor a = zeros({3, 4}, kFloat64);
  a.t().select(0, 1).fill_(5.0);  // column 1
  CHECK(values<double>(a.select(1, 1)) == std::vector<double>{5, 5, 5});
  CHECK(a.sum().item<double>() == 15.0);
  a.narrow(0, 2, 1).add_(1.0);  // row 2
  CHECK(values<double>(a.select(0, 2)) == std::vector<double>{1, 6, 1, 1});
  Tensor flat = a.view({12});
  flat.slice(0, 0, 12, 5).fill_(-1.0);  // elements 0, 5, 10
  CHECK(a.to_vector<double>()[5] == -1.0);
  CHECK(a.select(0, 2).to_vector<double>()[2] == -1.0);
  a.zero_();
  CHECK(flat.sum().item<double>() == 0.0);
  // A view survives its base handle.
  Tensor keep;
  {
    Tensor tmp = arange(6, kFloat64);
    keep = tmp.narrow(0, 3, 3);
  }
  CHECK(values<double>(keep) == std::vector<double>{3, 4, 5});
}

TEST_CASE("is_contiguous") {
  Tensor a = zeros({3, 4});
  CHECK(a.is_contiguous());
  CHECK_FALSE(a.t().is_contiguous());
  CHECK(a.t().t().is_contiguous());
  CHECK(a.narrow(0, 1, 2).is_contiguous());
  CHECK_FALSE(a.narrow(1, 1, 2).is_contiguous());
  CHECK(a.select(0, 1).is_contiguous());
  CHECK_FALSE(a.select(1, 1).is_contiguous());
  CHECK(a.unsqueeze(0).is_contiguous());
  CHECK(a.unsqueeze(2).is_contiguous());
  CHECK_FALSE(a.unsqueeze(0).expand({2, 3, 4}).is_contiguous());
  CHECK(zeros({3, 1}).t().is_contiguous());  // size-1 dims have any stride
  CHECK_FALSE(a.slice(1, 0, 4, 2).is_contiguous());
  CHECK(zeros({}).is_contiguous());
  CHECK(zeros({0, 5}).is_contiguous());
}

TEST_CASE("contiguous() copies only when needed; reshape copies only when it must") {
  Tensor a = arange(6, kFloat64).reshape({2, 3});
  CHECK(a.contiguous().is_same(a));
  Tensor c = a.t().contiguous();
  CHECK(c.is_contiguous());
  CHECK(storage_of(c) != storage_of(a));
  CHECK(values<double>(c) == std::vector<double>{0, 3, 1, 4, 2, 5});

  CHECK(storage_of(a.reshape({3, 2})) == storage_of(a));  // viewable: no copy
  CHECK(storage_of(a.reshape({6})) == storage_of(a));
  Tensor r = a.t().reshape({6});  // not viewable: a copy in the transposed order
  CHECK(storage_of(r) != storage_of(a));
  CHECK(values<double>(r) == std::vector<double>{0, 3, 1, 4, 2, 5});
  // A transposed tensor can still be viewed when the merged dims are adjacent in memory.
  Tensor b = arange(24, kFloat64).reshape({2, 3, 4}).transpose(0, 1);  // [3, 2, 4]
  Tensor bv = b.reshape({3, 2, 2, 2});
  CHECK(storage_of(bv) == storage_of(b));
  CHECK(values<double>(bv) == values<double>(b));
  Tensor bc = b.reshape({6, 4});
  CHECK(storage_of(bc) != storage_of(b));
  CHECK(values<double>(bc) == values<double>(b));
  // Writing to the copy leaves the original alone.
  r.fill_(9.0);
  CHECK(a.sum().item<double>() == 15.0);
}

TEST_CASE("chunk, split, unbind sizes") {
  auto sizes = [](const std::vector<Tensor>& parts, int64_t dim) {
    std::vector<int64_t> s;
    for (const Tensor& p : parts) s.push_back(p.size(dim));
    return s;
  };
  Tensor a = arange(20, kFloat64).reshape({10, 2});
  CHECK(sizes(a.chunk(3), 0) == std::vector<int64_t>{4, 4, 2});  // as torch.chunk
  CHECK(sizes(a.chunk(5), 0) == std::vector<int64_t>{2, 2, 2, 2, 2});
  CHECK(sizes(a.narrow(0, 0, 6).chunk(4), 0) == std::vector<int64_t>{2, 2, 2});
  CHECK(sizes(a.chunk(2, 1), 1) == std::vector<int64_t>{1, 1});
  CHECK(sizes(a.split(3), 0) == std::vector<int64_t>{3, 3, 3, 1});
  CHECK(sizes(a.split(20), 0) == std::vector<int64_t>{10});
  auto parts = a.split(4, 0);
  CHECK(values<double>(parts[2]) == std::vector<double>{16, 17, 18, 19});
  CHECK(storage_of(parts[1]) == storage_of(a));
  auto cols = a.unbind(1);
  REQUIRE(cols.size() == 2);
  CHECK(cols[0].shape() == Shape{10});
  CHECK(cols[1].to_vector<double>()[3] == 7.0);
  auto rows = a.unbind();
  CHECK(rows.size() == 10);
  CHECK(values<double>(cat(a.chunk(3), 0)) == values<double>(a));
}

TEST_CASE("0-d tensors: gather, scatter_add, index_select, reductions") {
  Tensor s = scalar_tensor(5.0, kFloat64);
  Tensor i0 = zeros({}, kInt64);
  CHECK(s.gather(0, i0).item<double>() == 5.0);
  CHECK(s.gather(-1, i0).dim() == 0);
  CHECK(s.scatter_add(0, i0, scalar_tensor(2.0, kFloat64)).item<double>() == 7.0);
  CHECK(s.item<double>() == 5.0);
  CHECK(s.index_select(0, i0).item<double>() == 5.0);
  CHECK(s.sum({0}).item<double>() == 5.0);
  CHECK(s.max(0).second.item<int64_t>() == 0);
  CHECK(s.softmax(0).item<double>() == 1.0);
  CHECK(s.unsqueeze(0).shape() == Shape{1});
  CHECK(stack({s, s}).shape() == Shape{2});
}

TEST_CASE("where and masked_fill take any nonzero condition") {
  Tensor cond = tensor({0.5, 0.0, -1e-300, 2.0}, kFloat64);
  Tensor a = full({4}, 7, kInt64), b = full({4}, -7, kInt64);
  CHECK(values<int64_t>(where(cond, a, b)) == std::vector<int64_t>{7, -7, 7, 7});
  Tensor af = full({4}, 1.0), bf = zeros({4});  // float32 values, float64 condition
  CHECK(values<float>(where(cond, af, bf)) == std::vector<float>{1, 0, 1, 1});
  CHECK(values<int64_t>(a.masked_fill(cond, 3)) == std::vector<int64_t>{3, 7, 3, 3});
  Tensor icond = from_vector(std::vector<int64_t>{0, 3, 0, -1});
  CHECK(values<float>(where(icond, af, bf)) == std::vector<float>{0, 1, 0, 1});
}

// ---- in-place ------------------------------------------------------------------------------

TEST_CASE("in-place arithmetic with broadcasting") {
  Tensor a = arange(6, kFloat64).reshape({2, 3});
  Tensor row = tensor({10, 20, 30}, kFloat64);
  Tensor& ref = a.add_(row);
  CHECK(&ref == &a);
  CHECK(values<double>(a) == std::vector<double>{10, 21, 32, 13, 24, 35});
  a.sub_(row, 2.0);
  CHECK(values<double>(a) == std::vector<double>{-10, -19, -28, -7, -16, -25});
  a.mul_(tensor({2}, kFloat64).reshape({1, 1}));
  a.mul_(-0.5);
  CHECK(values<double>(a) == std::vector<double>{10, 19, 28, 7, 16, 25});
  a.div_(tensor({1, 2}, kFloat64).reshape({2, 1}));
  CHECK(values<double>(a) == std::vector<double>{10, 19, 28, 3.5, 8, 12.5});
  a += 1.0;
  a -= row;
  a *= 2.0;
  a /= 4.0;
  CHECK(values<double>(a) == std::vector<double>{0.5, 0, -0.5, -2.75, -5.5, -8.25});

  Tensor b = ones({2, 3}, kFloat64);
  Tensor t1 = tensor({1, 2, 3}, kFloat64), t2 = tensor({2, 4}, kFloat64).reshape({2, 1});
  b.addcmul_(t1, t2, 0.5);  // 1 + 0.5·t1·t2
  CHECK(values<double>(b) == std::vector<double>{2, 3, 4, 3, 5, 7});
  b.addcdiv_(t1, t2, -2.0);  // b - 2·t1/t2
  CHECK(values<double>(b) == std::vector<double>{1, 1, 1, 2.5, 4, 5.5});

  Tensor i = arange(4, kInt64);
  i.add_(arange(4, kInt64)).mul_(3.0);
  CHECK(values<int64_t>(i) == std::vector<int64_t>{0, 6, 12, 18});
}

TEST_CASE("copy_, fill_, zero_ (broadcasting, dtype conversion, views)") {
  Tensor a = zeros({2, 3}, kFloat64);
  a.copy_(tensor({1, 2, 3}, kFloat32));  // broadcast + float32 -> float64
  CHECK(values<double>(a) == std::vector<double>{1, 2, 3, 1, 2, 3});
  Tensor i = zeros({3}, kInt64);
  i.copy_(tensor({1.0, -2.0, 3.0}, kFloat64));
  CHECK(values<int64_t>(i) == std::vector<int64_t>{1, -2, 3});
  // Float to int64 truncates toward zero, as torch's .long().
  CHECK(values<int64_t>(tensor({-1.7, 1.7, 2.5, -0.5}, kFloat64).to(kInt64)) ==
        std::vector<int64_t>{-1, 1, 2, 0});
  CHECK(values<float>(from_vector(std::vector<int64_t>{3, -4}).to(kFloat32)) ==
        std::vector<float>{3, -4});
  a.t().copy_(arange(6, kFloat64).reshape({3, 2}));  // write into a transposed view
  CHECK(values<double>(a) == std::vector<double>{0, 2, 4, 1, 3, 5});
  a.select(1, 0).fill_(7.0);
  CHECK(values<double>(a) == std::vector<double>{7, 2, 4, 7, 3, 5});
  a.narrow(1, 1, 2).zero_();
  CHECK(values<double>(a) == std::vector<double>{7, 0, 0, 7, 0, 0});
  Tensor v = zeros({2, 2});
  v.uniform_(3.0, 4.0);
  for (float x : values<float>(v)) CHECK((x >= 3.0f && x < 4.0f));
}

TEST_CASE("in-place ops on aliased operands give the out-of-place answer") {
  Tensor base = arange(16, kFloat64).reshape({4, 4}) * 1.5;
  {
    Tensor x = base.clone();
    Tensor want = x + x.t();
    x.add_(x.t());
    CHECK(values<double>(x) == values<double>(want));
  }
  {
    Tensor x = base.clone();
    Tensor want = x * x;
    x.mul_(x);
    CHECK(values<double>(x) == values<double>(want));
  }
  {
    Tensor x = base.clone();
    Tensor want = x.t().clone();
    x.copy_(x.t());
    CHECK(values<double>(x) == values<double>(want));
  }
  {  // overlapping shifted windows of one row
    Tensor x = arange(8, kFloat64);
    Tensor want = x.narrow(0, 1, 7) + x.narrow(0, 0, 7);
    x.narrow(0, 1, 7).add_(x.narrow(0, 0, 7));
    CHECK(values<double>(x.narrow(0, 1, 7)) == values<double>(want));
    CHECK(x.to_vector<double>()[0] == 0.0);
    Tensor y = arange(8, kFloat64);
    y.narrow(0, 0, 7).copy_(y.narrow(0, 1, 7));
    CHECK(values<double>(y) == std::vector<double>{1, 2, 3, 4, 5, 6, 7, 7});
  }
  {
    Tensor x = base.clone();
    Tensor want = x + x.t() * x;
    x.addcmul_(x.t(), x);
    CHECK(values<double>(x) == values<double>(want));
  }
  {  // the aliasing operand broadcast from a row of the target itself
    Tensor x = base.clone();
    Tensor want = x - x.select(0, 3).clone();
    x.sub_(x.select(0, 3));
    CHECK(values<double>(x) == values<double>(want));
  }
}

TEST_CASE("in-place writes bump the storage version") {
  Tensor a = zeros({3});
  uint64_t v0 = a.impl().storage->version;
  a.add_(1.0);
  a.narrow(0, 0, 1).fill_(2.0);
  CHECK(a.impl().storage->version >= v0 + 2);
  uint64_t v1 = a.impl().storage->version;
  (void)(a + 1.0);
  CHECK(a.impl().storage->version == v1);
}

TEST_CASE("empty tensors are contiguous, whatever their other sizes") {
  CHECK(zg::zeros({2, 0, 3}).is_contiguous());
  CHECK(zg::zeros({0}).is_contiguous());
  CHECK(zg::zeros({2, 0, 3}).transpose(0, 2).is_contiguous());
  CHECK_FALSE(zg::zeros({2, 3}).t().is_contiguous());
}

TEST_CASE("devices: cpu:1 is a device of its own; transfers keep values; names parse") {
  Tensor x = randn({5, 7});
  Tensor y = x.t().to(kCPU1);  // a strided source
  CHECK(y.device() == kCPU1);
  CHECK(y.is_contiguous());
  CHECK(max_abs_diff(y.to(kCPU), x.t()) == 0);
  CHECK(y.sum().item<double>() == doctest::Approx(x.sum().item<double>()));  // item() reads back
  CHECK(y.to_vector<float>() == x.t().contiguous().to_vector<float>());
  CHECK_ZG_ERROR(x.t() + y, "different devices", "cpu", "cpu:1");
  CHECK_ZG_ERROR(y.data_ptr<float>(), "data_ptr", "cpu:1");
  // Gradients flow back across the transfer, to the source's device.
  Tensor a = randn({3}).requires_grad_();
  (a.to(kCPU1) * 2.0).sum().backward();
  CHECK(a.grad().device() == kCPU);
  CHECK(max_abs_diff(a.grad(), full({3}, 2.0)) == 0);
  for (const char* name : {"cpu", "cpu:1", "cuda"}) CHECK(device_name(parse_device(name)) == name);
  CHECK(parse_device("cuda:0") == kCUDA);
  CHECK_ZG_ERROR(parse_device("gpu"), "gpu", "cpu, cuda");
  CHECK_ZG_ERROR(zeros({2}, Device{DeviceType::CPU, 2}), "cpu:2");
}

}  // namespace zg::test
