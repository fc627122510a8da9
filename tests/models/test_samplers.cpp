// The samplers of models/samplers.h on Gaussian data N(μ, s²) with the exact denoiser
//   x̂_0(x, k) = μ + a s²/(a² s² + b²)·(x − a μ).
// Then every step of every sampler is affine, x_j = A x_k + B + C z, so the exact mean and
// variance of what a sampler returns follow from a scalar recursion. `Reference` below
// writes each sampler's step again in scalars, from the papers' own forms (DDPM through
// DiffusionSchedule, DDIM's eq. 16 in its VP and VE forms, NCSN's reverse diffusion for VE);
// the Monte Carlo moments must match it within 4 standard errors, and the reference itself
// must be close to N(μ, s²) — the discretisation error of each configuration, stated below.
// Comparisons go through test::allclose, which fails on NaN (a σ² > b_s² in DDIM gives one).
#include <doctest/doctest.h>

#include <cmath>
#include <functional>

#include "models/samplers.h"
#include "tests/check_error.h"
#include "tests/test_util.h"

using namespace zg;
using namespace zg::models;

namespace {

constexpr double kMu = 1.0, kStd = 0.5;

double exact_x0(const NoiseLevels& l, double x, int k) {
  const double a = l.a[k], b = l.b[k];
  return kMu + a * kStd * kStd / (a * a * kStd * kStd + b * b) * (x - a * kMu);
}

Denoiser gaussian_denoiser(const NoiseLevels& levels, Prediction prediction) {
  Denoiser d;
  d.levels = levels;
  d.prediction = prediction;
  d.network = [levels, prediction](const Tensor& x, int k) {
    const double a = levels.a[k], b = levels.b[k];
    const double gain = a * kStd * kStd / (a * a * kStd * kStd + b * b);
    Tensor x0 = (x - a * kMu) * gain + kMu;
    Tensor eps = (x - x0 * a) / b;
    if (prediction == Prediction::kX0) return x0;
    if (prediction == Prediction::kEpsilon) return eps;
    return eps * (-1.0 / b);
  };
  return d;
}

struct Affine {  // x = p·x_K + q, and its mean and variance when x_K ~ N(0, b_K²) and noise
  double p = 1, q = 0, mean = 0, var = 0;
};

// One step x' = f(x, z) applied to the moments (f is affine in x and z).
void apply(Affine& m, const std::function<double(double, double)>& f) {
  const double B = f(0, 0), A = f(1, 0) - B, C = f(0, 1) - B;
  m.p *= A;
  m.q = A * m.q + B;
  m.mean = A * m.mean + B;
  m.var = A * A * m.var + C * C;
}

Affine reference(const NoiseLevels& l, const SamplerOptions& o,
                 const DiffusionSchedule* s = nullptr, int stop_at_level = -1) {
  const auto& a = l.a;
  const auto& b = l.b;
  const int K = l.num_levels();
  Affine m;
  m.var = b[K] * b[K];
  auto x0 = [&](double x, int k) { return exact_x0(l, x, k); };
  auto eps = [&](double x, int k) { return (x - a[k] * x0(x, k)) / b[k]; };
  auto score = [&](double x, int k) { return -eps(x, k) / b[k]; };
  std::vector<int> path = sampler_levels(K, o.steps);
  if (o.kind == SamplerKind::kLangevin) {
    for (int k : path) {
      const double alpha = o.langevin_step_size * b[k] * b[k] / (b[path.back()] * b[path.back()]);
      for (int i = 0; i < o.langevin_steps_per_level; ++i)
        apply(m, [&](double x, double z) {
          return x + alpha / 2 * score(x, k) + std::sqrt(alpha) * z;
        });
    }
    if (o.denoise_last) apply(m, [&](double x, double) { return x0(x, path.back()); });
    return m;
  }
  path.push_back(0);
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    const int k = path[i], j = path[i + 1];
    if (k == stop_at_level) break;
    switch (o.kind) {
      case SamplerKind::kDdpm:  // D15 with the schedule's own α, β, β̃
        apply(m, [&](double x, double z) {
          const double var = k == 1                      ? 0
                             : o.ddpm_posterior_variance ? s->posterior_variance(k)
                                                         : s->beta[k];
          return s->posterior_mean_from_eps(k, x, eps(x, k)) + std::sqrt(var) * z;
        });
        break;
      case SamplerKind::kDdim:  // Song et al. 2021 eq. 12 and 16
        apply(m, [&](double x, double z) {
          const double var =
              l.variance_preserving
                  ? o.eta * o.eta * (b[j] * b[j] / (b[k] * b[k])) *
                        (1 - a[k] * a[k] / (a[j] * a[j]))
                  : o.eta * o.eta * b[j] * b[j] * (b[k] * b[k] - b[j] * b[j]) / (b[k] * b[k]);
          return a[j] * x0(x, k) + std::sqrt(b[j] * b[j] - var) * eps(x, k) + std::sqrt(var) * z;
        });
        break;
      case SamplerKind::kSde:
        apply(m, [&](double x, double z) {
          if (j == 0 && o.denoise_last) return x0(x, k);
          const double lk = b[k] * b[k] / (a[k] * a[k]), lj = b[j] * b[j] / (a[j] * a[j]);
          const double g2 = a[k] * a[k] * (lk - lj);
          return x - std::log(a[k] / a[j]) * x + g2 * score(x, k) + std::sqrt(g2) * z;
        });
        break;
      case SamplerKind::kOde:  // Heun on dy/dσ̃ = ε̂, y = x/a, σ̃ = b/a
        apply(m, [&](double x, double) {
          const double h = b[j] / a[j] - b[k] / a[k], y = x / a[k], d = eps(x, k);
          if (j == 0) return y + h * d;
          return a[j] * (y + h * (d + eps(a[j] * (y + h * d), j)) / 2);
        });
        break;
      case SamplerKind::kLangevin:
        break;
    }
  }
  return m;
}

