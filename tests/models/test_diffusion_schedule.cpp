#include <doctest/doctest.h>

#include <cmath>

#include "models/diffusion_schedule.h"
#include "tests/check_error.h"

using namespace zg;
using zg::models::DiffusionSchedule;

namespace {

// The arrays of any schedule must agree with its β.
void check_consistent(const DiffusionSchedule& s) {
  REQUIRE(s.beta.size() == size_t(s.T + 1));
  CHECK(s.alpha_bar[0] == 1.0);
  CHECK(s.one_minus_alpha_bar[0] == 0.0);
  double product = 1;
  for (int t = 1; t <= s.T; ++t) {
    product *= 1 - s.beta[t];
    CHECK(s.alpha[t] == 1 - s.beta[t]);
    CHECK(s.alpha_bar[t] == doctest::Approx(product).epsilon(1e-12));
    CHECK(s.alpha_bar[t] + s.one_minus_alpha_bar[t] == doctest::Approx(1.0).epsilon(1e-15));
  }
  // At t = 1 the complement is β_1 itself, to the last digit (no 1 − ᾱ cancellation).
  CHECK(std::abs(s.one_minus_alpha_bar[1] - s.beta[1]) <= 4e-16 * s.beta[1]);
}

}  // namespace

TEST_CASE("DiffusionSchedule::linear keeps Ho et al.'s betas") {
  auto s = DiffusionSchedule::linear();
  CHECK(s.T == 1000);
  CHECK(s.beta[1] == 1e-4);
  CHECK(s.beta[1000] == doctest::Approx(0.02).epsilon(1e-15));
  CHECK(s.beta[500] == doctest::Approx(1e-4 + (0.02 - 1e-4) * 499 / 999).epsilon(1e-15));
  check_consistent(s);
}

TEST_CASE("DiffusionSchedule::cosine follows f(t)/f(0) and clips beta at 0.999") {
  const int T = 1000;
  const double s0 = 0.008;
  auto s = DiffusionSchedule::cosine(T, s0);
  auto f = [&](int t) { return std::pow(std::cos((double(t) / T + s0) / (1 + s0) * M_PI / 2), 2); };
  for (int t = 1; t < T; ++t) {
    INFO("t = " << t);
    CHECK(s.alpha_bar[t] == doctest::Approx(f(t) / f(0)).epsilon(1e-12));
    CHECK(s.beta[t] <= DiffusionSchedule::kCosineMaxBeta);
    CHECK(s.alpha_bar[t] < s.alpha_bar[t - 1]);
  }
  // f(T) = 0 would need β_T = 1: clipped, so ᾱ_T = ᾱ_{T−1}·(1 − 0.999) instead of 0.
  CHECK(s.beta[T] == DiffusionSchedule::kCosineMaxBeta);
  CHECK(s.alpha_bar[T] == doctest::Approx(s.alpha_bar[T - 1] * 1e-3).epsilon(1e-12));
  CHECK(s.alpha_bar[T] > 0);
  // β_1 = 1 − f(1)/f(0) without cancellation: reference from mpmath at 50 digits.
  CHECK(s.beta[1] == doctest::Approx(4.1284224821777802e-05).epsilon(1e-13));
  check_consistent(s);
}

TEST_CASE("DiffusionSchedule::from_name and from_betas") {
  auto cosine = DiffusionSchedule::from_name("cosine", 50);
  CHECK(cosine.T == 50);
  CHECK(cosine.beta == DiffusionSchedule::cosine(50).beta);
  CHECK(DiffusionSchedule::from_name("linear", 20).beta == DiffusionSchedule::linear(20).beta);
  CHECK_ZG_ERROR(DiffusionSchedule::from_name("sigmoid"), "from_name", "sigmoid", "linear",
                 "cosine");
  auto custom = DiffusionSchedule::from_betas({0.1, 0.2, 0.3});
  CHECK(custom.T == 3);
  CHECK(custom.alpha_bar[3] == doctest::Approx(0.9 * 0.8 * 0.7).epsilon(1e-15));
  check_consistent(custom);
  CHECK_ZG_ERROR(DiffusionSchedule::from_betas({0.1, 1.0}), "from_betas", "beta_2");
  CHECK_ZG_ERROR(DiffusionSchedule::from_betas({}), "from_betas");
  CHECK_ZG_ERROR(DiffusionSchedule::cosine(0), "cosine", "T=0");
}
