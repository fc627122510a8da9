#include "models/derivations.h"

#include <fmt/format.h>

#include "tensor/error.h"

namespace zg::models {

const std::vector<Derivation>& all_derivations() {
  static const std::vector<Derivation> registry = {
      {"D6", "Gaussian KL closed form, and its gradient", check_d6_gaussian_kl},
      {"D11", "the VAE objective: BCE, KL(q||p) order, ELBO <= IWAE <= log p(x)",
       check_d11_vae_objective},
      {"D13", "q(x_t|x_0) in closed form", check_d13_closed_form},
      {"D14", "the posterior q(x_{t-1}|x_t,x_0)", check_d14_posterior},
      {"D15", "the eps-form of the posterior mean", check_d15_eps_mean},
  };
  return registry;
}

std::vector<DerivationRow> run_derivations(const std::vector<std::string>& ids, uint64_t seed) {
  for (const std::string& id : ids) {
    bool known = false;
    for (const Derivation& d : all_derivations()) known = known || d.id == id;
    ZG_CHECK(known, "derivations: unknown check '{}'", id);
  }
  std::vector<DerivationRow> rows;
  for (const Derivation& d : all_derivations()) {
    bool wanted = ids.empty();
    for (const std::string& id : ids) wanted = wanted || id == d.id;
    if (!wanted) continue;
    auto part = d.run(seed);
    rows.insert(rows.end(), part.begin(), part.end());
  }
  return rows;
}

std::string format_derivation_table(const std::vector<DerivationRow>& rows) {
  size_t claim_width = 5;
  for (const auto& r : rows) claim_width = std::max(claim_width, r.claim.size());
  std::string out = fmt::format("{:<5} {:<{}} {:>14} {:>14} {:>10} {:>10}  {}\n", "id", "claim",
                                claim_width, "analytic", "numerical", "error", "tol", "result");
  out += std::string(5 + claim_width + 14 * 2 + 10 * 2 + 13, '-') + "\n";
  int failed = 0;
  for (const auto& r : rows) {
    const char* verdict = r.pass() ? (r.expect_mismatch ? "PASS (erratum rejected)" : "PASS")
                                   : "FAIL";
    failed += !r.pass();
    out += fmt::format("{:<5} {:<{}} {:>14.8g} {:>14.8g} {:>10.3g} {:>10.3g}  {}\n", r.id, r.claim,
                       claim_width, r.analytic, r.numerical, r.error, r.tolerance, verdict);
  }
  out += fmt::format("{} passed, {} failed\n", rows.size() - failed, failed);
  return out;
}

}  // namespace zg::models
