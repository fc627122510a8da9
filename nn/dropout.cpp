#include "nn/dropout.h"

#include <fmt/format.h>

#include "tensor/error.h"
#include "tensor/raw.h"

namespace zg::nn {

namespace functional {

Tensor dropout(const Tensor& x, double p, bool training, Generator* gen) {
  ZG_CHECK(p >= 0.0 && p <= 1.0, "dropout: p must be in [0, 1], got {}", p);
  raw::check_floating(x, "dropout");
  if (!training || p == 0.0) return x;
  if (p == 1.0) return x * 0.0;  // every element dropped (torch returns zeros too)
  // keep ~ Bernoulli(1 − p), as u < 1 − p with u uniform; the scaled mask is a constant,
  // so the gradient is the same mask times the incoming gradient.
  Tensor u = rand(x.shape(), gen ? *gen : default_generator(), x.options());
  Tensor mask = raw::binary(BinaryOp::Lt, u, 1.0 - p, "dropout");
  return x * (mask * (1.0 / (1.0 - p)));
}

}  // namespace functional

DropoutImpl::DropoutImpl(const DropoutOptions& opts) : Module("Dropout"), options(opts) {
  ZG_CHECK(opts.p >= 0.0 && opts.p <= 1.0, "Dropout: p must be in [0, 1], got {}", opts.p);
}

Tensor DropoutImpl::forward(const Tensor& x) {
  return functional::dropout(x, options.p, is_training(), options.generator_);
}

std::string DropoutImpl::extra_repr() const {
  return fmt::format("p={}, inplace=False", options.p);
}

}  // namespace zg::nn
