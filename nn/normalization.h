/// \file
/// Normalisation layers, as torch.nn: BatchNorm1d/2d, GroupNorm, LayerNorm.
///
/// All three are one computation, y = (x − μ)/√(σ² + eps)·w + b, with μ and σ² the biased
/// mean and variance over some dims (BatchNorm: batch and space per channel; GroupNorm: each
/// sample's channel group; LayerNorm: the trailing normalized_shape). It runs as one fused
/// forward (a moments pass, then one affine pass) and a hand-written backward whose formula
/// is itself made of differentiable ops, so second derivatives (gradient penalties, exact
/// score matching) go through it.
#pragma once
#include <optional>

#include "nn/module.h"

namespace zg::nn {

namespace functional {

/// x: [N, C, *]. Uses the batch statistics when `training` (or when no running statistics are
/// given), else running_mean/running_var. When training with running statistics, updates them
/// in place as torch does: r ← (1 − momentum)·r + momentum·s, with the unbiased batch
/// variance for running_var (the biased one normalises). weight/bias [C] may be undefined.
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight = {}, const Tensor& bias = {}, bool training = false,
                  double momentum = 0.1, double eps = 1e-5);
/// x: [N, C, *], statistics per sample over each of num_groups groups of C/num_groups channels;
/// weight/bias [C] (per channel) may be undefined.
Tensor group_norm(const Tensor& x, int64_t num_groups, const Tensor& weight = {},
                  const Tensor& bias = {}, double eps = 1e-5);
/// Statistics over the trailing dims of x that equal normalized_shape; weight/bias have
/// normalized_shape (elementwise) and may be undefined.
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = {},
                  const Tensor& bias = {}, double eps = 1e-5);

}  // namespace functional

struct BatchNormOptions {
  BatchNormOptions(int64_t num_features) : num_features(num_features) {}  // NOLINT
  BatchNormOptions& eps(double v) {
    eps_ = v;
    return *this;
  }
  /// nullopt: a cumulative average (factor 1/num_batches_tracked), as momentum=None in torch.
  BatchNormOptions& momentum(std::optional<double> v) {
    momentum_ = v;
    return *this;
  }
  BatchNormOptions& affine(bool v) {
    affine_ = v;
    return *this;
  }
  BatchNormOptions& track_running_stats(bool v) {
    track_running_stats_ = v;
    return *this;
  }
  int64_t num_features;
  double eps_ = 1e-5;
  std::optional<double> momentum_ = 0.1;
  bool affine_ = true;
  bool track_running_stats_ = true;
};

/// The shared body of BatchNorm1d/2d; they differ only in the input ranks they accept.
class BatchNormImplBase : public Module {
 public:
  BatchNormImplBase(const BatchNormOptions& options, std::string name);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  void reset_running_stats();
  void reset_parameters();  ///< weight 1, bias 0, running stats reset

  BatchNormOptions options;
  Tensor weight, bias;                                    ///< [C], when affine
  Tensor running_mean, running_var, num_batches_tracked;  ///< when track_running_stats

 protected:
  virtual void check_input(const Tensor& x) const = 0;
};

/// [N, C] or [N, C, L].
class BatchNorm1dImpl : public BatchNormImplBase {
 public:
  explicit BatchNorm1dImpl(const BatchNormOptions& options)
      : BatchNormImplBase(options, "BatchNorm1d") {}

 protected:
  void check_input(const Tensor& x) const override;
};
ZG_MODULE(BatchNorm1d);

/// [N, C, H, W].
class BatchNorm2dImpl : public BatchNormImplBase {
 public:
  explicit BatchNorm2dImpl(const BatchNormOptions& options)
      : BatchNormImplBase(options, "BatchNorm2d") {}

 protected:
  void check_input(const Tensor& x) const override;
};
ZG_MODULE(BatchNorm2d);

struct GroupNormOptions {
  GroupNormOptions(int64_t num_groups, int64_t num_channels)
      : num_groups(num_groups), num_channels(num_channels) {}
  GroupNormOptions& eps(double v) {
    eps_ = v;
    return *this;
  }
  GroupNormOptions& affine(bool v) {
    affine_ = v;
    return *this;
  }
  int64_t num_groups, num_channels;
  double eps_ = 1e-5;
  bool affine_ = true;
};

class GroupNormImpl : public Module {
 public:
  GroupNormImpl(int64_t num_groups, int64_t num_channels)
      : GroupNormImpl(GroupNormOptions(num_groups, num_channels)) {}
  explicit GroupNormImpl(const GroupNormOptions& options);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  void reset_parameters();

  GroupNormOptions options;
  Tensor weight, bias;  ///< [C], when affine
};
ZG_MODULE(GroupNorm);

struct LayerNormOptions {
  LayerNormOptions(Shape normalized_shape)
      : normalized_shape(std::move(normalized_shape)) {}  // NOLINT
  LayerNormOptions& eps(double v) {
    eps_ = v;
    return *this;
  }
  LayerNormOptions& elementwise_affine(bool v) {
    elementwise_affine_ = v;
    return *this;
  }
  Shape normalized_shape;
  double eps_ = 1e-5;
  bool elementwise_affine_ = true;
};

class LayerNormImpl : public Module {
 public:
  explicit LayerNormImpl(const LayerNormOptions& options);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  void reset_parameters();

  LayerNormOptions options;
  Tensor weight, bias;  ///< normalized_shape, when elementwise_affine
};
ZG_MODULE(LayerNorm);

}  // namespace zg::nn
