/// \file
/// Checking a derivative against finite differences — for the tests and for anyone adding
/// an op or a layer. Inputs should be float64; each input element is nudged by ±eps in
/// place (so non-contiguous inputs are checked in their own layout) and every output
/// element's analytic gradient row is compared with the central difference.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace zg::autograd {

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-5;
  double rtol = 1e-3;
  bool raise = true;  ///< throw zg::Error describing the first mismatch instead of returning false
};

using GradcheckFn = std::function<Tensor(const std::vector<Tensor>&)>;

/// True when d f(inputs) / d inputs[i] matches finite differences for every input that
/// requires grad. Throws (by default) with the input, element and both values otherwise.
bool gradcheck(const GradcheckFn& f, const std::vector<Tensor>& inputs, GradcheckOptions options = {});

/// gradcheck of the map (inputs, v) -> vᵀ·J(inputs) built with create_graph: checks that the
/// backward formulas are themselves correctly differentiable (second order).
bool gradgradcheck(const GradcheckFn& f, const std::vector<Tensor>& inputs,
                   GradcheckOptions options = {});

}  // namespace zg::autograd
