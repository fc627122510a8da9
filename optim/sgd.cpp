#include "optim/sgd.h"

#include <cmath>

#include "tensor/error.h"

namespace zg::optim {

SGD::SGD(std::vector<Tensor> params, SGDOptions options)
    : Optimizer(std::move(params), options.lr), options_(options) {
  const SGDOptions& o = options_;
  ZG_CHECK(std::isfinite(o.momentum) && o.momentum >= 0, "SGD: momentum {} must be >= 0",
           o.momentum);
  ZG_CHECK(std::isfinite(o.dampening), "SGD: dampening {} is not finite", o.dampening);
  ZG_CHECK(std::isfinite(o.weight_decay) && o.weight_decay >= 0,
           "SGD: weight_decay {} must be >= 0", o.weight_decay);
  ZG_CHECK(!o.nesterov || (o.momentum > 0 && o.dampening == 0),
           "SGD: nesterov needs momentum > 0 and dampening = 0 (got momentum {}, dampening {})",
           o.momentum, o.dampening);
}

std::vector<Optimizer::Buffer> SGD::buffers() const {
  if (options_.momentum == 0) return {};
  return {{"momentum_buffer", true}};
}

std::vector<std::pair<std::string, double>> SGD::option_values() const {
  return {{"momentum", options_.momentum},
          {"dampening", options_.dampening},
          {"weight_decay", options_.weight_decay},
          {"nesterov", options_.nesterov ? 1.0 : 0.0}};
}

void SGD::update(size_t i, Tensor& param, const Tensor& grad) {
  const SGDOptions& o = options_;
  // d aliases the gradient until an op needs a new buffer; .grad() itself is never written.
  Tensor d = grad;
  bool d_owned = false;
  if (o.weight_decay != 0) {
    d = add(grad, param, o.weight_decay);
    d_owned = true;
  }
  if (o.momentum != 0) {
    TensorDict& state = state_[i];
    auto it = state.find("momentum_buffer");
    Tensor buf;
    if (it == state.end()) {
      buf = d.clone();
      state["momentum_buffer"] = buf;
    } else {
      buf = it->second;
      buf.mul_(o.momentum).add_(d, 1 - o.dampening);
    }
    if (o.nesterov)
      d = d_owned ? d.add_(buf, o.momentum) : add(d, buf, o.momentum);
    else
      d = buf;
  }
  param.add_(d, -lr());
}

}  // namespace zg::optim
