#include "models/metrics.h"

#include <fmt/format.h>

#include <cmath>

#include "autograd/grad_mode.h"
#include "tensor/error.h"

extern "C" void dsyev_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda,
                       double* w, double* work, const int* lwork, int* info);

namespace zg::models {

std::pair<Tensor, Tensor> symmetric_eigh(const Tensor& matrix) {
  ZG_CHECK(matrix.dim() == 2 && matrix.size(0) == matrix.size(1),
           "symmetric_eigh: expected a square matrix, got {}", shape_str(matrix.shape()));
  int n = static_cast<int>(matrix.size(0));
  // LAPACK is column-major; a symmetric matrix is its own transpose, so row-major works.
  std::vector<double> a = matrix.to(kFloat64).contiguous().to_vector<double>();
  std::vector<double> w(n);
  int lwork = -1, info = 0;
  double query = 0;
  dsyev_("V", "U", &n, a.data(), &n, w.data(), &query, &lwork, &info);
  lwork = static_cast<int>(query);
  std::vector<double> work(std::max(1, lwork));
  dsyev_("V", "U", &n, a.data(), &n, w.data(), work.data(), &lwork, &info);
  ZG_CHECK(info == 0, "symmetric_eigh: LAPACK dsyev failed (info = {}) on a {}x{} matrix", info, n,
           n);
  // Column j of the column-major result is row j of `a` read row-major: transpose.
  Tensor vectors = from_vector(a, {n, n}).t().contiguous();
  return {from_vector(w, {n}), vectors};
}

FeatureStats feature_stats(const Tensor& features) {
  ZG_CHECK(features.dim() == 2 && features.size(0) >= 2,
           "feature_stats: expected features [N >= 2, D], got {}", shape_str(features.shape()));
  NoGradGuard no_grad;
  Tensor f = features.to(kFloat64);
  Tensor mean = f.mean({0});
  Tensor centred = f - mean;
  Tensor cov = centred.t().matmul(centred) / static_cast<double>(f.size(0) - 1);
  return {mean, cov, f.size(0)};
}

// tr((Σ₁^½ Σ₂ Σ₁^½)^½) through two symmetric eigen-decompositions: the inner matrix is
// symmetric positive semi-definite, unlike Σ₁Σ₂, so no complex square roots appear.
double frechet_distance(const FeatureStats& a, const FeatureStats& b) {
  ZG_CHECK(a.mean.sizes() == b.mean.sizes(), "frechet_distance: feature dims differ ({} vs {})",
           shape_str(a.mean.shape()), shape_str(b.mean.shape()));
  NoGradGuard no_grad;
  auto [lam1, v1] = symmetric_eigh(a.cov);
  Tensor sqrt1 = (v1 * lam1.clamp_min(0.0).sqrt()).matmul(v1.t());
  Tensor inner = sqrt1.matmul(b.cov).matmul(sqrt1);
  inner = (inner + inner.t()) * 0.5;  // symmetric up to rounding; make it exactly so
  auto [lam, _] = symmetric_eigh(inner);
  double tr_sqrt = lam.clamp_min(0.0).sqrt().sum().item<double>();
  double mean_term = (a.mean - b.mean).square().sum().item<double>();
  Tensor identity = eye(a.cov.size(0), kFloat64);
  double trace = ((a.cov + b.cov) * identity).sum().item<double>();
  return mean_term + trace - 2.0 * tr_sqrt;
}

ClassHistogram class_histogram(const Tensor& logits) {
  ZG_CHECK(logits.dim() == 2, "class_histogram: expected logits [N, C], got {}",
           shape_str(logits.shape()));
  NoGradGuard no_grad;
  int64_t n = logits.size(0), c = logits.size(1);
  ClassHistogram h;
  h.counts.assign(c, 0);
  Tensor probs = logits.to(kFloat64).softmax(1);
  auto [top, cls] = probs.max(1);
  for (int64_t k : cls.to_vector<int64_t>()) h.counts[k]++;
  h.mean_confidence = top.mean().item<double>();
  for (int64_t k = 0; k < c; ++k) {
    double p = static_cast<double>(h.counts[k]) / static_cast<double>(n);
    if (p >= 0.01) h.covered++;
    if (p > 0) h.entropy_bits -= p * std::log2(p);
  }
  return h;
}

// Run on the classifier's device, whatever the images' device; the results come back to the
// CPU, where the statistics are taken (LAPACK).
static std::pair<Tensor, Tensor> features_and_logits(ClassifierImpl& clf, const Tensor& images,
                                                     int64_t batch) {
  const Device device = clf.parameters().at(0).device();
  std::vector<Tensor> feats, logits;
  for (int64_t i = 0; i < images.size(0); i += batch) {
    Tensor x = images.narrow(0, i, std::min(batch, images.size(0) - i)).to(kFloat32).to(device);
    Tensor f = clf.features(x);
    feats.push_back(f.to(kCPU));
    logits.push_back(clf.head(f).to(kCPU));
  }
  return {cat(feats, 0), cat(logits, 0)};
}

SampleScore score_samples(ClassifierImpl& clf, const Tensor& samples, const Tensor& reference,
                          int64_t batch_size) {
  ZG_CHECK(samples.dim() == 4 && samples.size(0) >= 2,
           "score_samples: expected samples [N >= 2, C, H, W] in [0, 1], got {}",
           shape_str(samples.shape()));
  NoGradGuard no_grad;
  bool was_training = clf.is_training();
  clf.eval();
  auto [f_s, logits] = features_and_logits(clf, samples, batch_size);
  auto [f_r, _] = features_and_logits(clf, reference, batch_size);
  clf.train(was_training);
  SampleScore s;
  s.count = samples.size(0);
  s.frechet = frechet_distance(feature_stats(f_s), feature_stats(f_r));
  s.histogram = class_histogram(logits);
  return s;
}

std::string format_score(const SampleScore& s, const std::vector<std::string>& names) {
  std::string out = fmt::format("samples: {}\nFréchet distance (classifier features): {:.3f}\n",
                                s.count, s.frechet);
  out += fmt::format(
      "classes covered (>= 1% of samples): {}/{}, mean confidence {:.3f}, "
      "entropy {:.3f} bits (uniform = {:.3f})\n",
      s.histogram.covered, s.histogram.counts.size(), s.histogram.mean_confidence,
      s.histogram.entropy_bits, std::log2(double(s.histogram.counts.size())));
  for (size_t k = 0; k < s.histogram.counts.size(); ++k) {
    double p = double(s.histogram.counts[k]) / double(s.count);
    out += fmt::format("  {:>2} {:<12} {:6} {:5.1f}% {}\n", k, k < names.size() ? names[k] : "",
                       s.histogram.counts[k], 100 * p, std::string(size_t(p * 100 + 0.5), '#'));
  }
  return out;
}

}  // namespace zg::models
