// The toy distributions. Sampling draws whole tensors from the generator (rand, then randn)
// and combines them on the CPU in float64, so a seed gives the same points in either dtype.
#include "data/toy2d.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>

namespace zg::data {

Tensor Toy2D::log_prob(const Tensor&) const {
  throw Error(fmt::format("{}: has no exact log density", name()));
}
Tensor Toy2D::score(const Tensor&) const {
  throw Error(fmt::format("{}: has no exact score", name()));
}

// ---- GaussianMixture -------------------------------------------------------------------

GaussianMixture::GaussianMixture(const Tensor& weights, const Tensor& means, const Tensor& stds,
                                 std::string name)
    : name_(std::move(name)) {
  ZG_CHECK(weights.defined() && means.defined() && stds.defined() && weights.dim() == 1 &&
               means.dim() == 2 && stds.dim() == 1,
           "GaussianMixture: expected weights [K], means [K, D], stds [K]; got {}, {}, {}",
           weights.defined() ? shape_str(weights.shape()) : "undefined",
           means.defined() ? shape_str(means.shape()) : "undefined",
           stds.defined() ? shape_str(stds.shape()) : "undefined");
  const int64_t k = weights.size(0);
  ZG_CHECK(k > 0 && means.size(0) == k && stds.size(0) == k && means.size(1) > 0,
           "GaussianMixture: need K > 0 components and D > 0; got weights {}, means {}, stds {}",
           shape_str(weights.shape()), shape_str(means.shape()), shape_str(stds.shape()));
  auto w = weights.to_vector<double>(), s = stds.to_vector<double>();
  double total = 0;
  for (double v : w) {
    ZG_CHECK(v > 0 && std::isfinite(v),
             "GaussianMixture: weights must be positive and finite, got {}", fmt::join(w, ", "));
    total += v;
  }
  for (double v : s)
    ZG_CHECK(v > 0 && std::isfinite(v), "GaussianMixture: stds must be positive and finite, got {}",
             fmt::join(s, ", "));
  for (double v : means.to_vector<double>())
    ZG_CHECK(std::isfinite(v), "GaussianMixture: means must be finite");
  for (double& v : w) v /= total;
  weights_ = from_vector(w);
  means_ = means.detach().to(kFloat64).contiguous().clone();
  stds_ = from_vector(s);
}

Tensor GaussianMixture::log_components(const Tensor& x) const {
  ZG_CHECK(x.dim() == 2 && x.size(1) == dim() && x.is_floating_point(),
           "{}: expected floating-point points [N, {}], got {} {}", name_, dim(),
           shape_str(x.shape()), dtype_name(x.dtype()));
  const DType t = x.dtype();
  Tensor mu = means_.to(t), var = stds_.square().to(t);
  Tensor d2 = (x.unsqueeze(1) - mu.unsqueeze(0)).square().sum({2});  // [N, K]
  Tensor log_norm = weights_.log() - 0.5 * static_cast<double>(dim()) *
                                         (2.0 * std::numbers::pi * stds_.square()).log();
  return log_norm.to(t).unsqueeze(0) - d2 / (2.0 * var).unsqueeze(0);
}

Tensor GaussianMixture::log_prob(const Tensor& x) const { return log_components(x).logsumexp({1}); }

Tensor GaussianMixture::responsibilities(const Tensor& x) const {
  return log_components(x).softmax(1);
}

Tensor GaussianMixture::score(const Tensor& x) const {
  // ∇ log p = Σ_k r_k (μ_k − x)/σ_k² = r·(μ/σ²) − x·(r·(1/σ²)), with r a softmax: no
  // 0/0 far from every mode.
  const DType t = x.dtype();
  Tensor r = responsibilities(x);
  Tensor inv_var = 1.0 / stds_.square();
  return r.matmul((means_ * inv_var.unsqueeze(1)).to(t)) - x * r.matmul(inv_var.to(t).unsqueeze(1));
}

std::pair<Tensor, Tensor> GaussianMixture::sample_with_components(int64_t n, Generator& gen,
                                                                  DType dtype) const {
  ZG_CHECK(n >= 0, "{}: sample count must be >= 0, got {}", name_, n);
  ZG_CHECK(is_floating(dtype), "{}: samples must be float32 or float64, got {}", name_,
           dtype_name(dtype));
  const int64_t k = num_components(), d = dim();
  auto u = rand({n}, gen, kFloat64).to_vector<double>();
  auto eps = randn({n, d}, gen, kFloat64).to_vector<double>();
  auto w = weights_.to_vector<double>(), mu = means_.to_vector<double>(),
       s = stds_.to_vector<double>();
  std::vector<double> cum(k);
  std::partial_sum(w.begin(), w.end(), cum.begin());
  std::vector<double> x(n * d);
  std::vector<int64_t> comp(n);
  for (int64_t i = 0; i < n; ++i) {
    // rand is [0, 1): component k when cum[k-1] <= u < cum[k] (rounding leftovers go last).
    int64_t c = std::upper_bound(cum.begin(), cum.end() - 1, u[i]) - cum.begin();
    comp[i] = c;
    for (int64_t j = 0; j < d; ++j) x[i * d + j] = mu[c * d + j] + s[c] * eps[i * d + j];
  }
  return {from_vector(x, {n, d}).to(dtype), from_vector(comp, {n})};
}

Tensor GaussianMixture::sample(int64_t n, Generator& gen, DType dtype) const {
  return sample_with_components(n, gen, dtype).first;
}

GaussianMixture GaussianMixture::convolved(double sigma) const {
  ZG_CHECK(sigma >= 0 && std::isfinite(sigma), "{}: convolved needs sigma >= 0, got {}", name_,
           sigma);
  return GaussianMixture(weights_, means_, (stds_.square() + sigma * sigma).sqrt(),
                         fmt::format("{} * N(0, {}^2 I)", name_, sigma));
}

Tensor GaussianMixture::mean() const { return weights_.unsqueeze(0).matmul(means_).squeeze(0); }

Tensor GaussianMixture::covariance() const {
  // E[x xᵀ] − m mᵀ with E[x xᵀ] = Σ_k w_k (σ_k² I + μ_k μ_kᵀ).
  Tensor m = mean();
  Tensor second = means_.t().matmul(means_ * weights_.unsqueeze(1)) +
                  eye(dim(), kFloat64) * (weights_ * stds_.square()).sum();
  return second - m.unsqueeze(1).matmul(m.unsqueeze(0));
}

GaussianMixture eight_gaussians(double radius, double std) {
  std::vector<double> mu;
  for (int k = 0; k < 8; ++k) {
    double a = 2.0 * std::numbers::pi * k / 8.0;
    mu.push_back(radius * std::cos(a));
    mu.push_back(radius * std::sin(a));
  }
  return GaussianMixture(full({8}, 1.0 / 8, kFloat64), from_vector(mu, {8, 2}),
                         full({8}, std, kFloat64), "eight_gaussians");
}

GaussianMixture grid25(double spacing, double std) {
  std::vector<double> mu;
  for (int i = -2; i <= 2; ++i)
    for (int j = -2; j <= 2; ++j) {
      mu.push_back(spacing * i);
      mu.push_back(spacing * j);
    }
  return GaussianMixture(full({25}, 1.0 / 25, kFloat64), from_vector(mu, {25, 2}),
                         full({25}, std, kFloat64), "grid25");
}

GaussianMixture two_modes() {
  return GaussianMixture(tensor({0.2, 0.8}, kFloat64), from_vector<double>({-5, -5, 5, 5}, {2, 2}),
                         ones({2}, kFloat64), "two_modes");
}

// ---- sample-only sets and the checkerboard ----------------------------------------------

namespace {

constexpr double kPi = std::numbers::pi;

void check_sample_args(const char* name, int64_t n, DType dtype) {
  ZG_CHECK(n >= 0, "{}: sample count must be >= 0, got {}", name, n);
  ZG_CHECK(is_floating(dtype), "{}: samples must be float32 or float64, got {}", name,
           dtype_name(dtype));
}

class SwissRoll : public Toy2D {
 public:
  explicit SwissRoll(double noise) : noise_(noise) {}
  std::string name() const override { return "swiss_roll"; }
  // t ~ U[1.5π, 4.5π]; (t cos t, t sin t)/5 + N(0, noise² I): sklearn's make_swiss_roll
  // (noise 1) projected on its (x, z) plane and scaled by 1/5, as FFJORD does.
  Tensor sample(int64_t n, Generator& gen, DType dtype) const override {
    check_sample_args("swiss_roll", n, dtype);
    auto u = rand({n}, gen, kFloat64).to_vector<double>();
    auto e = randn({n, 2}, gen, kFloat64).to_vector<double>();
    std::vector<double> x(2 * n);
    for (int64_t i = 0; i < n; ++i) {
      double t = 1.5 * kPi * (1.0 + 2.0 * u[i]);
      x[2 * i] = t * std::cos(t) / 5.0 + noise_ * e[2 * i];
      x[2 * i + 1] = t * std::sin(t) / 5.0 + noise_ * e[2 * i + 1];
    }
    return from_vector(x, {n, 2}).to(dtype);
  }

