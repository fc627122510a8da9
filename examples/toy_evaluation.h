// What the 2-D trainers (train-gan2d, train-ddpm/-ncsn --data <toy>) measure of a batch of
// samples, against the true distribution (models/toy_metrics.h).
#pragma once
#include <cstdint>
#include <limits>

#include "data/toy2d.h"

namespace zg::examples {

struct ToyEvaluation {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  double modes = kNaN, high_quality = kNaN;  // Gaussian mixtures only
  double mmd2 = kNaN;                        // against as many fresh true samples
};

// The fresh samples come from a stream of their own, keyed by (seed, step) — see eval_seed.
ToyEvaluation evaluate_toy_samples(const Tensor& samples, const data::Toy2D& toy,
                                   const data::GaussianMixture* mixture, uint64_t seed,
                                   int64_t step);

}  // namespace zg::examples
