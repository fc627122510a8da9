#include "models/diffusion_loss.h"

#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "autograd/grad_mode.h"
#include "nn/functional.h"
#include "tensor/error.h"

namespace zg::models {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kLog2Pi = 1.8378770664093453;
constexpr double kHalfBin = 1.0 / 255.0;  // half the width 2/255 of a grey level on [−1, 1]

void check_batch(const Tensor& x, const char* op, const char* what) {
  ZG_CHECK(x.defined() && x.dim() >= 1 && x.size(0) > 0 && x.is_floating_point(),
           "{}: {} must be a floating-point batch [B, ...] with B > 0, got {}", op, what,
           x.defined() ? shape_str(x.shape()) : "an undefined tensor");
}

void check_same(const Tensor& a, const Tensor& b, const char* op, const char* a_name,
                const char* b_name) {
  ZG_CHECK(b.defined() && a.shape() == b.shape() && a.dtype() == b.dtype(),
           "{}: {} {} ({}) and {} {} ({}) must have one shape and dtype", op, a_name,
           shape_str(a.shape()), dtype_name(a.dtype()), b_name,
           b.defined() ? shape_str(b.shape()) : "undefined",
           b.defined() ? dtype_name(b.dtype()) : "-");
}

/// t's values, after checking it is int64 [batch] with every entry in lo..T.
std::vector<int64_t> timestep_values(const Tensor& t, int64_t batch, int lo, int T,
                                     const char* op) {
  ZG_CHECK(t.defined() && t.dtype() == kInt64 && t.dim() == 1 && t.size(0) == batch,
           "{}: t must be int64 [{}] (one timestep per example), got {} {}", op, batch,
           t.defined() ? shape_str(t.shape()) : "undefined",
           t.defined() ? dtype_name(t.dtype()) : "");
  std::vector<int64_t> values = t.to_vector<int64_t>();
  for (int64_t v : values)
    ZG_CHECK(v >= lo && v <= T, "{}: timestep {} is outside {}..{}", op, v, lo, T);
  return values;
}

/// f(t_i) for each example, shaped [B, 1, ...] to broadcast against `like`.
template <class F>
Tensor per_example(const std::vector<int64_t>& t, const Tensor& like, F&& f) {
  std::vector<double> values(t.size());
  for (size_t i = 0; i < t.size(); ++i) values[i] = f(static_cast<int>(t[i]));
  Shape shape(like.dim(), 1);
  shape[0] = static_cast<int64_t>(t.size());
  return from_vector(values, shape).to(like.dtype()).to(like.device());
}

Tensor sum_per_example(const Tensor& x) {
  if (x.dim() == 1) return x;
  Shape dims;
  for (int64_t d = 1; d < x.dim(); ++d) dims.push_back(d);
  return x.sum(dims);
}

bool broadcasts_to(const Shape& from, const Shape& to) {
  if (from.size() > to.size()) return false;
  for (size_t i = 0; i < from.size(); ++i) {
    int64_t f = from[from.size() - 1 - i], d = to[to.size() - 1 - i];
    if (f != 1 && f != d) return false;
  }
  return true;
}

}  // namespace

Tensor sample_timesteps(int64_t batch, int T, Generator& gen) {
  ZG_CHECK(batch >= 0 && T >= 1, "sample_timesteps: need batch >= 0 and T >= 1, got {} and {}",
           batch, T);
  return randint(1, T + 1, {batch}, gen);
}

Tensor q_sample(const DiffusionSchedule& schedule, const Tensor& x0, const Tensor& t,
                const Tensor& noise) {
  check_batch(x0, "q_sample", "x0");
  check_same(x0, noise, "q_sample", "x0", "noise");
  auto ts = timestep_values(t, x0.size(0), 1, schedule.T, "q_sample");
  Tensor mean_coef = per_example(ts, x0, [&](int k) { return schedule.marginal_mean_coef(k); });
  Tensor sd = per_example(ts, x0, [&](int k) { return std::sqrt(schedule.marginal_variance(k)); });
  return mean_coef * x0 + sd * noise;
}

Tensor simple_loss(const Tensor& eps_pred, const Tensor& noise) {
  check_batch(eps_pred, "simple_loss", "eps_pred");
  check_same(eps_pred, noise, "simple_loss", "eps_pred", "noise");
  return (noise - eps_pred).square().mean();
}

double model_variance(const DiffusionSchedule& schedule, int t, bool posterior_variance) {
  ZG_CHECK(t >= 1 && t <= schedule.T, "model_variance: t = {} is outside 1..{}", t, schedule.T);
  if (!posterior_variance) return schedule.beta[t];
  ZG_CHECK(t >= 2 || schedule.T >= 2,
           "model_variance: sigma_1^2 = posterior variance needs T >= 2 (beta~_1 = 0)");
  return schedule.posterior_variance(t == 1 ? 2 : t);
}