struct Stats {
  double mean, var;
};
Stats stats(const Tensor& x) {
  const double mean = x.mean().item<double>();
  return {mean, (x - mean).square().mean().item<double>()};
}

// Monte Carlo against the reference (4 SE), the reference against N(μ, s²) (the budgets).
void check_recovers(const NoiseLevels& levels, const SamplerOptions& o, double mean_budget,
                    double var_budget, const DiffusionSchedule* s = nullptr) {
  constexpr int64_t n = 10000;
  INFO(sampler_name(o.kind) << " steps " << o.steps << " eta " << o.eta << " beta~ "
                            << o.ddpm_posterior_variance);
  Generator gen(7);
  Tensor x = sample(gaussian_denoiser(levels, Prediction::kEpsilon), o, {n}, gen, {}, kFloat64);
  const Affine ref = reference(levels, o, s);
  const Stats got = stats(x);
  INFO("got mean " << got.mean << " var " << got.var << "; reference " << ref.mean << " "
                   << ref.var);
  CHECK(std::abs(got.mean - ref.mean) <= 4 * std::sqrt(ref.var / n));
  CHECK(std::abs(got.var - ref.var) <= 4 * ref.var * std::sqrt(2.0 / (n - 1)));
  CHECK(std::abs(ref.mean - kMu) <= mean_budget);
  CHECK(std::abs(ref.var / (kStd * kStd) - 1) <= var_budget);
}

}  // namespace

TEST_CASE("ddpm and sde on DDPM levels recover N(mu, s^2) with the exact denoiser") {
  const auto schedule = DiffusionSchedule::linear();
  const auto levels = NoiseLevels::from_schedule(schedule);
  // Budgets: the reference's error for these settings (mean; variance, relative).
  check_recovers(levels, {.kind = SamplerKind::kDdpm}, 1e-4, 0.02, &schedule);  // β̃: −1.5%
  check_recovers(levels, {.kind = SamplerKind::kDdpm, .ddpm_posterior_variance = false}, 1e-4,
                 0.005, &schedule);                                  // β: +0.3%
  check_recovers(levels, {.kind = SamplerKind::kSde}, 0.001, 0.01);  // +0.6%
}

