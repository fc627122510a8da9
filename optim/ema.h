/// \file
/// Exponential moving average of weights, for evaluating and sampling with smoothed weights
/// (DDPM's EMA at decay 0.9999): after each optimizer step,
/// \code{.unparsed}
///   shadow = decay·shadow + (1 − decay)·param
/// \endcode
/// The shadow starts as a copy of the params. To sample with it: ema.copy_to(model params)
/// (after saving the raw weights, if training goes on).
///
/// With warm-up, update n (0-based) uses min(decay, (1 + n)/(10 + n)) instead (TensorFlow's
/// ExponentialMovingAverage with num_updates): at decay 0.999 a 2500-step run would otherwise
/// still carry 0.999^2500 = 8% of the random initial weights, enough to make its samples
/// noise.
#pragma once
#include <vector>

#include "tensor/tensor.h"

namespace zg::optim {

class EMA {
 public:
  /// params: floating-point tensors (parameters or buffers such as running statistics);
  /// decay in [0, 1].
  EMA(std::vector<Tensor> params, double decay, bool warmup = false);

  void update();  ///< shadow_i = decay·shadow_i + (1 − decay)·params_i, in place
  /// Writes the shadow into `params` (same count, shapes and dtypes as the tracked ones).
  void copy_to(const std::vector<Tensor>& params) const;
  const std::vector<Tensor>& shadow() const { return shadow_; }
  double decay() const { return decay_; }
  int64_t num_updates() const { return num_updates_; }
  /// The decay the next update() uses.
  double current_decay() const;

  /// "<i>.shadow" per tracked tensor, "decay" (float64, checked on load) and "num_updates"
  /// (int64). Copies.
  TensorDict state_dict() const;
  /// Checks names, shapes, dtypes and the decay; changes nothing if it throws.
  void load_state_dict(const TensorDict& dict);

 private:
  std::vector<Tensor> params_;
  std::vector<Tensor> shadow_;
  double decay_;
  bool warmup_;
  int64_t num_updates_ = 0;
};

}  // namespace zg::optim
