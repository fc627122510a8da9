#include "nn/normalization.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "nn/init.h"
#include "tensor/error.h"
#include "tensor/raw.h"

namespace zg::nn {

namespace {

using Grads = std::vector<Tensor>;

struct Normalized {
  Tensor y, mean, var;  // mean/var: the batch statistics, size 1 on the stat dims
};

// y = (x − μ)·invstd·w + b, μ and σ² over `stat_dims` of x, invstd = 1/√(σ² + eps); w and b
// (either may be undefined) have x's rank and broadcast against it.
//
// Backward, with M elements per statistics slice and x̂ = (x − μ)·invstd:
//   dx = invstd·(w·g − mean(w·g) − x̂·mean(w·g·x̂)),  dw = Σ g·x̂,  db = Σ g
// The sums need Σg and Σg·(x − μ) per "cell": the finest pieces on which μ, w and b are all
// constant — a channel for BatchNorm, a (sample, channel) for GroupNorm. moments(g, x) over
// the cell dims gives both in one pass (Σg(x − μ) = n·(cov(g, x) + ḡ·(x̄ − μ))); everything
// after that is on small per-cell tensors, then dx = g·A + x·B + C is one affine pass.
// Every step is a differentiable op, and μ/invstd keep their history from the forward, so
// under create_graph this backward is differentiated like any other graph.
Normalized normalize(const Tensor& x, const Shape& stat_dims, const Tensor& w, const Tensor& b,
                     double eps) {
  Moments m = moments(x, x, stat_dims);
  Tensor mean = m.mean_a, invstd = (m.cov + eps).rsqrt();
  Tensor y;
  {
    NoGradGuard ng;  // the forward value only; the graph is the one node recorded below
    Tensor scale = w.defined() ? invstd * w : invstd;
    Tensor shift = -mean * scale;
    if (b.defined()) shift = shift + b;
    y = raw::affine(x, scale, Tensor(), Tensor(), shift, "normalize");
  }
  Shape cell_dims;  // stat dims on which w and b are constant
  int64_t stat_count = 1, cell_count = 1;
  for (int64_t d : stat_dims) {
    stat_count *= x.size(d);
    if ((!w.defined() || w.size(d) == 1) && (!b.defined() || b.size(d) == 1)) {
      cell_dims.push_back(d);
      cell_count *= x.size(d);
    }
  }
  const double inv_m = 1.0 / static_cast<double>(stat_count), n = static_cast<double>(cell_count);
  y = record(y, "NormBackward", {x, w, b},
             [x, w, b, mean, invstd, cell_dims, inv_m, n](const Tensor& g, Node& self) -> Grads {
               Tensor sum_g, sum_gx;  // per cell: Σg and Σg·(x − μ)
               if (cell_dims.empty()) {
                 sum_g = g;
                 sum_gx = g * (x - mean);
               } else {
                 Moments c = moments(g, x, cell_dims);
                 sum_g = c.mean_a * n;
                 sum_gx = (c.cov + c.mean_a * (c.mean_b - mean)) * n;
               }
               Grads out(3);
               if (self.needs_grad(0)) {
                 Tensor s1 = (w.defined() ? sum_g * w : sum_g).sum_to_size(mean.shape());
                 Tensor s2 = (w.defined() ? sum_gx * w : sum_gx).sum_to_size(mean.shape());
                 Tensor coef_g = w.defined() ? invstd * w : invstd;
                 Tensor coef_x = -(invstd * invstd * invstd * s2) * inv_m;
                 Tensor shift = -(invstd * s1) * inv_m - mean * coef_x;
                 out[0] = affine(g, coef_g, x, coef_x, shift);
               }
               if (self.needs_grad(1)) out[1] = (sum_gx * invstd).sum_to_size(w.shape());
               if (self.needs_grad(2)) out[2] = sum_g.sum_to_size(b.shape());
               return out;
             },
             false, {mean, invstd});
  return {y, mean, m.cov};
}

// A [C] parameter as a rank-`rank` view with C at dim `at` (undefined stays undefined).
Tensor per_channel(const Tensor& p, int64_t rank, int64_t at, const Shape& sizes) {
  if (!p.defined()) return p;
  Shape s(rank, 1);
  for (size_t i = 0; i < sizes.size(); ++i) s[at + i] = sizes[i];
  return p.reshape(s);
}

void check_param(const Tensor& p, const Shape& shape, const char* op, const char* what,
                 const Tensor& x) {
  if (!p.defined()) return;
  ZG_CHECK(p.shape() == shape, "{}: {} must have shape {} for input {}, got {}", op, what,
           shape_str(shape), shape_str(x.shape()), shape_str(p.shape()));
  raw::check_same_dtype(p, x, op);
}

}  // namespace

namespace functional {

Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, bool training, double momentum,
                  double eps) {
  ZG_CHECK(x.dim() >= 2, "batch_norm: input must be [N, C, *], got {}", shape_str(x.shape()));
  raw::check_floating(x, "batch_norm");
  const int64_t N = x.size(0), C = x.size(1);
  check_param(weight, {C}, "batch_norm", "weight", x);
  check_param(bias, {C}, "batch_norm", "bias", x);
  check_param(running_mean, {C}, "batch_norm", "running_mean", x);
  check_param(running_var, {C}, "batch_norm", "running_var", x);
  ZG_CHECK(running_mean.defined() == running_var.defined(),
           "batch_norm: give both running_mean and running_var, or neither");
  ZG_CHECK(training || running_mean.defined(),
           "batch_norm: running_mean and running_var are needed when not training");
  Tensor x3 = x.reshape({N, C, -1});
  Tensor w = per_channel(weight, 3, 1, {C}), b = per_channel(bias, 3, 1, {C});
  if (!training && running_mean.defined()) {
    // Fixed statistics: a per-channel affine map, differentiable through the composed ops.
    Tensor scale = (running_var.reshape({1, C, 1}) + eps).rsqrt();
    if (w.defined()) scale = scale * w;
    Tensor shift = -running_mean.reshape({1, C, 1}) * scale;
    if (b.defined()) shift = shift + b;
    return affine(x3, scale, shift).reshape(x.shape());
  }
  const int64_t count = x3.size(0) * x3.size(2);
  ZG_CHECK(count > 1,
           "batch_norm: expected more than 1 value per channel when training, got input {}",
           shape_str(x.shape()));
  Normalized r = normalize(x3, {0, 2}, w, b, eps);
  if (running_mean.defined()) {
    NoGradGuard ng;
    double unbias = static_cast<double>(count) / static_cast<double>(count - 1);
    Tensor mean = r.mean.detach().reshape({C}), var = r.var.detach().reshape({C});
    Tensor rm = running_mean, rv = running_var;  // handles to the caller's buffers
    rm.mul_(1.0 - momentum).add_(mean, momentum);
    rv.mul_(1.0 - momentum).add_(var * unbias, momentum);
  }
  return r.y.reshape(x.shape());
}

Tensor group_norm(const Tensor& x, int64_t num_groups, const Tensor& weight, const Tensor& bias,
                  double eps) {
  ZG_CHECK(x.dim() >= 2, "group_norm: input must be [N, C, *], got {}", shape_str(x.shape()));
  raw::check_floating(x, "group_norm");
  const int64_t N = x.size(0), C = x.size(1), G = num_groups;
  ZG_CHECK(G > 0 && C % G == 0,
           "group_norm: num_groups {} must be positive and divide the {} channels of input {}", G,
           C, shape_str(x.shape()));
  check_param(weight, {C}, "group_norm", "weight", x);
  check_param(bias, {C}, "group_norm", "bias", x);
  ZG_CHECK(x.numel() > 0, "group_norm: empty input {}", shape_str(x.shape()));
  Tensor x4 = x.reshape({N, G, C / G, -1});
  Tensor w = per_channel(weight, 4, 1, {G, C / G}), b = per_channel(bias, 4, 1, {G, C / G});
  return normalize(x4, {2, 3}, w, b, eps).y.reshape(x.shape());
}

Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight,
                  const Tensor& bias, double eps) {
  const int64_t k = static_cast<int64_t>(normalized_shape.size());
  raw::check_floating(x, "layer_norm");
  bool ok = k >= 1 && x.dim() >= k;
  for (int64_t i = 0; ok && i < k; ++i) ok = x.size(x.dim() - k + i) == normalized_shape[i];
  ZG_CHECK(ok, "layer_norm: input {} does not end in normalized_shape {}", shape_str(x.shape()),
           shape_str(normalized_shape));
  check_param(weight, normalized_shape, "layer_norm", "weight", x);
  check_param(bias, normalized_shape, "layer_norm", "bias", x);
  const int64_t inner = numel_of(normalized_shape);
  ZG_CHECK(inner > 0, "layer_norm: empty normalized_shape {}", shape_str(normalized_shape));
  Tensor x2 = x.reshape({-1, inner});
  Tensor w = weight.defined() ? weight.reshape({1, inner}) : weight;
  Tensor b = bias.defined() ? bias.reshape({1, inner}) : bias;
  return normalize(x2, {1}, w, b, eps).y.reshape(x.shape());
}

}  // namespace functional

