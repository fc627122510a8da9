#include "optim/clip_grad.h"

#include <algorithm>
#include <cmath>

#include "autograd/grad_mode.h"
#include "tensor/error.h"

namespace zg::optim {

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
  ZG_CHECK(max_norm >= 0, "clip_grad_norm_: max_norm {} must be >= 0", max_norm);
  ZG_CHECK(norm_type > 0, "clip_grad_norm_: norm_type {} must be > 0 (or INFINITY)", norm_type);
  NoGradGuard no_grad;
  std::vector<Tensor> grads;
  for (const Tensor& p : params)
    if (p.defined() && p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return 0.0;

  // Per gradient one reduction (sums accumulate in double), then the total in double:
  // torch rounds each per-gradient norm to float32, so the two agree to float32 rounding.
  double total = 0;
  if (std::isinf(norm_type)) {
    for (const Tensor& g : grads) {
      double m = g.abs().max().item<double>();  // max() propagates NaN; std::max would not
      total = std::isnan(m) || std::isnan(total) ? NAN : std::max(total, m);
    }
  } else {
    for (const Tensor& g : grads) {
      Tensor s = norm_type == 1   ? g.abs().sum()
                 : norm_type == 2 ? g.square().sum()
                                  : g.abs().pow(norm_type).sum();
      total += s.item<double>();
    }
    total = norm_type == 1 ? total : std::pow(total, 1.0 / norm_type);
  }

  ZG_CHECK(!error_if_nonfinite || std::isfinite(total),
           "clip_grad_norm_: the total norm of order {} of the gradients is {}, so it cannot be "
           "clipped",
           norm_type, total);
  double coef = max_norm / (total + 1e-6);
  // `!(coef >= 1)` also scales by a NaN coefficient, as torch does: the gradients then show it.
  if (!(coef >= 1))
    for (Tensor g : grads) g.mul_(coef);
  return total;
}

}  // namespace zg::optim