Tensor model_mean(const DiffusionSchedule& schedule, const Tensor& x_t, const Tensor& t,
                  const Tensor& eps_pred) {
  check_batch(x_t, "model_mean", "x_t");
  check_same(x_t, eps_pred, "model_mean", "x_t", "eps_pred");
  auto ts = timestep_values(t, x_t.size(0), 1, schedule.T, "model_mean");
  Tensor inv_sqrt_alpha =
      per_example(ts, x_t, [&](int k) { return 1 / std::sqrt(schedule.alpha[k]); });
  Tensor eps_coef = per_example(ts, x_t, [&](int k) {
    return schedule.beta[k] / std::sqrt(schedule.one_minus_alpha_bar[k] * schedule.alpha[k]);
  });
  return inv_sqrt_alpha * x_t - eps_coef * eps_pred;
}

Tensor vlb_term(const DiffusionSchedule& schedule, const Tensor& x0, const Tensor& x_t,
                const Tensor& t, const Tensor& eps_pred, bool posterior_variance) {
  check_batch(x0, "vlb_term", "x0");
  check_same(x0, x_t, "vlb_term", "x0", "x_t");
  check_same(x0, eps_pred, "vlb_term", "x0", "eps_pred");
  auto ts = timestep_values(t, x0.size(0), 2, schedule.T, "vlb_term");
  Tensor c0 = per_example(ts, x0, [&](int k) { return schedule.posterior_coef_x0(k); });
  Tensor ct = per_example(ts, x0, [&](int k) { return schedule.posterior_coef_xt(k); });
  Tensor q_logvar =
      per_example(ts, x0, [&](int k) { return std::log(schedule.posterior_variance(k)); });
  Tensor p_logvar = per_example(
      ts, x0, [&](int k) { return std::log(model_variance(schedule, k, posterior_variance)); });
  Tensor kl = nn::functional::gaussian_kl(c0 * x0 + ct * x_t, q_logvar,
                                          model_mean(schedule, x_t, t, eps_pred), p_logvar);
  return sum_per_example(kl);
}

Tensor prior_term(const DiffusionSchedule& schedule, const Tensor& x0) {
  check_batch(x0, "prior_term", "x0");
  const int T = schedule.T;
  Tensor mean = x0 * schedule.marginal_mean_coef(T);
  Tensor logvar = full_like(x0, std::log(schedule.marginal_variance(T)));
  return sum_per_example(nn::functional::gaussian_kl_standard(mean, logvar));
}

double log_normal_cdf(double x) {
  if (std::isnan(x)) return x;
  if (x == -kInf) return -kInf;
  if (x > 0) return std::log1p(-0.5 * std::erfc(x / M_SQRT2));  // 1 − Φ(x) = ½erfc(x/√2)
  if (x > -20) return std::log(0.5 * std::erfc(-x / M_SQRT2));
  // Φ(x) = φ(x)/|x|·Σ_k (−1)^k (2k−1)!!/x^{2k}: at x ≤ −20 the 10th term is below 1e-17.
  const double x2 = x * x;
  double term = 1, series = 1;
  for (int k = 1; k <= 10; ++k) {
    term *= -(2 * k - 1) / x2;
    series += term;
  }
  return -0.5 * x2 - 0.5 * kLog2Pi - std::log(-x) + std::log(series);
}

double log_normal_cdf_diff(double a, double b) {
  ZG_CHECK(a < b, "log_normal_cdf_diff: need a < b, got a = {} b = {}", a, b);
  if (a == -kInf && b == kInf) return 0.0;
  // Φ(b) − Φ(a) = Φ(−a) − Φ(−b): keep the interval in the lower half, where log Φ is exact
  // to the asymptotic series instead of rounding to log 1 = 0.
  if (a + b > 0) {
    std::swap(a, b);
    a = -a;
    b = -b;
  }
  const double log_b = log_normal_cdf(b);
  return log_b + std::log(-std::expm1(log_normal_cdf(a) - log_b));
}