TEST_CASE("ddim, ode and langevin on DDPM levels recover N(mu, s^2) with the exact denoiser") {
  const auto levels = NoiseLevels::from_schedule(DiffusionSchedule::linear());
  // The ODE and DDIM η = 0 carry the start's mismatch N(0, b_K²) vs p_K, μ·s·a_K/b_K ≈ 0.003
  // in the mean.
  check_recovers(levels, {.kind = SamplerKind::kDdim}, 0.004, 0.01);                // −0.6%
  check_recovers(levels, {.kind = SamplerKind::kDdim, .steps = 250}, 0.004, 0.03);  // −2.4%
  check_recovers(levels, {.kind = SamplerKind::kDdim, .steps = 250, .eta = 0.5}, 0.002, 0.035);
  check_recovers(levels, {.kind = SamplerKind::kOde, .steps = 100}, 0.004, 0.01);  // −0.6%
  check_recovers(levels,
                 {.kind = SamplerKind::kLangevin,
                  .steps = 100,
                  .langevin_steps_per_level = 20,
                  .langevin_step_size = 5e-3},
                 0.005, 0.025);  // mean −0.003, variance +1.9%
}

TEST_CASE("samplers on NCSN (variance-exploding) levels recover N(mu, s^2)") {
  const auto levels = NoiseLevels::from_sigmas(geometric_sigmas(100, 0.01, 500));
  // σ_1 = 100 against the data's |μ| + s: the start's mismatch is μ·s/σ_1 = 0.005 for the ODE.
  check_recovers(levels, {.kind = SamplerKind::kDdim}, 0.006, 0.015);               // −1.0%
  check_recovers(levels, {.kind = SamplerKind::kDdim, .eta = 1.0}, 1e-4, 0.025);    // −1.9%
  check_recovers(levels, {.kind = SamplerKind::kDdim, .steps = 100}, 0.006, 0.05);  // −4.6%
  check_recovers(levels, {.kind = SamplerKind::kSde}, 1e-4, 0.025);                 // +1.8%
  check_recovers(levels, {.kind = SamplerKind::kOde, .steps = 100}, 0.006, 0.005);  // +0.2%
  // Annealed Langevin needs a last level that still mixes (α_L = ε against s²).
  const auto langevin_levels = NoiseLevels::from_sigmas(geometric_sigmas(50, 0.05, 20));
  check_recovers(
      langevin_levels,
      {.kind = SamplerKind::kLangevin, .langevin_steps_per_level = 50, .langevin_step_size = 5e-3},
      1e-6, 0.005);  // +0.25%
}

TEST_CASE("deterministic samplers map x_K exactly as the formulas say") {
  const auto levels = NoiseLevels::from_schedule(DiffusionSchedule::linear());
  for (SamplerOptions o : {SamplerOptions{.kind = SamplerKind::kDdim, .steps = 50},
                           SamplerOptions{.kind = SamplerKind::kOde, .steps = 40}}) {
    INFO(sampler_name(o.kind));
    Generator gen(11), same(11);
    Tensor x = sample(gaussian_denoiser(levels, Prediction::kX0), o, {500}, gen, {}, kFloat64);
    Tensor x_K = randn({500}, same, kFloat64) * levels.b[1000];
    const Affine ref = reference(levels, o);
    CHECK(test::allclose(x, x_K * ref.p + ref.q, 0, 1e-9));
  }
}

TEST_CASE("ddim with eta = 1 on every level is ddpm with beta~, path by path") {
  const auto levels = NoiseLevels::from_schedule(DiffusionSchedule::linear(100, 1e-3, 0.2));
  Denoiser d = gaussian_denoiser(levels, Prediction::kEpsilon);
  Generator g1(5), g2(5);
  Tensor ddpm = sample(d, {.kind = SamplerKind::kDdpm}, {200}, g1, {}, kFloat64);
  Tensor ddim = sample(d, {.kind = SamplerKind::kDdim, .eta = 1.0}, {200}, g2, {}, kFloat64);
  CHECK(test::allclose(ddpm, ddim, 0, 1e-10));
  CHECK(g1.offset() == g2.offset());  // the same noise draws: none at t = 1
}

