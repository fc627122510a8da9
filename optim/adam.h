/// \file
/// Adam and AdamW, as torch.optim.Adam / torch.optim.AdamW (PyTorch 1.13, single-tensor path).
/// Per parameter, with its own step count t (a parameter without a gradient skips a step):
/// \code{.unparsed}
///   Adam:  g = g + weight_decay·p            (L2 penalty folded into the gradient)
///   AdamW: p = p·(1 − lr·weight_decay)       (decoupled decay, before the Adam update)
///   m = β1·m + (1 − β1)·g,   v = β2·v + (1 − β2)·g²,   v̂ = max(v̂, v) (amsgrad)
///   p = p − lr/(1 − β1^t) · m / (√v / √(1 − β2^t) + eps)     (√v̂ with amsgrad)
/// \endcode
/// eps is added after the bias correction of √v, as torch does — not to √v̂ of the paper.
#pragma once
#include "optim/optimizer.h"

namespace zg::optim {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;  ///< L2: added to the gradient
  bool amsgrad = false;
};

/// AdamOptions with AdamW's default decoupled weight decay (torch.optim.AdamW's 1e-2; LibTorch
/// has the same struct).
struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;  ///< decoupled: p shrinks by lr·weight_decay per step
  bool amsgrad = false;
};

/// The update both share; `decoupled` picks AdamW's weight decay.
class AdamBase : public Optimizer {
 protected:
  AdamBase(std::vector<Tensor> params, const AdamOptions& options, bool decoupled);
  std::vector<Buffer> buffers() const override;
  std::vector<std::pair<std::string, double>> option_values() const override;
  void update(size_t i, Tensor& param, const Tensor& grad) override;

  AdamOptions hp_;
  bool decoupled_;
};

class Adam : public AdamBase {
 public:
  Adam(std::vector<Tensor> params, AdamOptions options = {});
  const AdamOptions& options() const { return hp_; }

 protected:
  const char* name() const override { return "Adam"; }
};

class AdamW : public AdamBase {
 public:
  AdamW(std::vector<Tensor> params, AdamWOptions options = {});
  const AdamWOptions& options() const { return options_; }

 protected:
  const char* name() const override { return "AdamW"; }

 private:
  AdamWOptions options_;
};

}  // namespace zg::optim
