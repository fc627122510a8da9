// models/toy_metrics.h on hand-made samples: mode coverage and its 1% rule, the 3σ
// "high quality" rule, and the unbiased MMD² (against a direct double loop, ≈ 0 within its
// standard error for two samples of one distribution, clearly > 0 for different ones).
#include <doctest/doctest.h>

#include <cmath>

#include "data/toy2d.h"
#include "models/toy_metrics.h"
#include "tests/check_error.h"
#include "zerogen.h"

using namespace zg;
using namespace zg::models;

namespace {

// n copies of the point (x, y), plus noise of std `noise` from gen.
Tensor cluster(int64_t n, double x, double y, double noise, Generator& gen) {
  return randn({n, 2}, gen, kFloat64) * noise + tensor({x, y}, kFloat64).unsqueeze(0);
}

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}
double standard_error(const std::vector<double>& v) {
  double m = mean_of(v), s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1) / static_cast<double>(v.size()));
}

}  // namespace

TEST_CASE("toy metrics: true samples of 8 Gaussians cover 8 modes, ~98.9% high quality") {
  data::GaussianMixture ring = data::eight_gaussians();
  Generator gen(3);
  const int64_t n = 4000;
  Tensor x = ring.sample(n, gen);
  CHECK(modes_covered(x, ring) == 8);
  auto counts = mode_counts(x, ring);
  REQUIRE(counts.size() == 8);
  for (int64_t c : counts) CHECK(c > 400);  // 500 expected each, binomial sd ~21
  // P(χ²₂ ≤ 9) = 1 − e^{−4.5}; the measured fraction within 4 binomial standard errors.
  const double p = 1 - std::exp(-4.5);
  CHECK(expected_high_quality_fraction(ring) == doctest::Approx(p).epsilon(1e-12));
  CHECK(std::abs(high_quality_fraction(x, ring) - p) <= 4 * std::sqrt(p * (1 - p) / n));
}

TEST_CASE("toy metrics: a collapsed sample covers 1 mode; off-mode points are not high quality") {
  data::GaussianMixture ring = data::eight_gaussians();
  Generator gen(4);
  // All points on the mode at angle 3·45° = (−√2, √2), with the data's own spread.
  Tensor one = cluster(1000, -std::sqrt(2.0), std::sqrt(2.0), 0.02, gen);
  CHECK(modes_covered(one, ring) == 1);
  CHECK(mode_counts(one, ring)[3] > 950);
  // The ring's centre and points between two modes are 2 and 0.77 away: no mode's 3σ.
  Tensor between =
      tensor({0.0, 0.0, 2.0 * std::cos(M_PI / 8), 2.0 * std::sin(M_PI / 8)}, kFloat64).view({2, 2});
  CHECK(high_quality_fraction(between, ring) == 0.0);
  CHECK(modes_covered(between, ring) == 0);
}

TEST_CASE("toy metrics: the 3-sigma radius and the 1% rule at their boundaries") {
  data::GaussianMixture ring = data::eight_gaussians(2.0, 0.02);
  // Radius: 2.99σ from mode 0 = (2, 0) is in, 3.01σ is out.
  Tensor near = tensor({2.0 + 2.99 * 0.02, 0.0, 2.0 + 3.01 * 0.02, 0.0}, kFloat64).view({2, 2});
  CHECK(mode_counts(near, ring)[0] == 1);
  CHECK(high_quality_fraction(near, ring) == 0.5);
  CHECK(high_quality_fraction(near, ring, 3.02) == 1.0);  // k_sigma is honoured

  // N = 1000: mode 0 gets exactly 10 points (1%: covered), mode 1 gets 9 (0.9%: not);
  // the other 981 sit at the centre, on no mode.
  auto make = [&](int64_t on_mode1) {
    std::vector<Tensor> parts = {
        tensor({2.0, 0.0}, kFloat64).unsqueeze(0).expand({10, 2}),
        tensor({std::sqrt(2.0), std::sqrt(2.0)}, kFloat64).unsqueeze(0).expand({on_mode1, 2}),
        zeros({1000 - 10 - on_mode1, 2}, kFloat64)};
    return cat(parts, 0);
  };
  CHECK(modes_covered(make(9), ring) == 1);
  CHECK(modes_covered(make(10), ring) == 2);
  CHECK(modes_covered(make(9), ring, 3.0, 0.009) == 2);
  CHECK(mode_counts(make(9), ring) == std::vector<int64_t>{10, 9, 0, 0, 0, 0, 0, 0});
  // float32 samples give the same counts.
  CHECK(modes_covered(make(10).to(kFloat32), ring) == 2);
}

TEST_CASE("toy metrics: expected high-quality fraction in 1-D and 3-D") {
  // 1-D: P(|z| ≤ 3) = erf(3/√2); 3-D: P(χ²₃ ≤ 9) = erf(3/√2) − √(2/π)·3·e^{−4.5}.
  data::GaussianMixture one_d(tensor({1.0}, kFloat64), tensor({0.0}, kFloat64).view({1, 1}),
                              tensor({1.0}, kFloat64));
  CHECK(expected_high_quality_fraction(one_d) ==
        doctest::Approx(std::erf(3 / std::sqrt(2.0))).epsilon(1e-12));
  data::GaussianMixture three_d(tensor({1.0}, kFloat64), zeros({1, 3}, kFloat64),
                                tensor({1.0}, kFloat64));
  double p3 = std::erf(3 / std::sqrt(2.0)) - std::sqrt(2 / M_PI) * 3 * std::exp(-4.5);
  CHECK(expected_high_quality_fraction(three_d) == doctest::Approx(p3).epsilon(1e-12));
}