TEST_CASE("ddpm: sigma^2 = beta and beta~ give the variances the recursion predicts") {
  // A short schedule, where the two choices differ by far more than the Monte Carlo error;
  // measured at level 1 through the callback.
  const auto schedule = DiffusionSchedule::linear(10, 0.05, 0.5);
  const auto levels = NoiseLevels::from_schedule(schedule);
  constexpr int64_t n = 20000;
  double var_at_1[2];
  for (bool posterior : {true, false}) {
    SamplerOptions o{.kind = SamplerKind::kDdpm, .ddpm_posterior_variance = posterior};
    Generator gen(3);
    Tensor at_level_1;
    sample(
        gaussian_denoiser(levels, Prediction::kScore), o, {n}, gen,
        [&](int, int level, const Tensor& x) {
          if (level == 1) at_level_1 = x.clone();
        },
        kFloat64);
    REQUIRE(at_level_1.defined());
    const Affine ref = reference(levels, o, &schedule, 1);
    const Stats got = stats(at_level_1);
    INFO("beta~ " << posterior << ": got " << got.var << " reference " << ref.var);
    CHECK(std::abs(got.mean - ref.mean) <= 4 * std::sqrt(ref.var / n));
    CHECK(std::abs(got.var - ref.var) <= 4 * ref.var * std::sqrt(2.0 / (n - 1)));
    var_at_1[posterior] = ref.var;
  }
  CHECK(std::abs(var_at_1[0] - var_at_1[1]) > 20 * var_at_1[1] * std::sqrt(2.0 / n));
}

TEST_CASE("Denoiser: eps, x0 and score predictions convert into each other") {
  const auto levels = NoiseLevels::from_schedule(DiffusionSchedule::linear(50, 1e-3, 0.2));
  Generator gen(1);
  Tensor x = randn({64}, gen, kFloat64);
  for (int k : {1, 25, 50}) {
    Denoiser e = gaussian_denoiser(levels, Prediction::kEpsilon);
    Denoiser x0 = gaussian_denoiser(levels, Prediction::kX0);
    Denoiser s = gaussian_denoiser(levels, Prediction::kScore);
    for (const Denoiser* d : {&e, &x0, &s}) {
      INFO(prediction_name(d->prediction) << " at level " << k);
      // Scale of each quantity: ε ~ 1, x̂_0 ~ |x|/a, s ~ 1/b; rounding through 1/b and 1/a.
      const double tol = 1e-12 / (levels.a[k] * levels.b[k] * levels.b[k]);
      CHECK(test::allclose(d->epsilon(x, k), e.network(x, k), 0, tol));
      CHECK(test::allclose(d->x0(x, k), x0.network(x, k), 0, tol));
      CHECK(test::allclose(d->score(x, k), s.network(x, k), 0, tol));
    }
  }
}

