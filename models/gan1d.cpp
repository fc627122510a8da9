#include "models/gan1d.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "autograd/grad_mode.h"
#include "tensor/error.h"

namespace zg::models {

namespace {
constexpr double kLogSqrt2Pi = 0.91893853320467274;  // ½ log 2π
constexpr double kEps = std::numeric_limits<double>::epsilon();

// log(1 + e^x) without overflow.
double softplus(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }
}  // namespace

double Normal1d::log_pdf(double x) const {
  double z = (x - mu) / sigma;
  return -0.5 * z * z - std::log(sigma) - kLogSqrt2Pi;
}
double Normal1d::pdf(double x) const { return std::exp(log_pdf(x)); }
Tensor Normal1d::log_pdf(const Tensor& x) const {
  return -0.5 * ((x - mu) / sigma).square() - (std::log(sigma) + kLogSqrt2Pi);
}
Tensor Normal1d::sample(int64_t n, Generator& gen, DType dtype) const {
  return randn({n, 1}, gen, dtype) * sigma + mu;
}

double optimal_discriminator(const Normal1d& data, const Normal1d& g, double x) {
  // σ(log p_data − log p_g): the same ratio, but finite where both densities underflow.
  double l = data.log_pdf(x) - g.log_pdf(x);
  return 1.0 / (1.0 + std::exp(-l));
}
Tensor optimal_logit(const Normal1d& data, const Normal1d& g, const Tensor& x) {
  return data.log_pdf(x) - g.log_pdf(x);
}

Tensor Grid1d::points() const { return linspace(lo, hi, n + 1, kFloat64); }

Grid1d grid_for(const Normal1d& a, const Normal1d& b, int64_t n) {
  return {std::min(a.mu - 12 * a.sigma, b.mu - 12 * b.sigma),
          std::max(a.mu + 12 * a.sigma, b.mu + 12 * b.sigma), n};
}

Quadrature simpson(const std::vector<double>& f, double h) {
  const int64_t n = static_cast<int64_t>(f.size()) - 1;
  ZG_CHECK(n >= 4 && n % 4 == 0, "simpson: need a multiple of 4 intervals, got {}", n);
  // Composite Simpson with step `stride`·h over the same end points.
  auto rule = [&](int64_t stride) {
    double sum = f[0] + f[n];
    for (int64_t i = stride; i < n; i += stride) sum += ((i / stride) % 2 ? 4.0 : 2.0) * f[i];
    return sum * stride * h / 3.0;
  };
  double fine = rule(1), coarse = rule(2), abs_sum = 0;
  for (double v : f) abs_sum += std::abs(v);
  return {fine, std::abs(fine - coarse) / 15.0 + static_cast<double>(n) * kEps * h * abs_sum};
}

Quadrature gan_value(const Normal1d& data, const Normal1d& g, const Grid1d& grid,
                     const Tensor& logits) {
  Tensor x = grid.points();
  ZG_CHECK(logits.numel() == x.numel(), "gan_value: {} logits for a grid of {} points",
           logits.numel(), x.numel());
  std::vector<double> xs = x.to_vector<double>();
  std::vector<double> ls = logits.to(kFloat64).contiguous().to_vector<double>();
  std::vector<double> f(xs.size());
  for (size_t i = 0; i < xs.size(); ++i) {
    // p_data·log D + p_g·log(1 − D), with log D = −softplus(−l), log(1 − D) = −softplus(l).
    f[i] = -data.pdf(xs[i]) * softplus(-ls[i]) - g.pdf(xs[i]) * softplus(ls[i]);
  }
  return simpson(f, grid.h());
}

Quadrature jsd(const Normal1d& p, const Normal1d& q, const Grid1d& grid) {
  std::vector<double> xs = grid.points().to_vector<double>(), f(xs.size());
  for (size_t i = 0; i < xs.size(); ++i) {
    double lp = p.log_pdf(xs[i]), lq = q.log_pdf(xs[i]);
    // log M = log((p + q)/2), by log-sum-exp.
    double lm = std::max(lp, lq) + std::log1p(std::exp(-std::abs(lp - lq))) - std::log(2.0);
    f[i] = 0.5 * (std::exp(lp) * (lp - lm) + std::exp(lq) * (lq - lm));
  }
  return simpson(f, grid.h());
}

nn::Sequential make_discriminator_1d(int64_t hidden) {
  return nn::Sequential(nn::Linear(1, hidden), nn::LeakyReLU(0.2), nn::Linear(hidden, hidden),
                        nn::LeakyReLU(0.2), nn::Linear(hidden, 1));
}

double discriminator_step(nn::Sequential& d, optim::Optimizer& opt, const Tensor& real,
                          const Tensor& fake) {
  Tensor x = cat({real, fake}, 0);
  Tensor y = cat({ones_like(real), zeros_like(fake)}, 0);
  // The mean over real and fake together is −½·(the batch estimate of V).
  Tensor loss = nn::functional::binary_cross_entropy_with_logits(d(x), y);
  opt.zero_grad();
  loss.backward();
  opt.step();
  return loss.item<double>();
}

nn::Sequential train_discriminator_1d(const Normal1d& data, const Normal1d& g,
                                      const DiscriminatorTraining& cfg) {
  ZG_CHECK(cfg.steps > 0 && cfg.batch > 0 && cfg.hidden > 0 && cfg.lr > 0,
           "train_discriminator_1d: steps, batch, hidden and lr must be positive");
  manual_seed(cfg.seed);  // the initial weights
  nn::Sequential d = make_discriminator_1d(cfg.hidden);
  Generator gen(cfg.seed);  // the samples
  optim::Adam opt(d->parameters(), {.lr = cfg.lr});
  // The cosine decay lets the last steps average out the minibatch noise instead of
  // jumping around the optimum at full step size.
  optim::CosineLR schedule(cfg.lr, cfg.steps, cfg.lr * 0.01);
  for (int64_t step = 0; step < cfg.steps; ++step) {
    opt.set_lr(schedule.lr_at(step));
    discriminator_step(d, opt, data.sample(cfg.batch, gen, kFloat32),
                       g.sample(cfg.batch, gen, kFloat32));
  }
  return d;
}

Tensor discriminator_logits(nn::Sequential& d, const Tensor& x) {
  NoGradGuard no_grad;
  DType dtype = d->parameters().front().dtype();
  return d(x.to(dtype).reshape({-1, 1})).reshape({-1}).to(kFloat64);
}

D1Grid d1_grid(const Normal1d& data, const Normal1d& g, int64_t candidates) {
  Grid1d range = grid_for(data, g, candidates - 1);
  Tensor x = range.points();
  Tensor p = data.log_pdf(x).exp(), q = g.log_pdf(x).exp();
  std::vector<double> xs = x.to_vector<double>(), ps = p.to_vector<double>(),
                      qs = q.to_vector<double>(), kept;
  for (size_t i = 0; i < xs.size(); ++i)
    if (std::max(ps[i], qs[i]) > 1e-3) kept.push_back(xs[i]);
  ZG_CHECK(!kept.empty(), "d1_grid: no point where either density exceeds 1e-3");
  Tensor xk = from_vector(kept);
  return {xk, 0.5 * (data.log_pdf(xk).exp() + g.log_pdf(xk).exp()),
          optimal_logit(data, g, xk).sigmoid()};
}

double d1_error(const D1Grid& grid, const Tensor& d) {
  ZG_CHECK(d.numel() == grid.x.numel(), "d1_error: {} values for a grid of {} points", d.numel(),
           grid.x.numel());
  Tensor diff = d.to(kFloat64).reshape({-1}) - grid.d_star;
  return std::sqrt((grid.weight * diff.square()).sum().item<double>() /
                   grid.weight.sum().item<double>());
}

D1Check run_d1_check(const Normal1d& data, const Normal1d& g, const DiscriminatorTraining& cfg,
                     int64_t runs) {
  ZG_CHECK(runs >= 3, "run_d1_check: need at least 3 runs (one tested, two for a spread), got {}",
           runs);
  D1Check check;
  check.grid = d1_grid(data, g);
  check.runs = runs;
  check.trained = train_discriminator_1d(data, g, cfg);
  check.error = d1_error(check.grid, discriminator_logits(check.trained, check.grid.x).sigmoid());
  std::vector<Tensor> others;
  for (int64_t k = 1; k < runs; ++k) {
    DiscriminatorTraining other = cfg;
    other.seed = cfg.seed + 1000 * static_cast<uint64_t>(k);  // disjoint from the tested seed
    nn::Sequential d = train_discriminator_1d(data, g, other);
    others.push_back(discriminator_logits(d, check.grid.x).sigmoid());
  }
  Tensor stacked = stack(others, 0);  // [runs − 1, N]
  Tensor var = stacked.var({0});      // unbiased, over the runs
  check.spread = std::sqrt((check.grid.weight * var).sum().item<double>() /
                           check.grid.weight.sum().item<double>());
  return check;
}

}  // namespace zg::models
