// The Fréchet distance and the class histogram of models/metrics.h, against closed forms.
#include <doctest/doctest.h>

#include <cmath>

#include "models/metrics.h"
#include "tests/test_util.h"
#include "zerogen.h"

namespace zg {
namespace {

using models::FeatureStats;
using test::max_abs_diff;

Tensor random_spd(int64_t d, Generator& gen) {
  Tensor a = randn({d, d}, gen, kFloat64);
  return a.matmul(a.t()) / static_cast<double>(d) + eye(d, kFloat64) * 0.1;
}
Tensor diag(const Tensor& v) { return eye(v.size(0), kFloat64) * v; }

TEST_CASE("symmetric_eigh reconstructs the matrix with orthonormal eigenvectors") {
  Generator gen(1);
  for (int64_t d : {1, 2, 5, 33}) {
    Tensor a = random_spd(d, gen);
    auto [lam, v] = models::symmetric_eigh(a);
    CHECK(max_abs_diff((v * lam).matmul(v.t()), a) < 1e-12 * d);
    CHECK(max_abs_diff(v.t().matmul(v), eye(d, kFloat64)) < 1e-12 * d);
    auto l = lam.to_vector<double>();
    CHECK(std::is_sorted(l.begin(), l.end()));
  }
  CHECK_THROWS_WITH_AS(models::symmetric_eigh(zeros({2, 3}, kFloat64)),
                       doctest::Contains("square matrix, got [2, 3]"), Error);
}

TEST_CASE("Fréchet distance: diagonal covariances give |Δμ|² + Σ(σ₁ − σ₂)²") {
  Tensor m1 = tensor({0.0, 1.0, -2.0}, kFloat64), m2 = tensor({0.5, 1.0, 0.0}, kFloat64);
  Tensor s1 = tensor({1.0, 4.0, 0.5}, kFloat64), s2 = tensor({3.0, 1.0, 0.5}, kFloat64);
  FeatureStats a{m1, diag(s1.square()), 100}, b{m2, diag(s2.square()), 100};
  double expected = (0.25 + 0.0 + 4.0) + (4.0 + 9.0 + 0.0);
  CHECK(models::frechet_distance(a, b) == doctest::Approx(expected).epsilon(1e-12));
}

// In 2-D, tr √(Σ₁Σ₂) = √(tr(Σ₁Σ₂) + 2√det(Σ₁Σ₂)): the eigenvalues λ of Σ₁Σ₂ are real and
// positive, and (√λ₁ + √λ₂)² = λ₁ + λ₂ + 2√(λ₁λ₂). An independent route for non-commuting Σ.
TEST_CASE("Fréchet distance: non-commuting 2×2 covariances against the closed form") {
  Generator gen(2);
  for (int rep = 0; rep < 20; ++rep) {
    Tensor s1 = random_spd(2, gen), s2 = random_spd(2, gen);
    Tensor m1 = randn({2}, gen, kFloat64), m2 = randn({2}, gen, kFloat64);
    auto e = s1.matmul(s2).to_vector<double>();
    double tr = e[0] + e[3], det = e[0] * e[3] - e[1] * e[2];
    double tr_sqrt = std::sqrt(tr + 2 * std::sqrt(det));
    auto t1 = s1.to_vector<double>(), t2 = s2.to_vector<double>();
    double expected =
        (m1 - m2).square().sum().item<double>() + t1[0] + t1[3] + t2[0] + t2[3] - 2 * tr_sqrt;
    double fd = models::frechet_distance({m1, s1, 10}, {m2, s2, 10});
    CHECK(fd == doctest::Approx(expected).epsilon(1e-10));
    // Symmetric, and zero against itself.
    CHECK(models::frechet_distance({m2, s2, 10}, {m1, s1, 10}) ==
          doctest::Approx(fd).epsilon(1e-10));
    CHECK(std::abs(models::frechet_distance({m1, s1, 10}, {m1, s1, 10})) < 1e-12);
  }
}

TEST_CASE("Fréchet distance: invariant to a rotation of the feature space (D = 40)") {
  Generator gen(3);
  int64_t d = 40;
  Tensor s1 = random_spd(d, gen), s2 = random_spd(d, gen);
  Tensor m1 = randn({d}, gen, kFloat64), m2 = randn({d}, gen, kFloat64);
  auto [_, q] = models::symmetric_eigh(random_spd(d, gen));  // a random orthogonal matrix
  double fd = models::frechet_distance({m1, s1, 10}, {m2, s2, 10});
  double fd_rot = models::frechet_distance({q.matmul(m1), q.matmul(s1).matmul(q.t()), 10},
                                           {q.matmul(m2), q.matmul(s2).matmul(q.t()), 10});
  CHECK(fd > 1.0);
  CHECK(fd_rot == doctest::Approx(fd).epsilon(1e-9));
}

TEST_CASE("feature_stats: mean and unbiased covariance") {
  Tensor f = tensor({1, 2, 3, 4, 5, 9}, kFloat64).view({3, 2});
  FeatureStats s = models::feature_stats(f);
  CHECK(max_abs_diff(s.mean, tensor({3.0, 5.0}, kFloat64)) < 1e-15);
  // columns (1,3,5) and (2,4,9): var 4 and 13, cov 7
  CHECK(max_abs_diff(s.cov, tensor({4.0, 7.0, 7.0, 13.0}, kFloat64).view({2, 2})) < 1e-14);
  CHECK_THROWS_WITH_AS(models::feature_stats(zeros({1, 3})), doctest::Contains("N >= 2"), Error);
}

TEST_CASE("class_histogram: counts, coverage, confidence, entropy") {
  // 4 samples: classes 0, 0, 2, 1 with known confidences.
  Tensor logits = tensor({5, 0, 0, 3, 0, 0, 0, 0, 9, 0, 1, 0}, kFloat64).view({4, 3});
  auto h = models::class_histogram(logits);
  CHECK(h.counts == std::vector<int64_t>{2, 1, 1});
  CHECK(h.covered == 3);
  CHECK(h.entropy_bits == doctest::Approx(1.5));
  auto conf = [](double a) { return std::exp(a) / (std::exp(a) + 2.0); };
  CHECK(h.mean_confidence == doctest::Approx((conf(5) + conf(3) + conf(9) + conf(1)) / 4));
}

}  // namespace
}  // namespace zg
