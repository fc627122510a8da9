// The 1-D GAN pieces behind D1–D3 (models/gan1d.h) and `zerogen gan-1d`: D*, the
// quadratures against closed values, that the D1 criterion tells a trained discriminator
// from an untrained or wrong one, and the command's files.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "examples/gan_1d.h"
#include "models/gan1d.h"
#include "tests/check_error.h"
#include "tests/temp_dir.h"
#include "zerogen.h"

using namespace zg;
using namespace zg::models;

namespace {
const Normal1d kData{0.0, 1.0}, kG{2.0, 0.5};
}  // namespace

TEST_CASE("gan1d: D*(x) = p_data / (p_data + p_g), also where both densities underflow") {
  for (double x : {-2.0, -0.3, 0.0, 1.0, 1.7, 2.5, 4.0}) {
    double p = std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI);
    double q = std::exp(-0.5 * (x - 2) * (x - 2) / 0.25) / (0.5 * std::sqrt(2 * M_PI));
    CHECK(optimal_discriminator(kData, kG, x) == doctest::Approx(p / (p + q)).epsilon(1e-13));
    CHECK(kData.pdf(x) == doctest::Approx(p).epsilon(1e-14));
  }
  // p_g = p_data: D* ≡ ½.
  CHECK(optimal_discriminator(kData, kData, 0.7) == 0.5);
  // At x = −40 both densities are 0 in float64; the ratio through the log-densities is not
  // 0/0 but its limit (p_g vanishes faster: D* → 1).
  CHECK(kData.pdf(-40.0) == 0.0);
  CHECK(optimal_discriminator(kData, kG, -40.0) == 1.0);
  // The tensor form agrees with the scalar one.
  Tensor x = tensor({-1.0, 0.5, 3.0}, kFloat64);
  auto d = optimal_logit(kData, kG, x).sigmoid().to_vector<double>();
  CHECK(d[1] == doctest::Approx(optimal_discriminator(kData, kG, 0.5)).epsilon(1e-14));
  CHECK(d[2] == doctest::Approx(optimal_discriminator(kData, kG, 3.0)).epsilon(1e-14));
}

TEST_CASE("gan1d: Simpson quadrature is exact on cubics and its error bound holds") {
  // ∫_0^1 (x³ − x + 2) dx = 1/4 − 1/2 + 2 = 1.75; Simpson integrates cubics exactly.
  std::vector<double> f;
  const int64_t n = 8;
  for (int64_t i = 0; i <= n; ++i) {
    double x = static_cast<double>(i) / n;
    f.push_back(x * x * x - x + 2);
  }
  Quadrature q = simpson(f, 1.0 / n);
  CHECK(std::abs(q.value - 1.75) <= q.error);
  CHECK(q.error < 1e-13);
  // ∫ e^x over [0, 1] = e − 1: Richardson's error estimate is off by a relative O(h²) —
  // 0.6% at 8 intervals, 16 times less at 32.
  auto exp_rule = [](int64_t intervals) {
    std::vector<double> v;
    for (int64_t i = 0; i <= intervals; ++i)
      v.push_back(std::exp(static_cast<double>(i) / intervals));
    Quadrature r = simpson(v, 1.0 / intervals);
    double true_error = std::abs(r.value - (std::exp(1.0) - 1));
    return std::abs(true_error - r.error) / true_error;
  };
  CHECK(exp_rule(8) < 0.01);
  CHECK(exp_rule(32) < 0.01 / 16);
  CHECK_ZG_ERROR(simpson({1.0, 2.0, 3.0}, 0.5), "simpson", "multiple of 4");
}

