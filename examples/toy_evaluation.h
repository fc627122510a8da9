// What the 2-D trainers (train-gan2d, train-ddpm/-ncsn --data <toy>) measure of a batch of
// samples, against the true distribution (models/toy_metrics.h).
#pragma once
#include <cstdint>
#include <limits>
#include <string>

#include "data/toy2d.h"

namespace zg::examples {

struct ToyEvaluation {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  double modes = kNaN, high_quality = kNaN;  // Gaussian mixtures only
  double mmd2 = kNaN;                        // against as many fresh true samples
};

// The final figures a 2-D trainer returns (train-gan2d's and train-ddpm/-ncsn's results derive
// from it), in the units a reader compares: modes as counts, −1 where there are no modes.
struct ToyScore {
  int64_t modes = -1;        // modes covered (mixtures only)
  int64_t total_modes = -1;  // the mixture's number of components
  double high_quality = -1;  // fraction within 3σ of a mode (mixtures only)
  double mmd2 = 0;           // unbiased MMD² against fresh true samples
};

ToyScore toy_score(const ToyEvaluation& e, const data::GaussianMixture* mixture);

// The line a 2-D run ends with: modes, high-quality fraction (and a perfect sampler's), MMD².
void print_toy_score(int64_t step, const ToyScore& score, const data::GaussianMixture* mixture,
                     double seconds, const std::string& run_path);

// The fresh samples come from a stream of their own, keyed by (seed, step) — see eval_seed.
ToyEvaluation evaluate_toy_samples(const Tensor& samples, const data::Toy2D& toy,
                                   const data::GaussianMixture* mixture, uint64_t seed,
                                   int64_t step);

}  // namespace zg::examples