 private:
  double noise_;
};

class TwoMoons : public Toy2D {
 public:
  explicit TwoMoons(double noise) : noise_(noise) {}
  std::string name() const override { return "two_moons"; }
  // A fair coin picks the upper moon (cos θ, sin θ) or the lower (1 − cos θ, 0.5 − sin θ),
  // θ ~ U[0, π]; then ×2 + (−1, −0.2) and N(0, noise² I) (FFJORD's scaling of sklearn's
  // make_moons with noise 0.1). Unlike sklearn, θ and the moon are drawn i.i.d.
  Tensor sample(int64_t n, Generator& gen, DType dtype) const override {
    check_sample_args("two_moons", n, dtype);
    auto u = rand({n, 2}, gen, kFloat64).to_vector<double>();
    auto e = randn({n, 2}, gen, kFloat64).to_vector<double>();
    std::vector<double> x(2 * n);
    for (int64_t i = 0; i < n; ++i) {
      double th = kPi * u[2 * i];
      bool upper = u[2 * i + 1] < 0.5;
      double a = upper ? std::cos(th) : 1.0 - std::cos(th);
      double b = upper ? std::sin(th) : 0.5 - std::sin(th);
      x[2 * i] = 2.0 * a - 1.0 + noise_ * e[2 * i];
      x[2 * i + 1] = 2.0 * b - 0.2 + noise_ * e[2 * i + 1];
    }
    return from_vector(x, {n, 2}).to(dtype);
  }

