// The derivation checks of DERIVATIONS.md, as tests: every row the `zerogen derivations`
// table prints must pass here too.
#include <doctest/doctest.h>

#include <cmath>

#include "autograd/gradcheck.h"
#include "models/derivations.h"
#include "models/diffusion_schedule.h"
#include "nn/functional.h"
#include "zerogen.h"

using namespace zg;
using namespace zg::models;

// Long: about a minute in Release, several under the sanitizers, which skip it (CMakeLists.txt).
TEST_CASE("derivations: every registered check passes" * doctest::test_suite("long")) {
  for (const Derivation& d : all_derivations()) {
    SUBCASE(d.id.c_str()) {
      auto rows = d.run(0);
      REQUIRE(!rows.empty());
      for (const auto& r : rows) {
        INFO(r.id << " " << r.claim << ": analytic " << r.analytic << " numerical " << r.numerical
                  << " error " << r.error << " tol " << r.tolerance);
        CHECK(r.pass());
        CHECK(std::isfinite(r.error));
      }
    }
  }
}

TEST_CASE("derivations: unknown ids are refused, and the table reports failures") {
  CHECK_THROWS_AS(run_derivations({"D99"}, 0), zg::Error);
  DerivationRow bad{"DX", "a claim that fails", 1.0, 2.0, 1.0, 0.1};
  DerivationRow erratum{"DX", "an erratum that is right after all", 1.0, 1.0, 0.0, 0.1, true};
  CHECK_FALSE(bad.pass());
  CHECK_FALSE(erratum.pass());
  std::string table = format_derivation_table({bad, erratum});
  CHECK(table.find("FAIL") != std::string::npos);
  CHECK(table.find("0 passed, 2 failed") != std::string::npos);
}

TEST_CASE("diffusion schedule: linear betas and the products") {
  auto s = DiffusionSchedule::linear();
  CHECK(s.T == 1000);
  CHECK(s.beta[1] == doctest::Approx(1e-4).epsilon(1e-12));
  CHECK(s.beta[1000] == doctest::Approx(0.02).epsilon(1e-12));
  // ᾱ_T of the DDPM schedule: exp(Σ log(1 − β_t)), computed here independently.
  double log_abar = 0;
  for (int t = 1; t <= 1000; ++t)
    log_abar += std::log(1.0 - (1e-4 + (0.02 - 1e-4) * (t - 1) / 999.0));
  CHECK(s.alpha_bar[1000] == doctest::Approx(std::exp(log_abar)).epsilon(1e-10));
  CHECK(s.alpha_bar[1000] < 5e-5);  // the chain forgets x_0 (D12)
  CHECK(s.one_minus_alpha_bar[1] == doctest::Approx(1e-4).epsilon(1e-14));
  CHECK(s.posterior_variance(1) == 0.0);
  CHECK_THROWS_AS(DiffusionSchedule::linear(0), zg::Error);
}

TEST_CASE("gaussian_kl: gradcheck and closed forms (D6)") {
  manual_seed(3);
  Tensor mu1 = randn({5}, kFloat64).requires_grad_(), lv1 = randn({5}, kFloat64).requires_grad_();
  Tensor mu2 = randn({5}, kFloat64).requires_grad_(), lv2 = randn({5}, kFloat64).requires_grad_();
  CHECK(autograd::gradcheck(
      [](const std::vector<Tensor>& x) {
        return nn::functional::gaussian_kl(x[0], x[1], x[2], x[3]);
      },
      {mu1, lv1, mu2, lv2}));
  CHECK(autograd::gradgradcheck(
      [](const std::vector<Tensor>& x) { return nn::functional::gaussian_kl_standard(x[0], x[1]); },
      {mu1, lv1}));
  // Against N(0, 1) the general form reduces to the standard one.
  Tensor general =
      nn::functional::gaussian_kl(mu1, lv1, zeros({5}, kFloat64), zeros({5}, kFloat64));
  Tensor standard = nn::functional::gaussian_kl_standard(mu1, lv1);
  CHECK((general - standard).abs().max().item<double>() < 1e-14);
  CHECK(standard.min().item<double>() >= 0.0);
}