Tensor discretized_gaussian_log_likelihood(const Tensor& x, const Tensor& mean,
                                           const Tensor& log_scale) {
  const char* op = "discretized_gaussian_log_likelihood";
  ZG_CHECK(x.defined() && x.is_floating_point(), "{}: x must be a floating-point tensor", op);
  check_same(x, mean, op, "x", "mean");
  ZG_CHECK(log_scale.defined() && broadcasts_to(log_scale.shape(), x.shape()),
           "{}: log_scale {} does not broadcast to x {}", op,
           log_scale.defined() ? shape_str(log_scale.shape()) : "undefined", shape_str(x.shape()));
  const auto xs = x.to_vector<double>(), means = mean.to_vector<double>();
  const auto log_scales = log_scale.expand(x.shape()).to_vector<double>();
  std::vector<double> out(xs.size());
  for (size_t i = 0; i < xs.size(); ++i) {
    ZG_CHECK(std::abs(xs[i]) <= 1 + 1e-6, "{}: x = {} is outside [-1, 1]", op, xs[i]);
    const double inv_scale = std::exp(-log_scales[i]);
    const double lower = xs[i] < -1 + kHalfBin ? -kInf : (xs[i] - kHalfBin - means[i]) * inv_scale;
    const double upper = xs[i] > 1 - kHalfBin ? kInf : (xs[i] + kHalfBin - means[i]) * inv_scale;
    out[i] = log_normal_cdf_diff(lower, upper);
  }
  return from_vector(out, x.shape()).to(x.dtype()).to(x.device());
}

Tensor decoder_nll(const DiffusionSchedule& schedule, const Tensor& x0, const Tensor& x_1,
                   const Tensor& eps_pred, bool posterior_variance) {
  check_batch(x0, "decoder_nll", "x0");
  check_same(x0, x_1, "decoder_nll", "x0", "x_1");
  Tensor ones = full({x0.size(0)}, 1.0, TensorOptions(kInt64).device(x0.device()));
  Tensor mean = model_mean(schedule, x_1, ones, eps_pred);
  Tensor log_scale = full({}, 0.5 * std::log(model_variance(schedule, 1, posterior_variance)),
                          TensorOptions(x0.dtype()).device(x0.device()));
  return -sum_per_example(discretized_gaussian_log_likelihood(x0, mean, log_scale));
}

VlbTerms variational_bound_bpd(const EpsilonModel& eps_model, const DiffusionSchedule& schedule,
                               const Tensor& x0, Generator& gen, const VlbOptions& options) {
  NoGradGuard no_grad;
  check_batch(x0, "variational_bound_bpd", "x0");
  const int T = schedule.T;
  ZG_CHECK(options.timesteps >= 0 && options.timesteps <= T - 1,
           "variational_bound_bpd: timesteps = {} must be 0 (all) or 1..T-1 = {}",
           options.timesteps, T - 1);
  const int64_t B = x0.size(0);
  const bool pv = options.posterior_variance;
  const TensorOptions like_x0 = TensorOptions(x0.dtype()).device(x0.device());
  const Tensor x0_64 = x0.to(kFloat64);
  // One fresh x_t ~ q(x_t|x_0) per term; the model sees it in x0's dtype, the KLs in float64.
  auto model_at = [&](const Tensor& t) {
    Tensor x_t = q_sample(schedule, x0, t, randn(x0.shape(), gen, like_x0));
    Tensor eps = eps_model(x_t, t);
    check_same(x_t, eps, "variational_bound_bpd", "x_t", "eps_model(x_t, t)");
    return std::pair{x_t.to(kFloat64), eps.to(kFloat64)};
  };
  auto timesteps = [&](int64_t lo, int64_t hi) {
    return randint(lo, hi, {B}, gen, TensorOptions(kInt64).device(x0.device()));
  };

  Tensor prior = prior_term(schedule, x0_64);
  auto [x_1, eps_1] = model_at(timesteps(1, 2));
  Tensor decoder = decoder_nll(schedule, x0_64, x_1, eps_1, pv);
  Tensor diffusion = zeros({B}, TensorOptions(kFloat64).device(x0.device()));
  const int strata = options.timesteps == 0 ? T - 1 : options.timesteps;
  for (int i = 0; i < strata; ++i) {
    // Stratum i is t in [lo, hi); with strata = T − 1 each holds one t.
    const int64_t lo = 2 + int64_t{i} * (T - 1) / strata,
                  hi = 2 + int64_t{i + 1} * (T - 1) / strata;
    Tensor t = timesteps(lo, hi);
    auto [x_t, eps] = model_at(t);
    diffusion = diffusion + vlb_term(schedule, x0_64, x_t, t, eps, pv) * double(hi - lo);
  }
  const double to_bpd = 1.0 / (static_cast<double>(x0.numel() / B) * std::log(2.0) * B);
  VlbTerms terms;
  terms.prior_bpd = prior.sum().item<double>() * to_bpd;
  terms.decoder_bpd = decoder.sum().item<double>() * to_bpd;
  terms.diffusion_bpd = diffusion.sum().item<double>() * to_bpd;
  terms.total_bpd = terms.prior_bpd + terms.decoder_bpd + terms.diffusion_bpd;
  return terms;
}

}  // namespace zg::models
