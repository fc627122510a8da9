/// \file
/// The numerical checks of ../shared/DERIVATIONS.md (D1–D22), one table row per check.
///
/// Each check computes a claim's value two independent ways — a closed form ("analytic")
/// and a measurement with the framework ("numerical": Monte Carlo, autograd, quadrature,
/// iteration) — and passes when they agree within a tolerance derived in the code from
/// the estimator's standard error or from float64 rounding. Rows marked `expect_mismatch`
/// check that a wrong statement — an erratum of the source text, or a plausible false claim
/// such as "KL is symmetric" — is indeed wrong: they pass when it disagrees, and print
/// "PASS (rejected as expected)".
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace zg::models {

struct DerivationRow {
  std::string id, claim;
  double analytic = 0, numerical = 0, error = 0, tolerance = 0;
  bool expect_mismatch = false;
  bool pass() const { return expect_mismatch ? error > tolerance : error <= tolerance; }
};

struct Derivation {
  std::string id;     ///< "D6"
  std::string title;  ///< one line
  std::vector<DerivationRow> (*run)(uint64_t seed);
};

/// The registry, in D order. Checks added by later work append here.
const std::vector<Derivation>& all_derivations();
/// Runs the checks whose id is in `ids` (all when empty); throws zg::Error on an unknown id.
std::vector<DerivationRow> run_derivations(const std::vector<std::string>& ids, uint64_t seed);
std::string format_derivation_table(const std::vector<DerivationRow>& rows);

std::vector<DerivationRow> check_d1_optimal_discriminator(uint64_t seed);
std::vector<DerivationRow> check_d2_value_at_optimum(uint64_t seed);
std::vector<DerivationRow> check_d3_saturation(uint64_t seed);
std::vector<DerivationRow> check_d4_mode_collapse(uint64_t seed);
std::vector<DerivationRow> check_d5_kl_asymmetry(uint64_t seed);
std::vector<DerivationRow> check_d6_gaussian_kl(uint64_t seed);
std::vector<DerivationRow> check_d7_jsd(uint64_t seed);
std::vector<DerivationRow> check_d8_reparameterization(uint64_t seed);
std::vector<DerivationRow> check_d9_elbo(uint64_t seed);
std::vector<DerivationRow> check_d10_iwae(uint64_t seed);
std::vector<DerivationRow> check_d11_vae_objective(uint64_t seed);
std::vector<DerivationRow> check_d12_forgetting(uint64_t seed);
std::vector<DerivationRow> check_d13_closed_form(uint64_t seed);
std::vector<DerivationRow> check_d14_posterior(uint64_t seed);
std::vector<DerivationRow> check_d15_eps_mean(uint64_t seed);
std::vector<DerivationRow> check_d16_variational_bound(uint64_t seed);
std::vector<DerivationRow> check_d17_langevin(uint64_t seed);
std::vector<DerivationRow> check_d18_score_matching(uint64_t seed);
std::vector<DerivationRow> check_d19_denoising_score_matching(uint64_t seed);
std::vector<DerivationRow> check_d20_ncsn(uint64_t seed);
std::vector<DerivationRow> check_d21_sde(uint64_t seed);

}  // namespace zg::models