 private:
  double noise_;
};

class Checkerboard : public Toy2D {
 public:
  std::string name() const override { return "checkerboard"; }
  // Uniform on the squares [2i, 2i+2) × [2j, 2j+2), i, j ∈ {−2..1}, with i + j even.
  Tensor sample(int64_t n, Generator& gen, DType dtype) const override {
    check_sample_args("checkerboard", n, dtype);
    auto u = rand({n, 3}, gen, kFloat64).to_vector<double>();
    std::vector<double> x(2 * n);
    for (int64_t s = 0; s < n; ++s) {
      double a = u[3 * s], b = u[3 * s + 1], c = u[3 * s + 2];  // rand is [0, 1)
      double px = -4.0 + 8.0 * a;                               // uniform on [−4, 4)
      auto i = static_cast<int64_t>(std::floor(px / 2));        // column −2..1
      int64_t j = 2 * std::min<int64_t>(static_cast<int64_t>(c * 2), 1) - 2 + ((i % 2) != 0);
      x[2 * s] = px;
      x[2 * s + 1] = 2.0 * (static_cast<double>(j) + b);
    }
    return from_vector(x, {n, 2}).to(dtype);
  }
  bool has_log_prob() const override { return true; }
  Tensor log_prob(const Tensor& x) const override {
    ZG_CHECK(x.dim() == 2 && x.size(1) == 2 && x.is_floating_point(),
             "checkerboard: expected floating-point points [N, 2], got {} {}", shape_str(x.shape()),
             dtype_name(x.dtype()));
    auto v = x.to_vector<double>();
    std::vector<double> lp(x.size(0));
    for (size_t s = 0; s < lp.size(); ++s) {
      double px = v[2 * s], py = v[2 * s + 1];
      bool inside = px >= -4 && px < 4 && py >= -4 && py < 4;
      auto i = static_cast<int64_t>(std::floor(px / 2)),
           j = static_cast<int64_t>(std::floor(py / 2));
      lp[s] = inside && (i + j) % 2 == 0 ? -std::log(32.0) : -INFINITY;
    }
    return from_vector(lp).to(x.dtype());
  }
};

}  // namespace

std::shared_ptr<Toy2D> swiss_roll(double noise) { return std::make_shared<SwissRoll>(noise); }
std::shared_ptr<Toy2D> two_moons(double noise) { return std::make_shared<TwoMoons>(noise); }
std::shared_ptr<Toy2D> checkerboard() { return std::make_shared<Checkerboard>(); }

std::vector<std::string> toy2d_names() {
  return {"eight_gaussians", "grid25", "two_modes", "swiss_roll", "two_moons", "checkerboard"};
}

std::shared_ptr<Toy2D> make_toy2d(const std::string& name) {
  if (name == "eight_gaussians") return std::make_shared<GaussianMixture>(eight_gaussians());
  if (name == "grid25") return std::make_shared<GaussianMixture>(grid25());
  if (name == "two_modes") return std::make_shared<GaussianMixture>(two_modes());
  if (name == "swiss_roll") return swiss_roll();
  if (name == "two_moons") return two_moons();
  if (name == "checkerboard") return checkerboard();
  throw Error(fmt::format("make_toy2d: unknown distribution \"{}\"; valid names: {}", name,
                          fmt::join(toy2d_names(), ", ")));
}

}  // namespace zg::data
