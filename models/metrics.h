/// \file
/// Scores for generated images (DESIGN.md, "Metrics"), in the feature space of the
/// classifier that `zerogen train-classifier` trains:
/// \code{.unparsed}
///   Fréchet distance  ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁^½ Σ₂ Σ₁^½)^½)   between Gaussians fitted
///                     to the two feature sets (FID's formula, with our small CNN instead
///                     of Inception — numbers compare between zerogen runs, not with papers);
///   class histogram   how the classifier labels the samples: coverage of the classes and
///                     its confidence, which catches mode collapse that a mean score hides.
/// \endcode
#pragma once
#include <string>
#include <vector>

#include "models/classifier.h"

namespace zg::models {

/// Mean and covariance (unbiased) of features [N, D], in float64.
struct FeatureStats {
  Tensor mean;  ///< [D]
  Tensor cov;   ///< [D, D]
  int64_t count = 0;
};
FeatureStats feature_stats(const Tensor& features);
double frechet_distance(const FeatureStats& a, const FeatureStats& b);

/// Eigen-decomposition of a symmetric matrix (LAPACK dsyev): eigenvalues ascending, and the
/// eigenvectors as columns. float64.
std::pair<Tensor, Tensor> symmetric_eigh(const Tensor& matrix);

struct ClassHistogram {
  std::vector<int64_t> counts;  ///< predicted class of each sample
  int64_t covered = 0;          ///< classes holding at least 1% of the samples
  double mean_confidence = 0;   ///< mean of the top softmax probability
  double entropy_bits = 0;  ///< entropy of the predicted-class distribution (log2(10) = uniform)
};
ClassHistogram class_histogram(const Tensor& logits);

struct SampleScore {
  int64_t count = 0;
  double frechet = 0;  ///< against the reference set
  ClassHistogram histogram;
};
/// Runs the classifier (in eval mode, no grad, in batches) over `samples` ([N, C, H, W] in
/// [0, 1]) and compares with `reference` (e.g. the test set).
SampleScore score_samples(ClassifierImpl& classifier, const Tensor& samples,
                          const Tensor& reference, int64_t batch_size = 500);
std::string format_score(const SampleScore& score, const std::vector<std::string>& class_names);

}  // namespace zg::models