TEST_CASE("gan1d: JSD by quadrature against its closed cases") {
  // p = q: 0.
  Quadrature same = jsd(kData, kData, grid_for(kData, kData));
  CHECK(std::abs(same.value) <= same.error + 1e-15);
  // Disjoint supports (100σ apart; the overlap is e^{-1250}): exactly log 2.
  Normal1d far{100.0, 1.0};
  Quadrature disjoint = jsd(kData, far, grid_for(kData, far, 1 << 16));
  CHECK(std::abs(disjoint.value - std::log(2.0)) <= disjoint.error);
  // Symmetric, and within (0, log 2) in between.
  Quadrature pq = jsd(kData, kG, grid_for(kData, kG)), qp = jsd(kG, kData, grid_for(kG, kData));
  CHECK(std::abs(pq.value - qp.value) <= pq.error + qp.error);
  CHECK(pq.value > 0.1);
  CHECK(pq.value < std::log(2.0));
  // V(½, G) = −log 4 for any G; V(D*, G) is larger.
  Grid1d g = grid_for(kData, kG);
  Quadrature half = gan_value(kData, kG, g, zeros({g.n + 1}, kFloat64));
  CHECK(half.value == doctest::Approx(-std::log(4.0)).epsilon(1e-12));
  CHECK(gan_value(kData, kG, g, optimal_logit(kData, kG, g.points())).value > half.value + 0.2);
  CHECK_ZG_ERROR(gan_value(kData, kG, g, zeros({5}, kFloat64)), "gan_value", "5 logits");
}

// Long (4 s in Release; test suite "long" is left out under the sanitizers).
TEST_CASE("gan1d: the D1 criterion passes the trained D and rejects untrained or wrong ones" *
          doctest::test_suite("long")) {
  // The same check the D1 row runs (seed 0, 8 runs), so the same tolerance.
  D1Check check = run_d1_check(kData, kG, DiscriminatorTraining{}, 8);
  const double tol = 4 * check.spread;
  INFO("error " << check.error << " spread " << check.spread);
  CHECK(check.spread > 0);
  CHECK(check.error <= tol);
  // A constant ½ (the discriminator of a game where p_g = p_data).
  CHECK(d1_error(check.grid, full_like(check.grid.x, 0.5)) > tol);
  // A freshly initialised MLP.
  manual_seed(0);
  nn::Sequential untrained = make_discriminator_1d();
  CHECK(d1_error(check.grid, discriminator_logits(untrained, check.grid.x).sigmoid()) > tol);
  // One trained for only 20 steps.
  DiscriminatorTraining short_run;
  short_run.steps = 20;
  nn::Sequential undertrained = train_discriminator_1d(kData, kG, short_run);
  CHECK(d1_error(check.grid, discriminator_logits(undertrained, check.grid.x).sigmoid()) > tol);
  // The optimal discriminator of a slightly different p_g, N(1.8, 0.5²): a wrong target.
  Tensor wrong = optimal_logit(kData, Normal1d{1.8, 0.5}, check.grid.x).sigmoid();
  CHECK(d1_error(check.grid, wrong) > tol);
  // D* itself: error 0.
  CHECK(d1_error(check.grid, check.grid.d_star) == 0.0);
  CHECK_ZG_ERROR(d1_error(check.grid, zeros({3}, kFloat64)), "d1_error", "3 values");
  CHECK_ZG_ERROR(run_d1_check(kData, kG, DiscriminatorTraining{}, 2), "run_d1_check", "3 runs");
}

TEST_CASE("gan-1d: the command writes its PNGs, config and metrics") {
  test::TempDir tmp;
  examples::Gan1dConfig cfg;
  cfg.run_dir = tmp.file("run");
  cfg.steps = 100;
  cfg.gan_steps = 20;
  cfg.quiet = true;
  auto r = examples::run_gan_1d(cfg);
  REQUIRE(r.files.size() == 3);
  for (const std::string& f : r.files) {
    INFO(f);
    REQUIRE(std::filesystem::exists(f));
    std::ifstream in(f, std::ios::binary);
    char magic[8] = {};
    in.read(magic, 8);
    CHECK(std::string(magic + 1, 3) == "PNG");
  }
  CHECK(std::filesystem::exists(tmp.file("run/config.json")));
  std::ifstream csv(tmp.file("run/metrics.csv"));
  int lines = 0;
  for (std::string line; std::getline(csv, line);) ++lines;
  CHECK(lines == 1 + 10);  // header + a row every gan_steps/10 steps
  // D* is the maximum of V (D1/D2), whatever D the 100 steps reached.
  CHECK(r.v_trained <= r.v_star);
  CHECK(r.v_star == doctest::Approx(-std::log(4.0) + 2 * r.jsd_start).epsilon(1e-9));

  cfg.steps = 0;
  CHECK_ZG_ERROR(examples::run_gan_1d(cfg), "gan-1d", "--steps");
}