TEST_CASE("toy metrics: unbiased MMD² equals the U-statistic written as a double loop") {
  Generator gen(5);
  Tensor x = randn({5, 2}, gen, kFloat64), y = randn({4, 2}, gen, kFloat64) + 0.5;
  MmdOptions opts{{0.3, 1.7}};
  auto k = [&](const Tensor& a, int64_t i, const Tensor& b, int64_t j) {
    double d2 = (a.select(0, i) - b.select(0, j)).square().sum().item<double>(), s = 0;
    for (double h : opts.bandwidths) s += std::exp(-d2 / (2 * h * h));
    return s / 2;
  };
  double xx = 0, yy = 0, xy = 0;
  for (int64_t i = 0; i < 5; ++i)
    for (int64_t j = 0; j < 5; ++j)
      if (i != j) xx += k(x, i, x, j);
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 4; ++j)
      if (i != j) yy += k(y, i, y, j);
  for (int64_t i = 0; i < 5; ++i)
    for (int64_t j = 0; j < 4; ++j) xy += k(x, i, y, j);
  double expected = xx / 20 + yy / 12 - 2 * xy / 20;
  CHECK(mmd2_unbiased(x, y, opts) == doctest::Approx(expected).epsilon(1e-12));
  CHECK(mmd2_unbiased(x, x.clone(), opts) < 0);  // unbiased: identical sets go below zero
}

TEST_CASE("toy metrics: MMD² ≈ 0 for one distribution (within SE), clearly > 0 for two") {
  data::GaussianMixture ring = data::eight_gaussians();
  data::GaussianMixture wide = data::eight_gaussians(2.0, 0.2);  // blurred modes
  Generator gen(6);
  const int64_t n = 300, repeats = 20;
  std::vector<double> same, blurred, collapsed;
  for (int64_t r = 0; r < repeats; ++r) {
    Tensor a = ring.sample(n, gen), b = ring.sample(n, gen);
    same.push_back(mmd2_unbiased(a, b));
    blurred.push_back(mmd2_unbiased(a, wide.sample(n, gen)));
    collapsed.push_back(mmd2_unbiased(a, cluster(n, 2.0, 0.0, 0.02, gen)));
  }
  // E[MMD²_u] = 0 under the null: the mean of 20 independent estimates within 4 SE of 0.
  INFO("same: mean " << mean_of(same) << " se " << standard_error(same));
  CHECK(std::abs(mean_of(same)) <= 4 * standard_error(same));
  // Different distributions: the mean is many standard errors above 0 (and above the null).
  INFO("blurred: mean " << mean_of(blurred) << " se " << standard_error(blurred));
  CHECK(mean_of(blurred) > 10 * standard_error(blurred));
  CHECK(mean_of(blurred) > 10 * standard_error(same));
  CHECK(mean_of(collapsed) > 100 * standard_error(same));
}

TEST_CASE("toy metrics: bad input is an error naming the function and the shapes") {
  data::GaussianMixture ring = data::eight_gaussians();
  CHECK_ZG_ERROR(modes_covered(zeros({10, 3}), ring), "mode_counts", "[10, 3]");
  CHECK_ZG_ERROR(high_quality_fraction(zeros({10}), ring), "high_quality_fraction", "[10]");
  CHECK_ZG_ERROR(modes_covered(zeros({0, 2}), ring), "no samples");
  CHECK_ZG_ERROR(mode_counts(zeros({4, 2}, kInt64), ring), "floating-point");
  CHECK_ZG_ERROR(mode_counts(zeros({4, 2}), ring, 0.0), "k_sigma");
  CHECK_ZG_ERROR(modes_covered(zeros({4, 2}), ring, 3.0, 0.0), "min_fraction");
  CHECK_ZG_ERROR(modes_covered(zeros({4, 2}), ring, 3.0, 1.5), "min_fraction");
  CHECK_ZG_ERROR(mmd2_unbiased(zeros({1, 2}), zeros({5, 2})), "mmd2_unbiased", "at least 2");
  CHECK_ZG_ERROR(mmd2_unbiased(zeros({4, 2}), zeros({5, 3})), "mmd2_unbiased", "[4, 2]", "[5, 3]");
  CHECK_ZG_ERROR(mmd2_unbiased(zeros({4, 2}), zeros({5, 2}), {{}}), "bandwidths");
  CHECK_ZG_ERROR(mmd2_unbiased(zeros({4, 2}), zeros({5, 2}), {{0.1, -1.0}}), "bandwidths");
  // NaN samples belong to no mode rather than to mode 0.
  Tensor nan = full({3, 2}, std::nan(""), kFloat64);
  CHECK(high_quality_fraction(nan, ring) == 0.0);
}