TEST_CASE("NoiseLevels from a schedule and from sigmas; geometric sigmas") {
  const auto schedule = DiffusionSchedule::linear(10, 0.01, 0.1);
  const auto vp = NoiseLevels::from_schedule(schedule);
  REQUIRE(vp.num_levels() == 10);
  CHECK(vp.variance_preserving);
  CHECK(vp.a[0] == 1.0);
  CHECK(vp.b[0] == 0.0);
  CHECK(vp.a[7] == doctest::Approx(std::sqrt(schedule.alpha_bar[7])).epsilon(1e-15));
  CHECK(vp.b[1] == doctest::Approx(std::sqrt(0.01)).epsilon(1e-13));
  CHECK(vp.condition[7] == 7);

  auto sigmas = geometric_sigmas(10, 0.1, 3);
  REQUIRE(sigmas.size() == 3);
  CHECK(sigmas[0] == 10.0);
  CHECK(sigmas[1] == doctest::Approx(1.0).epsilon(1e-14));
  CHECK(sigmas[2] == 0.1);
  const auto ve = NoiseLevels::from_sigmas(sigmas);
  CHECK_FALSE(ve.variance_preserving);
  CHECK(ve.a == std::vector<double>{1, 1, 1, 1});
  CHECK(ve.b == std::vector<double>{0, 0.1, sigmas[1], 10});  // level K is σ_1
  CHECK(ve.condition == ve.b);

  CHECK_ZG_ERROR(NoiseLevels::from_sigmas({1.0, 2.0}), "from_sigmas", "strictly decreasing");
  CHECK_ZG_ERROR(NoiseLevels::from_sigmas({}), "from_sigmas", "no sigmas");
  CHECK_ZG_ERROR(geometric_sigmas(0.1, 1.0, 5), "geometric_sigmas", "sigma_max > sigma_min");
  CHECK_ZG_ERROR(geometric_sigmas(1.0, 0.1, 1), "geometric_sigmas", "count >= 2");
}

TEST_CASE("sampler_levels: evenly spaced, from K down, strictly descending") {
  CHECK(sampler_levels(5, 0) == std::vector<int>{5, 4, 3, 2, 1});
  CHECK(sampler_levels(5, 5) == std::vector<int>{5, 4, 3, 2, 1});
  CHECK(sampler_levels(10, 3) == std::vector<int>{10, 7, 3});
  CHECK(sampler_levels(7, 1) == std::vector<int>{7});
  auto fifty = sampler_levels(1000, 50);
  REQUIRE(fifty.size() == 50);
  CHECK(fifty.front() == 1000);
  CHECK(fifty.back() == 20);
  for (size_t i = 1; i < fifty.size(); ++i) CHECK(fifty[i - 1] - fifty[i] == 20);
  for (int steps = 1; steps <= 37; ++steps) {
    auto l = sampler_levels(37, steps);
    CHECK(l.size() == static_cast<size_t>(steps));
    CHECK(l.front() == 37);
    CHECK(l.back() >= 1);
    for (size_t i = 1; i < l.size(); ++i) CHECK(l[i] < l[i - 1]);
  }
  CHECK_ZG_ERROR(sampler_levels(10, 11), "sampler_levels", "steps in 0..num_levels");
  CHECK_ZG_ERROR(sampler_levels(10, -1), "sampler_levels");
  CHECK_ZG_ERROR(sampler_levels(0, 0), "sampler_levels");
}

TEST_CASE("samplers: the callback sees every step, and a seed fixes the samples") {
  const auto levels = NoiseLevels::from_schedule(DiffusionSchedule::linear(20, 1e-2, 0.3));
  Denoiser d = gaussian_denoiser(levels, Prediction::kEpsilon);
  struct Expect {
    SamplerOptions options;
    std::vector<int> levels;
  };
  const std::vector<Expect> cases = {
      {{.kind = SamplerKind::kDdim, .steps = 4}, {15, 10, 5, 0}},
      {{.kind = SamplerKind::kSde, .steps = 2}, {10, 0}},
      {{.kind = SamplerKind::kOde, .steps = 5}, {16, 12, 8, 4, 0}},
      {{.kind = SamplerKind::kLangevin, .steps = 4, .langevin_steps_per_level = 2},
       {20, 15, 10, 5, 0}},
      {{.kind = SamplerKind::kLangevin,
        .steps = 4,
        .langevin_steps_per_level = 2,
        .denoise_last = false},
       {20, 15, 10, 5}},
  };
  for (const Expect& c : cases) {
    INFO(sampler_name(c.options.kind));
    std::vector<int> seen, steps;
    Generator gen(9);
    Tensor x = sample(d, c.options, {3, 2}, gen, [&](int step, int level, const Tensor& xi) {
      steps.push_back(step);
      seen.push_back(level);
      CHECK(xi.shape() == Shape{3, 2});
    });
    CHECK(seen == c.levels);
    for (size_t i = 0; i < steps.size(); ++i) CHECK(steps[i] == static_cast<int>(i));
    CHECK(x.dtype() == kFloat32);
    Generator again(9), other(10);
    CHECK(test::allclose(sample(d, c.options, {3, 2}, again), x, 0, 0));
    CHECK_FALSE(test::allclose(sample(d, c.options, {3, 2}, other), x, 0, 0));
  }
  std::vector<int> ddpm_levels;
  Generator gen(0);
  sample(d, {}, {4}, gen, [&](int, int level, const Tensor&) { ddpm_levels.push_back(level); });
  CHECK(ddpm_levels.size() == 20);
  CHECK(ddpm_levels.front() == 19);
  CHECK(ddpm_levels.back() == 0);
}

