#include "models/toy_metrics.h"

#include <cmath>
#include <limits>

#include "autograd/grad_mode.h"
#include "tensor/error.h"

namespace zg::models {

namespace {

void check_samples(const Tensor& samples, int64_t dim, const char* fn) {
  ZG_CHECK(samples.defined() && samples.dim() == 2 && samples.size(1) == dim &&
               samples.is_floating_point(),
           "{}: expected floating-point samples [N, {}], got {}", fn, dim,
           samples.defined() ? shape_str(samples.shape()) : "undefined");
  ZG_CHECK(samples.size(0) > 0, "{}: no samples", fn);
}

// For each sample, the mode it belongs to (−1: none within k_sigma·σ of any).
std::vector<int64_t> assign_modes(const Tensor& samples, const data::GaussianMixture& mix,
                                  double k_sigma, const char* fn) {
  check_samples(samples, mix.dim(), fn);
  ZG_CHECK(k_sigma > 0 && std::isfinite(k_sigma), "{}: k_sigma must be positive, got {}", fn,
           k_sigma);
  NoGradGuard no_grad;
  Tensor x = samples.detach().to(kFloat64);
  // ‖x − μ_k‖²/σ_k², [N, K]: distances in units of each mode's own std.
  Tensor z2 = (x.unsqueeze(1) - mix.means().unsqueeze(0)).square().sum({2}) /
              mix.stds().square().unsqueeze(0);
  const int64_t n = x.size(0), k = mix.num_components();
  std::vector<double> d = z2.contiguous().to_vector<double>();
  std::vector<int64_t> mode(n, -1);
  for (int64_t i = 0; i < n; ++i) {
    double best = std::numeric_limits<double>::infinity();
    for (int64_t j = 0; j < k; ++j)
      if (d[i * k + j] < best) best = d[i * k + j], mode[i] = j;
    // NaN samples compare false everywhere and belong to no mode.
    if (!(best <= k_sigma * k_sigma)) mode[i] = -1;
  }
  return mode;
}

}  // namespace

std::vector<int64_t> mode_counts(const Tensor& samples, const data::GaussianMixture& mixture,
                                 double k_sigma) {
  std::vector<int64_t> counts(mixture.num_components(), 0);
  for (int64_t m : assign_modes(samples, mixture, k_sigma, "mode_counts"))
    if (m >= 0) ++counts[m];
  return counts;
}

int64_t modes_covered(const Tensor& samples, const data::GaussianMixture& mixture, double k_sigma,
                      double min_fraction) {
  ZG_CHECK(min_fraction > 0 && min_fraction <= 1,
           "modes_covered: min_fraction must be in (0, 1], got {}", min_fraction);
  auto counts = mode_counts(samples, mixture, k_sigma);
  const double n = static_cast<double>(samples.size(0));
  int64_t covered = 0;
  // count ≥ min_fraction·N, compared as count/N ≥ min_fraction would round 10/1000 vs 0.01
  // either way; the product of two exact-enough numbers with a tiny slack does not.
  for (int64_t c : counts) covered += static_cast<double>(c) >= min_fraction * n * (1 - 1e-12);
  return covered;
}

double high_quality_fraction(const Tensor& samples, const data::GaussianMixture& mixture,
                             double k_sigma) {
  auto mode = assign_modes(samples, mixture, k_sigma, "high_quality_fraction");
  int64_t good = 0;
  for (int64_t m : mode) good += m >= 0;
  return static_cast<double>(good) / static_cast<double>(mode.size());
}

double expected_high_quality_fraction(const data::GaussianMixture& mixture, double k_sigma) {
  // P(χ²_D ≤ k²) = P(D/2, k²/2), the regularised lower incomplete gamma function, by its
  // power series x^a e^{−x} Σ_n x^n / Γ(a + n + 1) (converges fast for x = 4.5).
  const double a = 0.5 * static_cast<double>(mixture.dim()), x = 0.5 * k_sigma * k_sigma;
  double term = std::exp(a * std::log(x) - x - std::lgamma(a + 1)), sum = term;
  for (int n = 1; n < 500 && term > 1e-17 * sum; ++n) sum += term *= x / (a + n);
  return std::min(1.0, sum);
}

double mmd2_unbiased(const Tensor& x, const Tensor& y, const MmdOptions& options) {
  ZG_CHECK(x.defined() && y.defined() && x.dim() == 2 && y.dim() == 2 && x.size(1) == y.size(1) &&
               x.is_floating_point() && y.is_floating_point(),
           "mmd2_unbiased: expected floating-point x [M, D] and y [N, D], got {} and {}",
           x.defined() ? shape_str(x.shape()) : "undefined",
           y.defined() ? shape_str(y.shape()) : "undefined");
  ZG_CHECK(x.size(0) >= 2 && y.size(0) >= 2,
           "mmd2_unbiased: the unbiased estimate needs at least 2 samples on each side, got {} "
           "and {}",
           x.size(0), y.size(0));
  ZG_CHECK(!options.bandwidths.empty(), "mmd2_unbiased: no kernel bandwidths");
  for (double h : options.bandwidths)
    ZG_CHECK(h > 0 && std::isfinite(h), "mmd2_unbiased: bandwidths must be positive, got {}", h);
  NoGradGuard no_grad;
  Tensor a = x.detach().to(kFloat64), b = y.detach().to(kFloat64);
  // ‖u − v‖² = ‖u‖² + ‖v‖² − 2 u·v through one GEMM; clamped at 0 against rounding.
  auto sq_dist = [](const Tensor& u, const Tensor& v) {
    Tensor uu = u.square().sum({1}).unsqueeze(1), vv = v.square().sum({1}).unsqueeze(0);
    return (uu + vv - 2.0 * u.matmul(v.transpose(0, 1))).clamp_min(0.0);
  };
  // Σ over all pairs of the kernel, averaged over the bandwidths.
  auto kernel_sum = [&](const Tensor& d2) {
    double s = 0;
    for (double h : options.bandwidths) s += (d2 * (-0.5 / (h * h))).exp().sum().item<double>();
    return s / static_cast<double>(options.bandwidths.size());
  };
  const double m = static_cast<double>(a.size(0)), n = static_cast<double>(b.size(0));
  // The same-sample sums leave out i = j, where k(x_i, x_i) = 1 for every bandwidth.
  double kxx = (kernel_sum(sq_dist(a, a)) - m) / (m * (m - 1));
  double kyy = (kernel_sum(sq_dist(b, b)) - n) / (n * (n - 1));
  double kxy = kernel_sum(sq_dist(a, b)) / (m * n);
  return kxx + kyy - 2 * kxy;
}

}  // namespace zg::models