// ---- modules ------------------------------------------------------------------------------

BatchNormImplBase::BatchNormImplBase(const BatchNormOptions& opts, std::string name)
    : Module(std::move(name)), options(opts) {
  ZG_CHECK(opts.num_features > 0, "{}: num_features must be positive, got {}", this->name(),
           opts.num_features);
  const int64_t C = opts.num_features;
  if (opts.affine_) {
    weight = register_parameter("weight", empty({C}));
    bias = register_parameter("bias", empty({C}));
  }
  if (opts.track_running_stats_) {
    running_mean = register_buffer("running_mean", zeros({C}));
    running_var = register_buffer("running_var", ones({C}));
    num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, kInt64));
  }
  reset_parameters();
}

void BatchNormImplBase::reset_running_stats() {
  if (!options.track_running_stats_) return;
  init::zeros_(running_mean);
  init::ones_(running_var);
  init::zeros_(num_batches_tracked);
}

void BatchNormImplBase::reset_parameters() {
  reset_running_stats();
  if (options.affine_) {
    init::ones_(weight);
    init::zeros_(bias);
  }
}

Tensor BatchNormImplBase::forward(const Tensor& x) {
  check_input(x);
  ZG_CHECK(x.size(1) == options.num_features, "{}: input {} has {} channels, expected {}", name(),
           shape_str(x.shape()), x.size(1), options.num_features);
  double factor = 0.0;
  if (is_training() && options.track_running_stats_) {
    {
      NoGradGuard ng;
      num_batches_tracked.add_(1.0);
    }
    factor = options.momentum_ ? *options.momentum_
                               : 1.0 / static_cast<double>(num_batches_tracked.item<int64_t>());
  }
  // Batch statistics in training, and always without running statistics (as torch).
  const bool use_batch = is_training() || !options.track_running_stats_;
  return functional::batch_norm(x, running_mean, running_var, weight, bias, use_batch, factor,
                                options.eps_);
}

