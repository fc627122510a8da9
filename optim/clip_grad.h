/// \file
/// Gradient-norm clipping, as torch.nn.utils.clip_grad_norm_.
#pragma once
#include <vector>

#include "tensor/tensor.h"

namespace zg::optim {

/// The norm of all defined gradients of `params` taken together as one vector (norm_type > 0,
/// or INFINITY for the max norm); when it exceeds max_norm, every gradient is scaled in place
/// by max_norm / (norm + 1e-6). Returns the norm before clipping (0 when no parameter has a
/// gradient). A NaN or infinite norm throws when error_if_nonfinite is set; otherwise, as torch
/// does, the gradients are still scaled (to NaN or 0) and the norm returned for the caller
/// to act on — check it when training with a loss that can overflow.
double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);

}  // namespace zg::optim
