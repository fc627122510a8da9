#include "examples/toy_evaluation.h"

#include <fmt/core.h>

#include "examples/training_state.h"
#include "io/progress.h"
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

ToyScore toy_score(const ToyEvaluation& e, const data::GaussianMixture* mixture) {
  ToyScore score;
  score.mmd2 = e.mmd2;
  if (mixture != nullptr) {
    score.modes = static_cast<int64_t>(e.modes);
    score.total_modes = mixture->num_components();
    score.high_quality = e.high_quality;
  }
  return score;
}

void print_toy_score(int64_t step, const ToyScore& score, const data::GaussianMixture* mixture,
                     double seconds, const std::string& run_path) {
  if (mixture != nullptr)
    fmt::print("step {}: {}/{} modes covered, {:.1f}% high-quality samples (perfect: {:.1f}%), ",
               step, score.modes, score.total_modes, 100 * score.high_quality,
               100 * models::expected_high_quality_fraction(*mixture));
  fmt::print("MMD² {:.5f} ({}); {}\n", score.mmd2, io::format_duration(seconds), run_path);
}

}  // namespace zg::examples
