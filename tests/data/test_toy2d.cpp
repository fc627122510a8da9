// Toy distributions: sample moments against exact moments (closed forms, or quadrature for
// the swiss roll and the moons) within 4 standard errors; the mixture score against the
// autograd gradient of log_prob and against a hand-written density (float64); densities
// that integrate to 1 on a grid; far-away points; names and bad arguments.
#include <cmath>
#include <functional>
#include <numbers>

#include "data/toy2d.h"
#include "tests/check_error.h"
#include "tests/test_util.h"

namespace zg::test {
namespace {

using data::GaussianMixture;
constexpr double kPi = std::numbers::pi;

// Sample mean and covariance of x [n, 2] (float64) against exact ones: each mean within 4
// standard errors sqrt(Σ_dd / n); each covariance entry, as the mean of
// (x_i − m_i)(x_j − m_j) with the exact m, within 4 of its own standard errors.
void check_moments(const Tensor& x, const std::vector<double>& m,
                   const std::vector<std::vector<double>>& cov) {
  const int64_t n = x.size(0), d = x.size(1);
  auto v = x.to_vector<double>();
  for (int64_t i = 0; i < d; ++i) {
    double mean = 0;
    for (int64_t s = 0; s < n; ++s) mean += v[s * d + i];
    mean /= n;
    CAPTURE(i);
    CHECK(std::abs(mean - m[i]) < 4 * std::sqrt(cov[i][i] / n));
    for (int64_t j = 0; j <= i; ++j) {
      double sum = 0, sum2 = 0;
      for (int64_t s = 0; s < n; ++s) {
        double p = (v[s * d + i] - m[i]) * (v[s * d + j] - m[j]);
        sum += p;
        sum2 += p * p;
      }
      double c = sum / n, se = std::sqrt((sum2 / n - c * c) / n);
      CAPTURE(j);
      CHECK(std::abs(c - cov[i][j]) < 4 * se);
    }
  }
}

std::vector<std::vector<double>> to_matrix(const Tensor& c) {
  auto v = c.to_vector<double>();
  int64_t d = c.size(0);
  std::vector<std::vector<double>> out(d, std::vector<double>(d));
  for (int64_t i = 0; i < d; ++i)
    for (int64_t j = 0; j < d; ++j) out[i][j] = v[i * d + j];
  return out;
}

GaussianMixture lopsided3d() {  // unequal weights and stds, D = 3
  return GaussianMixture(tensor({1.0, 3.0, 6.0}, kFloat64),
                         from_vector<double>({0, 0, 0, 1, -2, 0.5, -1.5, 1, 2}, {3, 3}),
                         tensor({0.3, 1.0, 0.6}, kFloat64), "lopsided3d");
}

TEST_CASE("toy2d: mixture samples match the exact mean, covariance and weights") {
  Generator gen(11);
  const int64_t n = 20000;
  for (const GaussianMixture& gm : {data::eight_gaussians(), data::grid25(), data::two_modes(),
                                    lopsided3d(), data::eight_gaussians().convolved(0.3)}) {
    CAPTURE(gm.name());
    auto [x, comp] = gm.sample_with_components(n, gen, kFloat64);
    REQUIRE(x.shape() == Shape{n, gm.dim()});
    check_moments(x, gm.mean().to_vector<double>(), to_matrix(gm.covariance()));
    auto w = gm.weights().to_vector<double>();
    std::vector<double> count(w.size());
    for (int64_t c : comp.to_vector<int64_t>()) count.at(c) += 1;
    for (size_t k = 0; k < w.size(); ++k)
      CHECK(std::abs(count[k] / n - w[k]) < 4 * std::sqrt(w[k] * (1 - w[k]) / n));
  }
  // The closed forms themselves, by hand for D20: mean (3, 3), covariance I + 16·11ᵀ.
  GaussianMixture d20 = data::two_modes();
  CHECK(d20.mean().to_vector<double>() == std::vector<double>{3, 3});
  CHECK(allclose(d20.covariance(), from_vector<double>({17, 16, 16, 17}, {2, 2}), 1e-14, 1e-12));
  CHECK(allclose(data::eight_gaussians().covariance(),
                 from_vector<double>({2.0004, 0, 0, 2.0004}, {2, 2}), 1e-12, 1e-12));
  // float32 samples are the float64 ones rounded (same stream).
  Generator g1(5), g2(5);
  CHECK(max_abs_diff(d20.sample(100, g1, kFloat32), d20.sample(100, g2, kFloat64).to(kFloat32)) ==
        0);
}

// E over θ ~ U[a, b] of f(θ), by composite Simpson with 20000 intervals (error ~1e-15 here).
double expect_uniform(double a, double b, const std::function<double(double)>& f) {
  const int m = 20000;
  double h = (b - a) / m, s = f(a) + f(b);
  for (int i = 1; i < m; ++i) s += f(a + i * h) * (i % 2 ? 4 : 2);
  return s * h / 3 / (b - a);
}

TEST_CASE("toy2d: swiss roll, two moons and checkerboard samples match exact moments") {
  Generator gen(3);
  const int64_t n = 40000;
  {  // swiss roll: t ~ U[1.5π, 4.5π], (t cos t, t sin t)/5 + N(0, 0.2²)
    auto e = [](auto f) { return expect_uniform(1.5 * kPi, 4.5 * kPi, f); };
    double mx = e([](double t) { return t * std::cos(t) / 5; });
    double my = e([](double t) { return t * std::sin(t) / 5; });
    double xx = e([](double t) { return std::pow(t * std::cos(t) / 5, 2); }) + 0.04 - mx * mx;
    double yy = e([](double t) { return std::pow(t * std::sin(t) / 5, 2); }) + 0.04 - my * my;
    double xy = e([](double t) { return t * t * std::cos(t) * std::sin(t) / 25; }) - mx * my;
    check_moments(data::swiss_roll()->sample(n, gen, kFloat64), {mx, my}, {{xx, xy}, {xy, yy}});
  }
  {  // two moons: ½ upper (cos θ, sin θ) + ½ lower (1 − cos θ, ½ − sin θ), θ ~ U[0, π];
     // then ×2 + (−1, −0.2) + N(0, 0.2²)
    auto e = [](auto f) { return expect_uniform(0, kPi, f); };
    auto ux = [](double t) { return 2 * std::cos(t) - 1; };
    auto uy = [](double t) { return 2 * std::sin(t) - 0.2; };
    auto lx = [](double t) { return 2 * (1 - std::cos(t)) - 1; };
    auto ly = [](double t) { return 2 * (0.5 - std::sin(t)) - 0.2; };
    auto half = [&](auto f, auto g) { return 0.5 * e(f) + 0.5 * e(g); };
    double mx = half(ux, lx), my = half(uy, ly);
    double xx =
        half([&](double t) { return ux(t) * ux(t); }, [&](double t) { return lx(t) * lx(t); }) +
        0.04 - mx * mx;
    double yy =
        half([&](double t) { return uy(t) * uy(t); }, [&](double t) { return ly(t) * ly(t); }) +
        0.04 - my * my;
    double xy =
        half([&](double t) { return ux(t) * uy(t); }, [&](double t) { return lx(t) * ly(t); }) -
        mx * my;
    check_moments(data::two_moons()->sample(n, gen, kFloat64), {mx, my}, {{xx, xy}, {xy, yy}});
  }
  {  // checkerboard: uniform marginals on [−4, 4) (variance 16/3); E[xy] = 1 by columns
    Tensor x = data::checkerboard()->sample(n, gen, kFloat64);
    check_moments(x, {0, 0}, {{16.0 / 3, 1}, {1, 16.0 / 3}});
    auto lp = data::checkerboard()->log_prob(x).to_vector<double>();
    for (double l : lp) CHECK(l == -std::log(32.0));  // every sample is in an occupied square
  }
}

TEST_CASE("toy2d: mixture score equals the autograd gradient of log_prob (float64)") {
  Generator gen(2);
  for (const GaussianMixture& gm :
       {data::eight_gaussians(), data::grid25(), data::two_modes(), lopsided3d(),
        data::eight_gaussians().convolved(0.5), data::two_modes().convolved(2.0)}) {
    CAPTURE(gm.name());
    // Points near the modes and far away (up to ~40 σ_data out).
    Tensor x = cat({gm.sample(64, gen, kFloat64), 6.0 * randn({64, gm.dim()}, gen, kFloat64)})
                   .requires_grad_();
    Tensor lp = gm.log_prob(x);
    Tensor g = autograd::grad({lp.sum()}, {x})[0];
    Tensor s = gm.score(x.detach());
    double scale = std::max(1.0, g.abs().max().item<double>());
    CHECK(max_abs_diff(s, g) / scale < 1e-10);

    // log_prob against the density written out by hand, where it does not underflow.
    auto xv = x.detach().to_vector<double>(), w = gm.weights().to_vector<double>(),
         mu = gm.means().to_vector<double>(), sd = gm.stds().to_vector<double>();
    auto lpv = lp.detach().to_vector<double>();
    const int64_t d = gm.dim(), k = gm.num_components();
    for (int64_t i = 0; i < x.size(0); ++i) {
      double p = 0;
      for (int64_t c = 0; c < k; ++c) {
        double d2 = 0;
        for (int64_t j = 0; j < d; ++j) d2 += std::pow(xv[i * d + j] - mu[c * d + j], 2);
        p += w[c] * std::pow(2 * kPi * sd[c] * sd[c], -0.5 * d) *
             std::exp(-d2 / (2 * sd[c] * sd[c]));
      }
      if (p > 1e-280) CHECK(lpv[i] == doctest::Approx(std::log(p)).epsilon(1e-12));
    }
    // log_prob is differentiable to second order (score matching needs ∇·s).
    Tensor x0 = gm.sample(3, gen, kFloat64).requires_grad_();
    CHECK(autograd::gradcheck([&](const std::vector<Tensor>& in) { return gm.log_prob(in[0]); },
                              {x0}));
    CHECK(
        autograd::gradcheck([&](const std::vector<Tensor>& in) { return gm.score(in[0]); }, {x0}));
  }
}

TEST_CASE("toy2d: scores far from every mode are finite and exact") {
  // At (1000, 1000) the ring mode at 45° dominates by e^(10^9): score = (μ_1 − x)/σ².
  GaussianMixture ring = data::eight_gaussians();
  Tensor x = from_vector<double>({1000, 1000}, {1, 2});
  double r = 2.0 / std::sqrt(2.0), v = 0.02 * 0.02;
  Tensor want = from_vector<double>({(r - 1000) / v, (r - 1000) / v}, {1, 2});
  CHECK(allclose(ring.score(x), want, 1e-12, 0));
  CHECK(std::isfinite(ring.log_prob(x).item<double>()));
  // float32 too (the dtype trainers use): finite, and close to the float64 answer.
  Tensor s32 = ring.score(x.to(kFloat32));
  CHECK(allclose(s32.to(kFloat64), want, 1e-5, 0));
  // Equidistant from D20's two modes: responsibilities are the weights.
  Tensor far = from_vector<double>({100, -100}, {1, 2});
  CHECK(allclose(data::two_modes().responsibilities(far), from_vector<double>({0.2, 0.8}, {1, 2}),
                 1e-12, 1e-12));
}

// Σ exp(log_prob) h² over the midpoints of a grid of [lo, hi]² with spacing h (in blocks of
// rows, so the temporaries stay small).
double grid_integral(const data::Toy2D& dist, double lo, double hi, double h) {
  int64_t m = static_cast<int64_t>(std::llround((hi - lo) / h));
  Tensor c = linspace(lo + h / 2, hi - h / 2, m, kFloat64);
  double total = 0;
  for (int64_t r0 = 0; r0 < m; r0 += 32) {
    int64_t rows = std::min<int64_t>(32, m - r0);
    Tensor xs = c.narrow(0, r0, rows).unsqueeze(1).expand({rows, m}).reshape({-1, 1});
    Tensor ys = c.unsqueeze(0).expand({rows, m}).reshape({-1, 1});
    total += dist.log_prob(cat({xs, ys}, 1)).exp().sum().item<double>();
  }
  return total * h * h;
}

TEST_CASE("toy2d: densities integrate to 1 on a grid") {
  // The midpoint rule on a Gaussian with spacing h ≤ σ/2 errs by ~exp(−2π²σ²/h²) < 1e-30;
  // what remains is rounding and the tails beyond the box (> 8σ).
  CHECK(grid_integral(data::eight_gaussians(), -2.5, 2.5, 0.01) ==
        doctest::Approx(1).epsilon(1e-9));
  CHECK(grid_integral(data::grid25(), -5, 5, 0.025) == doctest::Approx(1).epsilon(1e-9));
  CHECK(grid_integral(data::two_modes(), -14, 14, 0.1) == doctest::Approx(1).epsilon(1e-9));
  CHECK(grid_integral(data::eight_gaussians().convolved(0.5), -7, 7, 0.1) ==
        doctest::Approx(1).epsilon(1e-9));
  CHECK(grid_integral(*data::checkerboard(), -5, 5, 0.1) == doctest::Approx(1).epsilon(1e-12));
}

TEST_CASE("toy2d: make_toy2d by name, and bad arguments") {
  Generator gen(0);
  for (const std::string& name : data::toy2d_names()) {
    CAPTURE(name);
    auto dist = data::make_toy2d(name);
    CHECK(dist->name() == name);
    Tensor x = dist->sample(50, gen);
    CHECK(x.shape() == Shape{50, 2});
    CHECK(x.dtype() == kFloat32);
    CHECK(std::isfinite(x.sum().item<double>()));
    if (dist->has_log_prob()) CHECK(dist->log_prob(x.to(kFloat64)).shape() == Shape{50});
    if (dist->has_score()) CHECK(dist->score(x).shape() == Shape{50, 2});
  }
  CHECK_FALSE(data::make_toy2d("swiss_roll")->has_log_prob());
  CHECK_FALSE(data::make_toy2d("checkerboard")->has_score());
  CHECK_ZG_ERROR(data::make_toy2d("swiss_roll")->log_prob(zeros({1, 2})), "swiss_roll",
                 "no exact log density");
  CHECK_ZG_ERROR(data::make_toy2d("checkerboard")->score(zeros({1, 2})), "checkerboard",
                 "no exact score");
  CHECK_ZG_ERROR(data::make_toy2d("8gaussians"), "make_toy2d", "\"8gaussians\"",
                 "eight_gaussians, grid25, two_modes, swiss_roll, two_moons, checkerboard");
  Tensor w = tensor({0.5, 0.5}, kFloat64), mu = zeros({2, 2}, kFloat64), sd = ones({2}, kFloat64);
  CHECK_ZG_ERROR(GaussianMixture(tensor({0.5, -0.5}, kFloat64), mu, sd), "weights", "positive");
  CHECK_ZG_ERROR(GaussianMixture(w, mu, tensor({1.0, 0.0}, kFloat64)), "stds", "positive");
  CHECK_ZG_ERROR(GaussianMixture(w, zeros({3, 2}, kFloat64), sd), "[2]", "[3, 2]");
  CHECK_ZG_ERROR(GaussianMixture(w, zeros({2}, kFloat64), sd), "means [K, D]", "[2]");
  GaussianMixture gm(w, mu, sd);
  CHECK_ZG_ERROR(gm.log_prob(zeros({4, 3})), "gaussian_mixture", "[N, 2]", "[4, 3]");
  CHECK_ZG_ERROR(gm.score(zeros({4, 2}, kInt64)), "floating-point", "int64");
  CHECK_ZG_ERROR(gm.convolved(-1), "convolved", "-1");
  CHECK_ZG_ERROR(gm.sample(-1, gen), "sample count", "-1");
  CHECK_ZG_ERROR(gm.sample(2, gen, kInt64), "float32 or float64", "int64");
  CHECK_ZG_ERROR(data::swiss_roll()->sample(2, gen, kInt64), "swiss_roll", "int64");
  CHECK_ZG_ERROR(data::checkerboard()->sample(-2, gen), "checkerboard", "-2");
  // Weights are normalised.
  CHECK(GaussianMixture(tensor({2.0, 6.0}, kFloat64), mu, sd).weights().to_vector<double>() ==
        std::vector<double>{0.25, 0.75});
}

}  // namespace
}  // namespace zg::test
