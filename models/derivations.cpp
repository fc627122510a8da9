#include "models/derivations.h"

#include <fmt/format.h>

#include "tensor/error.h"

namespace zg::models {

const std::vector<Derivation>& all_derivations() {
  static const std::vector<Derivation> registry = {
      {"D1", "the optimal discriminator D* = p_data/(p_data+p_g)", check_d1_optimal_discriminator},
      {"D2", "C(G) = -log 4 + 2 JSD(p_data||p_g)", check_d2_value_at_optimum},
      {"D3", "the saturating vs non-saturating generator loss", check_d3_saturation},
      {"D4", "mode collapse: a GAN on 8 Gaussians covers every mode", check_d4_mode_collapse},
      {"D5", "KL is not symmetric", check_d5_kl_asymmetry},
      {"D6", "Gaussian KL closed form, and its gradient", check_d6_gaussian_kl},
      {"D7", "Jensen-Shannon divergence; zero gradient on disjoint supports", check_d7_jsd},
      {"D8", "reparameterisation gradient vs REINFORCE", check_d8_reparameterization},
      {"D9", "the ELBO identity, and ELBO ascent to the posterior", check_d9_elbo},
      {"D10", "the importance-weighted bound", check_d10_iwae},
      {"D11", "the VAE objective: BCE, KL(q||p) order, ELBO <= IWAE <= log p(x)",
       check_d11_vae_objective},
      {"D12", "the forward chain forgets x_0", check_d12_forgetting},
      {"D13", "q(x_t|x_0) in closed form", check_d13_closed_form},
      {"D14", "the posterior q(x_{t-1}|x_t,x_0)", check_d14_posterior},
      {"D15", "the eps-form of the posterior mean", check_d15_eps_mean},
      {"D16", "the variational bound and its eps-form", check_d16_variational_bound},
      {"D17", "Langevin dynamics samples p from grad log p", check_d17_langevin},
      {"D18", "score matching: J = 1/2 E|s - grad log p|^2 + const", check_d18_score_matching},
      {"D19", "denoising score matching learns the score of q_sigma",
       check_d19_denoising_score_matching},
      {"D20", "NCSN: annealed Langevin recovers the mode weights", check_d20_ncsn},
      {"D21", "the SDE view: f, g, reverse SDE, probability-flow ODE", check_d21_sde},
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
    const char* verdict =
        r.pass() ? (r.expect_mismatch ? "PASS (rejected as expected)" : "PASS") : "FAIL";
    failed += !r.pass();
    out += fmt::format("{:<5} {:<{}} {:>14.8g} {:>14.8g} {:>10.3g} {:>10.3g}  {}\n", r.id, r.claim,
                       claim_width, r.analytic, r.numerical, r.error, r.tolerance, verdict);
  }
  out += fmt::format("{} passed, {} failed\n", rows.size() - failed, failed);
  return out;
}

}  // namespace zg::models
