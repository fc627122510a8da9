#include "optim/adam.h"

#include <cmath>

#include "tensor/error.h"

namespace zg::optim {

AdamBase::AdamBase(std::vector<Tensor> params, const AdamOptions& o, bool decoupled)
    : Optimizer(std::move(params), o.lr), hp_(o), decoupled_(decoupled) {
  const char* op = decoupled ? "AdamW" : "Adam";
  ZG_CHECK(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1,
           "{}: betas ({}, {}) must lie in [0, 1)", op, o.beta1, o.beta2);
  ZG_CHECK(std::isfinite(o.eps) && o.eps >= 0, "{}: eps {} must be >= 0", op, o.eps);
  ZG_CHECK(std::isfinite(o.weight_decay) && o.weight_decay >= 0, "{}: weight_decay {} must be >= 0",
           op, o.weight_decay);
}

std::vector<Optimizer::Buffer> AdamBase::buffers() const {
  std::vector<Buffer> b = {{"step", false}, {"exp_avg", true}, {"exp_avg_sq", true}};
  if (hp_.amsgrad) b.push_back({"max_exp_avg_sq", true});
  return b;
}

std::vector<std::pair<std::string, double>> AdamBase::option_values() const {
  return {{"beta1", hp_.beta1},
          {"beta2", hp_.beta2},
          {"eps", hp_.eps},
          {"weight_decay", hp_.weight_decay},
          {"amsgrad", hp_.amsgrad ? 1.0 : 0.0},
          {"decoupled_weight_decay", decoupled_ ? 1.0 : 0.0}};
}

void AdamBase::update(size_t i, Tensor& param, const Tensor& grad) {
  const AdamOptions& o = hp_;
  TensorDict& state = state_[i];
  if (state.empty()) {
    state["step"] = scalar_tensor(0, kInt64);
    state["exp_avg"] = zeros_like(param);
    state["exp_avg_sq"] = zeros_like(param);
    if (o.amsgrad) state["max_exp_avg_sq"] = zeros_like(param);
  }
  // The count lives in a CPU int64 tensor so that state_dict() saves it like the buffers.
  int64_t t = ++state["step"].data_ptr<int64_t>()[0];
  Tensor& m = state["exp_avg"];
  Tensor& v = state["exp_avg_sq"];

  Tensor g = grad;
  if (o.weight_decay != 0) {
    if (decoupled_)
      param.mul_(1 - lr() * o.weight_decay);
    else
      g = add(grad, param, o.weight_decay);
  }
  m.mul_(o.beta1).add_(g, 1 - o.beta1);
  v.mul_(o.beta2).addcmul_(g, g, 1 - o.beta2);

  // Scalars in double, as torch computes them in Python, then one float32 rounding in each op.
  double bias_correction1 = 1 - std::pow(o.beta1, static_cast<double>(t));
  double bias_correction2 = 1 - std::pow(o.beta2, static_cast<double>(t));
  double step_size = lr() / bias_correction1;
  double bias_correction2_sqrt = std::sqrt(bias_correction2);

  Tensor denom;
  if (o.amsgrad) {
    Tensor& v_max = state["max_exp_avg_sq"];
    v_max.copy_(maximum(v_max, v));  // no in-place maximum primitive: one temporary
    denom = v_max.sqrt();
  } else {
    denom = v.sqrt();
  }
  // A true division, not a multiplication by the reciprocal: that is what torch's
  // `sqrt / bias_correction2_sqrt` rounds to.
  denom
      .div_(
          scalar_tensor(bias_correction2_sqrt, TensorOptions(param.dtype()).device(param.device())))
      .add_(o.eps);
  param.addcdiv_(m, denom, -step_size);
}

Adam::Adam(std::vector<Tensor> params, AdamOptions options)
    : AdamBase(std::move(params), options, /*decoupled=*/false) {}

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions o)
    : AdamBase(std::move(params),
               AdamOptions{.lr = o.lr,
                           .beta1 = o.beta1,
                           .beta2 = o.beta2,
                           .eps = o.eps,
                           .weight_decay = o.weight_decay,
                           .amsgrad = o.amsgrad},
               /*decoupled=*/true),
      options_(o) {}

}  // namespace zg::optim
