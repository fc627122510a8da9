/// \file
/// zg::optim::Optimizer — the base of SGD, Adam and AdamW.
///
/// An optimizer holds leaf tensors that require grad and updates them in place from their
/// .grad(), under NoGradGuard. The arithmetic follows torch.optim (PyTorch 1.13,
/// single-tensor code path) operation for operation, so trajectories agree with PyTorch's to
/// float32 rounding (tests/optim/test_optim_vs_torch.cpp).
///
/// Per-parameter state is created lazily at a parameter's first update, as torch does: a
/// parameter whose .grad() is undefined at a step is skipped and its state left alone (for
/// Adam that includes its own step count, which its bias correction uses).
///
/// state_dict() holds everything a resumed run needs to continue bit for bit (test_state_dict):
/// \code{.unparsed}
///   "step"            int64 0-d   completed step() calls
///   "lr"              float64 0-d the current learning rate (a schedule may have changed it)
///   "options.<name>"  float64 0-d the hyper-parameters (momentum, beta1, amsgrad as 0/1, ...)
///   "<i>.<buffer>"    per parameter i, once created: "<i>.momentum_buffer" (SGD),
///                     "<i>.step", "<i>.exp_avg", "<i>.exp_avg_sq", "<i>.max_exp_avg_sq" (Adam)
/// \endcode
/// load_state_dict() checks every name, shape and dtype and that the hyper-parameters equal
/// this optimizer's own (a resumed run with other ones would silently follow another
/// trajectory); it restores "step", "lr" and the buffers, and changes nothing if it throws.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace zg::optim {

class Optimizer {
 public:
  /// params: distinct floating-point leaf tensors that require grad.
  Optimizer(std::vector<Tensor> params, double lr);
  virtual ~Optimizer();
  /// The state holds tensors; a copy would share them with the original.
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  /// One update of every parameter that has a gradient, then steps() grows by one.
  virtual void step();
  /// Drops every parameter's .grad() (PyTorch 2's default set_to_none); with
  /// set_to_none = false, zeroes the existing gradient buffers instead.
  void zero_grad(bool set_to_none = true);

  double lr() const { return lr_; }
  void set_lr(double lr);
  const std::vector<Tensor>& params() const { return params_; }
  int64_t steps() const { return steps_; }

  virtual TensorDict state_dict() const;  ///< copies: later steps do not change it
  virtual void load_state_dict(const TensorDict& dict);

 protected:
  /// One buffer of a parameter's state: shaped like the parameter (same dtype, device), or
  /// an int64 0-d counter.
  struct Buffer {
    std::string name;
    bool like_param;
  };
  /// The buffers a parameter has once its state exists (empty: the optimizer keeps none).
  virtual std::vector<Buffer> buffers() const = 0;
  /// The hyper-parameters saved under "options.<name>" and checked on load (lr is not one).
  virtual std::vector<std::pair<std::string, double>> option_values() const = 0;
  virtual const char* name() const = 0;
  /// Updates params()[i] in place from its gradient; runs under NoGradGuard.
  virtual void update(size_t i, Tensor& param, const Tensor& grad) = 0;

  /// Per-parameter state by buffer name, empty until the parameter's first update.
  std::vector<TensorDict> state_;

 private:
  std::vector<Tensor> params_;
  double lr_;
  int64_t steps_ = 0;
};

}  // namespace zg::optim
