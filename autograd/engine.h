/// \file
/// Running the graph backwards.
#pragma once
#include <optional>
#include <vector>

#include "tensor/tensor.h"

namespace zg::autograd {

struct GradOptions {
  /// Seed per output; may be omitted for one-element outputs.
  std::vector<Tensor> grad_outputs = {};
  std::optional<bool> retain_graph = std::nullopt;  ///< default: create_graph
  bool create_graph = false;  ///< record the backward pass, for higher-order gradients
  bool allow_unused = false;  ///< an input the outputs do not depend on gets undefined
};

/// d(sum of outputs·seeds)/d(inputs), without touching any .grad(), like torch.autograd.grad.
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         GradOptions options = {});

/// Accumulates d(sum of outputs·seeds)/d(leaf) into every leaf's .grad().
void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs = {},
              std::optional<bool> retain_graph = std::nullopt, bool create_graph = false);

}  // namespace zg::autograd
