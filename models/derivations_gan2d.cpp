// D4 — mode collapse (the source text's "退化问题"): a GAN of two small MLPs trained on 8
// Gaussians on a ring (radius 2); does G put mass on every mode?
//
// A mode counts as covered when ≥ 1% of n = 2000 samples of G lie within 3σ of it
// (models/toy_metrics.h; the unrolled-GAN/VEEGAN convention). Analytic value 8, tolerance 0:
// a GAN that collapses onto fewer modes fails the row.
//
// The high-quality fraction (samples within 3σ of some mode) is reported against a perfect
// sampler's P(χ²₂ ≤ 9) = 1 − e^{−4.5} ≈ 0.989; the bar is "at least half the samples on a
// mode" (tolerance 0.989 − 0.5). It was fixed before the configuration below was trained,
// as the smallest fraction at which the picture is of modes rather than of a ring: a short
// run cannot sharpen its modes to a perfect sampler's, so the gap to 0.989 is not a test of
// the claim, while a G that spreads its points between the modes fails. (A first version
// with 1500 steps covered 8/8 but failed this bar — 0.11, 0.47, 0.35 on seeds 0–2; the run
// was made twice as long, the bar left alone: 0.58, 0.68, 0.75, 0.70 on seeds 0–3.)
//
// The configuration is `zerogen train-gan2d`'s recipe made small enough to train in a few
// seconds: 3000 steps, MLPs of width 32 (G and D three hidden layers), batch 128, Adam(1e-3, β =
// (0.5, 0.999)) with a cosine decay, and the R1 penalty 0.1 on D. One change of the data: σ = 0.1
// instead of 0.02. With σ = 0.02 a run this short puts its points *next to* all eight modes
// but not yet within 3σ = 0.06 of them (the trainer needs ~10⁴ steps for that), which would
// count an unsharpened mode as a dropped one; σ = 0.1 keeps the modes 15σ apart (chord 1.53)
// and so still tests what D4 is about — whether every mode gets mass.
#include <cmath>

#include "data/toy2d.h"
#include "models/derivations.h"
#include "models/gan2d.h"
#include "models/toy_metrics.h"
#include "optim/optim.h"

namespace zg::models {

std::vector<DerivationRow> check_d4_mode_collapse(uint64_t seed) {
  constexpr double kStd = 0.1;
  constexpr int64_t kSteps = 3000, kBatch = 128, kSamples = 2000;
  constexpr double kLr = 1e-3, kR1 = 0.1, kBar = 0.5;
  data::GaussianMixture ring = data::eight_gaussians(2.0, kStd);

  // The layers draw their initial weights from the default generator: seed it, and give
  // the caller's stream back afterwards.
  Generator& global = default_generator();
  const uint64_t saved_seed = global.seed(), saved_offset = global.offset();
  manual_seed(seed);
  Gan2dOptions opts{.latent_dim = 4, .hidden = 32, .layers = 3};
  Gan2dGenerator G(opts);
  Gan2dDiscriminator D(opts);
  global.set_state(saved_seed, saved_offset);

  optim::Adam opt_g(G->parameters(), {.lr = kLr, .beta1 = 0.5, .beta2 = 0.999});
  optim::Adam opt_d(D->parameters(), {.lr = kLr, .beta1 = 0.5, .beta2 = 0.999});
  optim::CosineLR schedule(kLr, kSteps, kLr * 0.01);
  Generator gen(seed + 1);
  for (int64_t step = 0; step < kSteps; ++step) {
    opt_g.set_lr(schedule.lr_at(step));
    opt_d.set_lr(schedule.lr_at(step));
    gan2d_train_step(*G, *D, opt_g, opt_d, ring, kBatch, GanLoss::NonSaturating, gen, kR1);
  }
  Tensor samples = gan2d_sample(*G, kSamples, gen);

  const double covered = static_cast<double>(modes_covered(samples, ring));
  const double hq = high_quality_fraction(samples, ring);
  const double perfect = expected_high_quality_fraction(ring);
  return {
      {"D4", "GAN on 8 Gaussians (sd 0.1): modes covered (>=1% within 3 sd, n=2000)", 8.0, covered,
       std::abs(8.0 - covered), 0.0},
      {"D4", "high-quality fraction >= 0.5 (perfect sampler: 1-exp(-4.5))", perfect, hq,
       std::abs(perfect - hq), perfect - kBar},
  };
}

}  // namespace zg::models