TEST_CASE("samplers: bad options are errors that name the sampler and the option") {
  const auto vp = NoiseLevels::from_schedule(DiffusionSchedule::linear(10, 0.01, 0.2));
  const auto ve = NoiseLevels::from_sigmas(geometric_sigmas(10, 0.1, 5));
  Denoiser d = gaussian_denoiser(vp, Prediction::kEpsilon);
  Denoiser dve = gaussian_denoiser(ve, Prediction::kEpsilon);
  Generator gen(0);
  CHECK_ZG_ERROR(sample(dve, {.kind = SamplerKind::kDdpm}, {2}, gen), "ddpm",
                 "variance-preserving");
  CHECK_ZG_ERROR(sample(d, {.kind = SamplerKind::kDdpm, .steps = 5}, {2}, gen), "ddpm",
                 "steps = 5");
  CHECK_ZG_ERROR(sample(d, {.kind = SamplerKind::kDdim, .steps = 11}, {2}, gen), "ddim",
                 "steps = 11");
  CHECK_ZG_ERROR(sample(d, {.kind = SamplerKind::kDdim, .eta = 1.5}, {2}, gen), "ddim",
                 "eta = 1.5");
  CHECK_ZG_ERROR(
      sample(d, {.kind = SamplerKind::kLangevin, .langevin_steps_per_level = 0}, {2}, gen),
      "langevin", "langevin_steps_per_level");
  CHECK_ZG_ERROR(sample(d, {.kind = SamplerKind::kLangevin, .langevin_step_size = 0}, {2}, gen),
                 "langevin", "langevin_step_size");
  Denoiser none;
  none.levels = vp;
  CHECK_ZG_ERROR(sample(none, {.kind = SamplerKind::kSde}, {2}, gen), "sde", "no network");
  Denoiser flat = d;
  flat.levels.b[5] = flat.levels.b[4];
  flat.levels.a[5] = flat.levels.a[4];
  CHECK_ZG_ERROR(sample(flat, {.kind = SamplerKind::kOde}, {2}, gen), "ode", "level 5");

  CHECK_ZG_ERROR(d.epsilon(zeros({2}), 0), "Denoiser::epsilon", "level 0 out of range 1..10");
  CHECK_ZG_ERROR(d.score(zeros({2}), 11), "Denoiser::score", "level 11");
  Denoiser wrong_shape = d;
  wrong_shape.network = [](const Tensor&, int) { return zeros({3}); };
  CHECK_ZG_ERROR(wrong_shape.x0(zeros({2}), 1), "Denoiser::x0", "returned [3]", "x [2]");
  Denoiser no_signal = gaussian_denoiser(vp, Prediction::kEpsilon);
  no_signal.levels.a[10] = 0;
  CHECK_ZG_ERROR(no_signal.x0(zeros({2}), 10), "Denoiser::x0", "a = 0");

  CHECK_ZG_ERROR(parse_sampler("euler"), "unknown sampler 'euler'",
                 "ddpm, ddim, sde, ode, langevin");
  CHECK_ZG_ERROR(parse_prediction("v"), "unknown prediction 'v'");
  for (const std::string& name : sampler_names()) CHECK(sampler_name(parse_sampler(name)) == name);
  for (const char* name : {"eps", "x0", "score"})
    CHECK(prediction_name(parse_prediction(name)) == name);
}
