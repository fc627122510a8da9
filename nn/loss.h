/// \file
/// Losses, as torch.nn.functional and torch.nn: each takes reduction "mean" (default), "sum"
/// or "none" (the elementwise/per-sample losses). Targets must match the input's shape and
/// dtype where torch would broadcast silently; class indices must be int64 and in range.
/// All are built from differentiable ops, so they have second derivatives too.
#pragma once
#include <string>

#include "nn/module.h"

namespace zg::nn {

/// Options of cross_entropy / nll_loss and their modules.
struct CrossEntropyOptions {
  Tensor weight = {};            ///< [C] per-class weights (optional)
  int64_t ignore_index = -100;   ///< targets equal to it contribute nothing (class-index targets)
  double label_smoothing = 0.0;  ///< in [0, 1]
  std::string reduction = "mean";
};

namespace functional {

/// (input − target)², reduced.
Tensor mse_loss(const Tensor& input, const Tensor& target, const std::string& reduction = "mean");

/// −[y·log σ(x) + (1 − y)·log(1 − σ(x))], computed stably as (1 − y)·x + softplus(−x)
/// (= max(x, 0) − x·y + log1p(e^{−|x|})), whose derivative σ(x) − y is smooth everywhere —
/// also at x = 0, where a max/abs form would pick a one-sided slope. weight (optional)
/// broadcasts against the input and multiplies each element's loss.
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const Tensor& weight = {},
                                        const std::string& reduction = "mean");

/// input: log-probabilities [N, C] or [N, C, d1, ...] (or [C] unbatched); target: int64
/// [N] / [N, d1, ...] / []. loss = −weight[y]·input[y]; "mean" divides by Σ weight[y] over
/// the targets that are not ignore_index (torch's weighted mean).
Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight = {},
                int64_t ignore_index = -100, const std::string& reduction = "mean");

/// log_softmax over dim 1 then nll_loss, with torch's label smoothing: (1 − ε)·nll +
/// ε/C·Σ_c −weight[c]·log p_c (normalised like nll under "mean"). A floating target of the
/// input's shape is read as class probabilities (torch's soft targets) instead.
Tensor cross_entropy(const Tensor& input, const Tensor& target,
                     const CrossEntropyOptions& options = {});

/// ½·(log max(var, eps) + (input − target)² / max(var, eps)) (+ ½·log 2π when full), as
/// torch.nn.GaussianNLLLoss: var has input's shape, or input's shape with the last dim 1 or
/// dropped (one variance per row); the clamp does not block var's gradient, as in torch.
Tensor gaussian_nll_loss(const Tensor& input, const Tensor& target, const Tensor& var,
                         bool full = false, double eps = 1e-6,
                         const std::string& reduction = "mean");

/// KL(N(mu1, e^logvar1) ‖ N(mu2, e^logvar2)) elementwise (D6), reduced; the standard-normal
/// prior form gaussian_kl_standard_loss(mu, logvar) is the VAE's term.
Tensor gaussian_kl_loss(const Tensor& mu1, const Tensor& logvar1, const Tensor& mu2,
                        const Tensor& logvar2, const std::string& reduction = "mean");
Tensor gaussian_kl_standard_loss(const Tensor& mu, const Tensor& logvar,
                                 const std::string& reduction = "mean");

/// Applies a reduction name to elementwise losses (throws naming `op` for an unknown one).
Tensor reduce_loss(const Tensor& loss, const std::string& reduction, const char* op);

}  // namespace functional

// ---- module forms -------------------------------------------------------------------------

class MSELossImpl : public Module {
 public:
  using Module::forward;  ///< the single-input one (losses take a target)
  explicit MSELossImpl(std::string reduction = "mean");
  Tensor forward(const Tensor& input, const Tensor& target);
  std::string extra_repr() const override { return "reduction=" + reduction; }
  std::string reduction;
};
ZG_MODULE(MSELoss);

class BCEWithLogitsLossImpl : public Module {
 public:
  using Module::forward;  ///< the single-input one (losses take a target)
  explicit BCEWithLogitsLossImpl(std::string reduction = "mean", Tensor weight = {});
  Tensor forward(const Tensor& input, const Tensor& target);
  std::string extra_repr() const override { return "reduction=" + reduction; }
  std::string reduction;
  Tensor weight;  ///< a buffer when given
};
ZG_MODULE(BCEWithLogitsLoss);

class CrossEntropyLossImpl : public Module {
 public:
  using Module::forward;  ///< the single-input one (losses take a target)
  explicit CrossEntropyLossImpl(CrossEntropyOptions options = {});
  Tensor forward(const Tensor& input, const Tensor& target);
  std::string extra_repr() const override;
  CrossEntropyOptions options;
};
ZG_MODULE(CrossEntropyLoss);

class NLLLossImpl : public Module {
 public:
  using Module::forward;  ///< the single-input one (losses take a target)
  explicit NLLLossImpl(CrossEntropyOptions options = {});  ///< label_smoothing must be 0
  Tensor forward(const Tensor& input, const Tensor& target);
  std::string extra_repr() const override { return "reduction=" + options.reduction; }
  CrossEntropyOptions options;
};
ZG_MODULE(NLLLoss);

class GaussianNLLLossImpl : public Module {
 public:
  using Module::forward;  ///< the single-input one (losses take a target)
  explicit GaussianNLLLossImpl(bool full = false, double eps = 1e-6,
                               std::string reduction = "mean");
  Tensor forward(const Tensor& input, const Tensor& target, const Tensor& var);
  std::string extra_repr() const override;
  bool full;
  double eps;
  std::string reduction;
};
ZG_MODULE(GaussianNLLLoss);

/// forward(mu1, logvar1, mu2, logvar2), or forward(mu, logvar) against N(0, 1).
class GaussianKLLossImpl : public Module {
 public:
  using Module::forward;  ///< the single-input one (losses take a target)
  explicit GaussianKLLossImpl(std::string reduction = "mean");
  Tensor forward(const Tensor& mu, const Tensor& logvar);
  Tensor forward(const Tensor& mu1, const Tensor& logvar1, const Tensor& mu2,
                 const Tensor& logvar2);
  std::string extra_repr() const override { return "reduction=" + reduction; }
  std::string reduction;
};
ZG_MODULE(GaussianKLLoss);

}  // namespace zg::nn
