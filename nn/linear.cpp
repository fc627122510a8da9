#include "nn/linear.h"

#include <fmt/format.h>

#include <cmath>

#include "nn/functional.h"
#include "nn/init.h"
#include "tensor/error.h"

namespace zg::nn {

LinearImpl::LinearImpl(const LinearOptions& opts) : Module("Linear"), options(opts) {
  ZG_CHECK(opts.in_features > 0 && opts.out_features > 0,
           "Linear: in_features and out_features must be positive, got {} and {}", opts.in_features,
           opts.out_features);
  weight = register_parameter("weight", empty({opts.out_features, opts.in_features}));
  if (opts.bias_) bias = register_parameter("bias", empty({opts.out_features}));
  reset_parameters();
}

void LinearImpl::reset_parameters() {
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    double bound = 1.0 / std::sqrt(static_cast<double>(options.in_features));
    init::uniform_(bias, -bound, bound);
  }
}

Tensor LinearImpl::forward(const Tensor& x) { return functional::linear(x, weight, bias); }

std::string LinearImpl::extra_repr() const {
  return fmt::format("in_features={}, out_features={}, bias={}", options.in_features,
                     options.out_features, options.bias_);
}

std::string FlattenImpl::extra_repr() const {
  return fmt::format("start_dim={}, end_dim={}", start_dim, end_dim);
}

}  // namespace zg::nn
