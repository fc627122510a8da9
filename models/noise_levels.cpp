#include "models/noise_levels.h"

#include <cmath>

#include "tensor/error.h"

namespace zg::models {

NoiseLevels NoiseLevels::from_schedule(const DiffusionSchedule& schedule) {
  ZG_CHECK(schedule.T >= 1 && schedule.alpha_bar.size() == static_cast<size_t>(schedule.T) + 1 &&
               schedule.one_minus_alpha_bar.size() == schedule.alpha_bar.size(),
           "NoiseLevels::from_schedule: need a schedule with T >= 1 and T + 1 entries, got T={}",
           schedule.T);
  NoiseLevels levels;
  levels.variance_preserving = true;
  for (int t = 0; t <= schedule.T; ++t) {
    levels.a.push_back(std::sqrt(schedule.alpha_bar[t]));
    // 1 − ᾱ_t from its own accurate column: at t = 1 it is β_1 ≈ 1e-4.
    levels.b.push_back(std::sqrt(schedule.one_minus_alpha_bar[t]));
    levels.condition.push_back(t);
  }
  return levels;
}

NoiseLevels NoiseLevels::from_sigmas(const std::vector<double>& sigmas) {
  ZG_CHECK(!sigmas.empty(), "NoiseLevels::from_sigmas: no sigmas");
  for (size_t i = 0; i < sigmas.size(); ++i)
    ZG_CHECK(std::isfinite(sigmas[i]) && sigmas[i] > 0 && (i == 0 || sigmas[i] < sigmas[i - 1]),
             "NoiseLevels::from_sigmas: sigmas must be finite, positive and strictly decreasing "
             "(sigma_1 > ... > sigma_L), got sigma[{}] = {} after {}",
             i, sigmas[i], i == 0 ? 0.0 : sigmas[i - 1]);
  NoiseLevels levels;
  levels.variance_preserving = false;
  levels.a.assign(sigmas.size() + 1, 1.0);
  levels.b = {0.0};
  levels.b.insert(levels.b.end(), sigmas.rbegin(), sigmas.rend());
  levels.condition = levels.b;
  return levels;
}

std::vector<double> geometric_sigmas(double sigma_max, double sigma_min, int count) {
  ZG_CHECK(count >= 2 && sigma_min > 0 && sigma_max > sigma_min && std::isfinite(sigma_max),
           "geometric_sigmas: need count >= 2 and sigma_max > sigma_min > 0, got count={}, "
           "sigma_max={}, sigma_min={}",
           count, sigma_max, sigma_min);
  std::vector<double> sigmas(count);
  const double log_ratio = std::log(sigma_min / sigma_max);
  for (int i = 0; i < count; ++i) sigmas[i] = sigma_max * std::exp(log_ratio * i / (count - 1));
  sigmas.back() = sigma_min;  // exactly, not exp(log(…)) rounded
  return sigmas;
}

Prediction parse_prediction(const std::string& name) {
  if (name == "eps") return Prediction::kEpsilon;
  if (name == "x0") return Prediction::kX0;
  if (name == "score") return Prediction::kScore;
  throw Error(fmt::format("parse_prediction: unknown prediction '{}' (eps, x0, score)", name));
}

std::string prediction_name(Prediction prediction) {
  switch (prediction) {
    case Prediction::kEpsilon:
      return "eps";
    case Prediction::kX0:
      return "x0";
    case Prediction::kScore:
      return "score";
  }
  return "?";
}

namespace {

// The network's output at `level`, checked: level in 1..K (level 0 is the data, where no
// network is defined) and an output shaped like x.
Tensor evaluate(const Denoiser& d, const Tensor& x, int level, const char* fn) {
  const int K = d.levels.num_levels();
  ZG_CHECK(d.network, "Denoiser::{}: no network", fn);
  ZG_CHECK(d.levels.b.size() == d.levels.a.size() && K >= 1,
           "Denoiser::{}: levels need K + 1 >= 2 entries in a and b, got {} and {}", fn,
           d.levels.a.size(), d.levels.b.size());
  ZG_CHECK(level >= 1 && level <= K, "Denoiser::{}: level {} out of range 1..{}", fn, level, K);
  Tensor out = d.network(x, level);
  ZG_CHECK(out.defined() && out.shape() == x.shape(),
           "Denoiser::{}: the network returned {} for x {} at level {}", fn,
           out.defined() ? shape_str(out.shape()) : "undefined", shape_str(x.shape()), level);
  return out;
}

double nonzero(double value, const char* what, const char* fn, int level) {
  ZG_CHECK(value != 0 && std::isfinite(value),
           "Denoiser::{}: {} = {} at level {}, cannot divide by it", fn, what, value, level);
  return value;
}

}  // namespace

Tensor Denoiser::epsilon(const Tensor& x, int level) const {
  Tensor out = evaluate(*this, x, level, "epsilon");
  switch (prediction) {
    case Prediction::kEpsilon:
      return out;
    case Prediction::kX0:  // ε = (x − a x̂_0)/b
      return (x - out * levels.a[level]) * (1.0 / nonzero(levels.b[level], "b", "epsilon", level));
    case Prediction::kScore:
      return out * -levels.b[level];  // ε = −b s
  }
  return out;
}

Tensor Denoiser::x0(const Tensor& x, int level) const {
  Tensor out = evaluate(*this, x, level, "x0");
  const double inv_a = 1.0 / nonzero(levels.a[level], "a", "x0", level);
  const double b = levels.b[level];
  switch (prediction) {
    case Prediction::kEpsilon:
      return (x - out * b) * inv_a;  // x̂_0 = (x − b ε)/a
    case Prediction::kX0:
      return out;
    case Prediction::kScore:
      return (x + out * (b * b)) * inv_a;  // Tweedie: (x + b² s)/a
  }
  return out;
}

Tensor Denoiser::score(const Tensor& x, int level) const {
  Tensor out = evaluate(*this, x, level, "score");
  const double inv_b = 1.0 / nonzero(levels.b[level], "b", "score", level);
  switch (prediction) {
    case Prediction::kEpsilon:
      return out * -inv_b;  // s = −ε/b
    case Prediction::kX0:   // s = −(x − a x̂_0)/b²
      return (x - out * levels.a[level]) * (-inv_b * inv_b);
    case Prediction::kScore:
      return out;
  }
  return out;
}

}  // namespace zg::models