std::string BatchNormImplBase::extra_repr() const {
  return fmt::format(
      "{}, eps={}, momentum={}, affine={}, track_running_stats={}", options.num_features,
      options.eps_, options.momentum_ ? fmt::format("{}", *options.momentum_) : "None",
      options.affine_ ? "True" : "False", options.track_running_stats_ ? "True" : "False");
}

void BatchNorm1dImpl::check_input(const Tensor& x) const {
  ZG_CHECK(x.dim() == 2 || x.dim() == 3, "BatchNorm1d: expected a 2-d or 3-d input, got {}",
           shape_str(x.shape()));
}
void BatchNorm2dImpl::check_input(const Tensor& x) const {
  ZG_CHECK(x.dim() == 4, "BatchNorm2d: expected a 4-d input [N, C, H, W], got {}",
           shape_str(x.shape()));
}

GroupNormImpl::GroupNormImpl(const GroupNormOptions& opts) : Module("GroupNorm"), options(opts) {
  ZG_CHECK(opts.num_groups > 0 && opts.num_channels > 0 && opts.num_channels % opts.num_groups == 0,
           "GroupNorm: num_groups {} must be positive and divide num_channels {}", opts.num_groups,
           opts.num_channels);
  if (opts.affine_) {
    weight = register_parameter("weight", empty({opts.num_channels}));
    bias = register_parameter("bias", empty({opts.num_channels}));
  }
  reset_parameters();
}

void GroupNormImpl::reset_parameters() {
  if (!options.affine_) return;
  init::ones_(weight);
  init::zeros_(bias);
}

Tensor GroupNormImpl::forward(const Tensor& x) {
  ZG_CHECK(x.dim() >= 2 && x.size(1) == options.num_channels,
           "GroupNorm: input {} must be [N, {}, *]", shape_str(x.shape()), options.num_channels);
  return functional::group_norm(x, options.num_groups, weight, bias, options.eps_);
}

std::string GroupNormImpl::extra_repr() const {
  return fmt::format("{}, {}, eps={}, affine={}", options.num_groups, options.num_channels,
                     options.eps_, options.affine_ ? "True" : "False");
}

LayerNormImpl::LayerNormImpl(const LayerNormOptions& opts) : Module("LayerNorm"), options(opts) {
  ZG_CHECK(!opts.normalized_shape.empty() && numel_of(opts.normalized_shape) > 0,
           "LayerNorm: normalized_shape must be non-empty with positive sizes, got {}",
           shape_str(opts.normalized_shape));
  if (opts.elementwise_affine_) {
    weight = register_parameter("weight", empty(opts.normalized_shape));
    bias = register_parameter("bias", empty(opts.normalized_shape));
  }
  reset_parameters();
}

void LayerNormImpl::reset_parameters() {
  if (!options.elementwise_affine_) return;
  init::ones_(weight);
  init::zeros_(bias);
}

Tensor LayerNormImpl::forward(const Tensor& x) {
  return functional::layer_norm(x, options.normalized_shape, weight, bias, options.eps_);
}

std::string LayerNormImpl::extra_repr() const {
  // Python's tuple spelling, as torch prints it: (64,) and (4, 5).
  std::string shape = fmt::format("{}", fmt::join(options.normalized_shape, ", "));
  if (options.normalized_shape.size() == 1) shape += ",";
  return fmt::format("({}), eps={}, elementwise_affine={}", shape, options.eps_,
                     options.elementwise_affine_ ? "True" : "False");
}

}  // namespace zg::nn
