// The vectorisable float32 transcendentals of tensor/cpu/vec_math.h against double-precision
// libm: max ulp error over a sweep of float bit patterns, libm's special values, and the
// same through the float32 tensor ops that use them.
#include "tensor/cpu/vec_math.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "tests/test_util.h"

namespace zg::test {
namespace {

namespace vm = zg::cpu::vm;
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

double sigmoid_ref(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double silu_ref(double x) { return x / (1.0 + std::exp(-x)); }
double gelu_ref(double x) { return 0.5 * x * std::erfc(-x / std::sqrt(2.0)); }

struct Errors {
  double max_ulp = 0;  // over results in the normal range, in ulps of the reference
  double max_sub = 0;  // over subnormal results, in units of 2^-149
  float worst_x = 0;
  int64_t bad_special = 0;  // results that should be inf / NaN and are not, or vice versa
};

// Error of y against the double reference, accumulated into e.
void account(Errors& e, float x, float y, double ref) {
  if (std::isnan(ref)) {
    e.bad_special += !std::isnan(y);
    return;
  }
  if (std::fabs(ref) >= 0x1.ffffffp127) {  // rounds to ±inf in float
    e.bad_special += !(std::isinf(y) && (y > 0) == (ref > 0));
    return;
  }
  if (!std::isfinite(y)) {
    ++e.bad_special;
    return;
  }
  const double err = std::fabs(double(y) - ref), a = std::fabs(ref);
  if (a < 0x1p-126) {
    e.max_sub = std::max(e.max_sub, err / 0x1p-149);
    return;
  }
  int exp2;
  std::frexp(a, &exp2);  // a = m·2^exp2, m in [0.5, 1): ulp = 2^(exp2 - 24)
  const double ulps = err / std::ldexp(1.0, exp2 - 24);
  if (ulps > e.max_ulp) e.max_ulp = ulps, e.worst_x = x;
}

// Every 4093rd float bit pattern (about a million values, all magnitudes, both signs) plus
// a dense grid over [-20, 20].
std::vector<float> sweep_inputs() {
  std::vector<float> xs;
  for (uint64_t b = 0; b < (uint64_t(1) << 32); b += 4093) {
    uint32_t u = static_cast<uint32_t>(b);
    float x;
    std::memcpy(&x, &u, sizeof x);
    if (!std::isnan(x)) xs.push_back(x);
  }
  for (int i = -200000; i <= 200000; ++i) xs.push_back(static_cast<float>(i) * 1e-4f);
  return xs;
}

template <class Fast, class Ref>
Errors sweep(Fast fast, Ref ref) {
  static const std::vector<float> xs = sweep_inputs();
  Errors e;
  for (float x : xs) account(e, x, fast(x), ref(double(x)));
  return e;
}

void check(const std::string& name, const Errors& e, double bound) {
  INFO(name << ": max " << e.max_ulp << " ulp at x = " << e.worst_x << ", subnormal results "
            << e.max_sub << " x 2^-149");
  CHECK(e.bad_special == 0);
  CHECK(e.max_ulp <= bound);
  CHECK(e.max_sub <= 4.0);
}

TEST_CASE("vec_math: max ulp error against double-precision libm") {
  check("exp", sweep([](float x) { return vm::exp(x); }, [](double x) { return std::exp(x); }), 1.0);
  check("log", sweep([](float x) { return vm::log(x); }, [](double x) { return std::log(x); }), 1.0);
  check("tanh", sweep([](float x) { return vm::tanh(x); }, [](double x) { return std::tanh(x); }), 1.5);
  check("sigmoid", sweep([](float x) { return vm::sigmoid(x); }, sigmoid_ref), 1.5);
  check("silu", sweep([](float x) { return vm::silu(x); }, silu_ref), 2.0);
  check("erf", sweep([](float x) { return vm::erf(x); }, [](double x) { return std::erf(x); }), 1.5);
  check("erfc", sweep([](float x) { return vm::erfc(x); }, [](double x) { return std::erfc(x); }), 3.0);
  check("gelu", sweep([](float x) { return vm::gelu(x); }, gelu_ref), 4.0);
}

bool same(float a, float b) {  // bitwise equal up to NaN payload
  return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0;
}

TEST_CASE("vec_math: special values are libm's") {
  const float tiny = std::numeric_limits<float>::denorm_min();
  CHECK(same(vm::exp(-kInf), 0.0f));
  CHECK(same(vm::exp(kInf), kInf));
  CHECK(std::isnan(vm::exp(kNaN)));
  CHECK(same(vm::exp(0.0f), 1.0f));
  CHECK(same(vm::exp(-0.0f), 1.0f));
  CHECK(std::isfinite(vm::exp(88.72f)));
  CHECK(same(vm::exp(88.73f), kInf));
  CHECK(same(vm::exp(-104.0f), 0.0f));
  CHECK(vm::exp(-103.0f) > 0.0f);  // subnormal, not flushed
  CHECK(same(vm::log(0.0f), -kInf));
  CHECK(same(vm::log(-0.0f), -kInf));
  CHECK(std::isnan(vm::log(-1.0f)));
  CHECK(std::isnan(vm::log(-kInf)));
  CHECK(std::isnan(vm::log(kNaN)));
  CHECK(same(vm::log(kInf), kInf));
  CHECK(same(vm::log(1.0f), 0.0f));
  CHECK(vm::log(tiny) == doctest::Approx(std::log(double(tiny))).epsilon(1e-7));
  for (float big : {9.1f, 20.0f, 100.0f, 1e30f, kInf}) {
    CHECK(same(vm::tanh(big), 1.0f));
    CHECK(same(vm::tanh(-big), -1.0f));
  }
  CHECK(same(vm::tanh(-0.0f), -0.0f));
  CHECK(std::isnan(vm::tanh(kNaN)));
  CHECK(same(vm::sigmoid(100.0f), 1.0f));
  CHECK(vm::sigmoid(-100.0f) == doctest::Approx(sigmoid_ref(-100.0)).epsilon(0.05));  // 3.7e-44
  CHECK(same(vm::sigmoid(kInf), 1.0f));
  CHECK(same(vm::sigmoid(-kInf), 0.0f));
  CHECK(std::isnan(vm::sigmoid(kNaN)));
  CHECK(same(vm::silu(kInf), kInf));
  CHECK(same(vm::silu(100.0f), 100.0f));
  CHECK(std::fabs(vm::silu(-100.0f) - silu_ref(-100.0)) <= 0x1p-148);  // -3.7e-42
  CHECK(std::isnan(vm::silu(kNaN)));
  CHECK(same(vm::erf(kInf), 1.0f));
  CHECK(same(vm::erf(-kInf), -1.0f));
  CHECK(same(vm::erfc(kInf), 0.0f));
  CHECK(same(vm::erfc(-kInf), 2.0f));
  CHECK(std::isnan(vm::erfc(kNaN)));
  CHECK(same(vm::gelu(kInf), kInf));
  CHECK(same(vm::gelu(-kInf), -0.0f));  // the limit; x·Φ(x) by the formula would be NaN
  CHECK(same(vm::gelu(0.0f), 0.0f));
  CHECK(same(vm::gelu(10.0f), 10.0f));
  CHECK(std::isnan(vm::gelu(kNaN)));
  CHECK(vm::gelu(-10.0f) == doctest::Approx(gelu_ref(-10.0)).epsilon(1e-6));  // -7.6e-23
}

// The float32 tensor ops go through vec_math (vectorised loop, several threads): same bounds.
TEST_CASE("vec_math: float32 tensor ops") {
  std::vector<float> xs;
  for (int i = -300000; i <= 300000; ++i) xs.push_back(static_cast<float>(i) * 3.7e-4f);
  for (float v : {0.0f, -0.0f, kInf, -kInf, kNaN, 1e-40f, -1e-40f, 88.7f, -103.5f}) xs.push_back(v);
  const Tensor x = from_vector(xs);
  struct Case {
    const char* name;
    Tensor (*op)(const Tensor&);
    double (*ref)(double);
    double bound;
  };
  const Case cases[] = {
      {"exp", [](const Tensor& t) { return t.exp(); }, [](double v) { return std::exp(v); }, 1.0},
      {"log", [](const Tensor& t) { return t.abs().log(); },
       [](double v) { return std::log(std::fabs(v)); }, 1.0},
      {"tanh", [](const Tensor& t) { return t.tanh(); }, [](double v) { return std::tanh(v); },
       1.5},
      {"sigmoid", [](const Tensor& t) { return t.sigmoid(); }, sigmoid_ref, 1.5},
      {"silu", [](const Tensor& t) { return t.silu(); }, silu_ref, 2.0},
      {"erf", [](const Tensor& t) { return t.erf(); }, [](double v) { return std::erf(v); }, 1.5},
      {"gelu", [](const Tensor& t) { return t.gelu(); }, gelu_ref, 4.0},
  };
  for (const Case& c : cases) {
    const std::vector<float> ys = c.op(x).to_vector<float>();
    REQUIRE(ys.size() == xs.size());
    Errors e;
    for (size_t i = 0; i < xs.size(); ++i) {
      const double ref = c.ref(double(xs[i]));
      if (std::string(c.name) == "gelu" && xs[i] == -kInf) {
        CHECK(ys[i] == 0.0f);
        continue;
      }
      account(e, xs[i], ys[i], ref);
    }
    check(c.name, e, c.bound);
  }
}

}  // namespace
}  // namespace zg::test
