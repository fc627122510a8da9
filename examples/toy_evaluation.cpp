#include "examples/toy_evaluation.h"

#include "examples/training_state.h"
#include "models/toy_metrics.h"

namespace zg::examples {

ToyEvaluation evaluate_toy_samples(const Tensor& samples, const data::Toy2D& toy,
                                   const data::GaussianMixture* mixture, uint64_t seed,
                                   int64_t step) {
  ToyEvaluation e;
  if (mixture != nullptr) {
    e.modes = static_cast<double>(models::modes_covered(samples, *mixture));
    e.high_quality = models::high_quality_fraction(samples, *mixture);
  }
  Generator fresh(eval_seed(seed, 1000 + static_cast<uint64_t>(step)));
  e.mmd2 = models::mmd2_unbiased(samples, toy.sample(samples.size(0), fresh));
  return e;
}

}  // namespace zg::examples
