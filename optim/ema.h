/// \file
/// Exponential moving average of weights, for evaluating and sampling with smoothed weights
/// (DDPM's EMA at decay 0.9999): after each optimizer step,
/// \code{.unparsed}
///   shadow = decay·shadow + (1 − decay)·param
/// \endcode
/// The shadow starts as a copy of the params. To sample with it: ema.copy_to(model params)
/// (after saving the raw weights, if training goes on).
#pragma once
#include <vector>

#include "tensor/tensor.h"

namespace zg::optim {

class EMA {
 public:
  /// params: floating-point tensors (parameters or buffers such as running statistics);
  /// decay in [0, 1].
  EMA(std::vector<Tensor> params, double decay);

  void update();  ///< shadow_i = decay·shadow_i + (1 − decay)·params_i, in place
  /// Writes the shadow into `params` (same count, shapes and dtypes as the tracked ones).
  void copy_to(const std::vector<Tensor>& params) const;
  const std::vector<Tensor>& shadow() const { return shadow_; }
  double decay() const { return decay_; }

  /// "<i>.shadow" per tracked tensor and "decay" (float64, checked on load). Copies.
  TensorDict state_dict() const;
  /// Checks names, shapes, dtypes and the decay; changes nothing if it throws.
  void load_state_dict(const TensorDict& dict);

 private:
  std::vector<Tensor> params_;
  std::vector<Tensor> shadow_;
  double decay_;
};

}  // namespace zg::optim
