#include "nn/loss.h"

#include <fmt/format.h>

#include <cmath>

#include "autograd/node.h"
#include "nn/functional.h"
#include "tensor/error.h"
#include "tensor/raw.h"

namespace zg::nn {

namespace functional {

namespace {

// Same shape and dtype: where torch broadcasts a [N] target against an [N, 1] input with
// only a warning, a silent [N, N] loss is the classic bug; here it is an error.
void check_target(const Tensor& input, const Tensor& target, const char* op) {
  ZG_CHECK(input.shape() == target.shape(), "{}: target {} must have the input's shape {}", op,
           shape_str(target.shape()), shape_str(input.shape()));
  ZG_CHECK(input.dtype() == target.dtype(), "{}: target dtype {} must match the input's {}", op,
           dtype_name(target.dtype()), dtype_name(input.dtype()));
  raw::check_floating(input, op);
}

}  // namespace

Tensor reduce_loss(const Tensor& loss, const std::string& reduction, const char* op) {
  if (reduction == "mean") return loss.mean();
  if (reduction == "sum") return loss.sum();
  ZG_CHECK(reduction == "none", "{}: reduction must be \"mean\", \"sum\" or \"none\", got \"{}\"",
           op, reduction);
  return loss;
}

Tensor mse_loss(const Tensor& input, const Tensor& target, const std::string& reduction) {
  check_target(input, target, "mse_loss");
  return reduce_loss((input - target).square(), reduction, "mse_loss");
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const Tensor& weight, const std::string& reduction) {
  check_target(input, target, "binary_cross_entropy_with_logits");
  Tensor loss = (1.0 - target) * input + (-input).softplus();
  if (weight.defined()) {
    ZG_CHECK(broadcast_shapes(weight.shape(), input.shape(), "binary_cross_entropy_with_logits") ==
                 input.shape(),
             "binary_cross_entropy_with_logits: weight {} does not broadcast to the input {}",
             shape_str(weight.shape()), shape_str(input.shape()));
    loss = loss * weight;
  }
  return reduce_loss(loss, reduction, "binary_cross_entropy_with_logits");
}

namespace {

// Shapes of a class-index loss: input [N, C, d...] with target [N, d...] (unbatched [C]
// with [] is handled by the callers). Returns C.
int64_t check_class_target(const Tensor& input, const Tensor& target, const char* op) {
  raw::check_floating(input, op);
  ZG_CHECK(target.dtype() == kInt64, "{}: class-index target must be int64, got {} {}", op,
           dtype_name(target.dtype()), shape_str(target.shape()));
  ZG_CHECK(input.dim() >= 2, "{}: input must be [N, C] or [N, C, d1, ...], got {}", op,
           shape_str(input.shape()));
  Shape expect{input.size(0)};
  for (int64_t d = 2; d < input.dim(); ++d) expect.push_back(input.size(d));
  ZG_CHECK(target.shape() == expect, "{}: target {} must be {} for input {}", op,
           shape_str(target.shape()), shape_str(expect), shape_str(input.shape()));
  return input.size(1);
}

struct Picked {
  Tensor loss;    // −weight[y]·input[y], zero where ignored
  Tensor weight;  // weight[y] (or 1), zero where ignored: the "mean" denominator terms
  Tensor valid;   // 1 where the target is not ignore_index, in the input's dtype
};

Picked pick(const Tensor& input, const Tensor& target, const Tensor& weight, int64_t ignore_index,
            const char* op) {
  const int64_t C = input.size(1);
  Tensor valid = raw::binary(BinaryOp::Ne, target, static_cast<double>(ignore_index), op);
  Tensor safe = where(valid, target, zeros({}, target.options()));
  if (safe.numel() > 0) {
    Tensor masked_hi = where(valid, target, full({}, -1.0, target.options()));
    int64_t hi = raw::reduce(ReduceOp::Max, masked_hi, {}, false, op).item<int64_t>();
    ZG_CHECK(hi < C, "{}: target {} is out of range for {} classes", op, hi, C);
    int64_t lo = raw::reduce(ReduceOp::Min, safe, {}, false, op).item<int64_t>();
    ZG_CHECK(lo >= 0, "{}: target {} is out of range for {} classes", op, lo, C);
  }
  if (weight.defined()) {
    ZG_CHECK(weight.dim() == 1 && weight.size(0) == C, "{}: weight {} must be [C] = [{}]", op,
             shape_str(weight.shape()), C);
    raw::check_same_dtype(weight, input, op);
  }
  Tensor validf = valid.to(input.dtype());
  Tensor picked = input.gather(1, safe.unsqueeze(1)).squeeze(1);
  Tensor w = weight.defined()
                 ? weight.index_select(0, safe.reshape({-1})).reshape(safe.shape()) * validf
                 : validf;
  return {-picked * w, w, validf};
}

}  // namespace

Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight,
                int64_t ignore_index, const std::string& reduction) {
  if (input.dim() == 1) {  // unbatched: [C] with a 0-d target
    Tensor out = nll_loss(input.unsqueeze(0), target.unsqueeze(0), weight, ignore_index, reduction);
    return reduction == "none" ? out.squeeze(0) : out;
  }
  check_class_target(input, target, "nll_loss");
  Picked p = pick(input, target, weight, ignore_index, "nll_loss");
  if (reduction == "mean") return p.loss.sum() / p.weight.sum();
  return reduce_loss(p.loss, reduction, "nll_loss");
}

Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyOptions& o) {
  ZG_CHECK(o.label_smoothing >= 0.0 && o.label_smoothing <= 1.0,
           "cross_entropy: label_smoothing must be in [0, 1], got {}", o.label_smoothing);
  if (input.dim() == 1) {
    Tensor out = cross_entropy(input.unsqueeze(0), target.unsqueeze(0), o);
    return o.reduction == "none" ? out.squeeze(0) : out;
  }
  raw::check_floating(input, "cross_entropy");
  ZG_CHECK(input.dim() >= 2, "cross_entropy: input must be [N, C] or [N, C, d1, ...], got {}",
           shape_str(input.shape()));
  const int64_t C = input.size(1);
  const double eps = o.label_smoothing;
  Shape class_view(input.dim(), 1);  // weight as [1, C, 1, ...]
  class_view[1] = C;
  Tensor logp = input.log_softmax(1);
  if (target.is_floating_point()) {
    // Class probabilities (torch's soft targets); "mean" is over the N·d... positions.
    ZG_CHECK(target.shape() == input.shape() && target.dtype() == input.dtype(),
             "cross_entropy: probability target {} {} must match the input {} {}",
             dtype_name(target.dtype()), shape_str(target.shape()), dtype_name(input.dtype()),
             shape_str(input.shape()));
    Tensor t = eps > 0 ? target * (1.0 - eps) + eps / static_cast<double>(C) : target;
    Tensor prod = logp * t;
    if (o.weight.defined()) {
      ZG_CHECK(o.weight.dim() == 1 && o.weight.size(0) == C,
               "cross_entropy: weight {} must be [C] = [{}]", shape_str(o.weight.shape()), C);
      prod = prod * o.weight.reshape(class_view);
    }
    return reduce_loss(-prod.sum({1}), o.reduction, "cross_entropy");
  }
  check_class_target(input, target, "cross_entropy");
  Picked p = pick(logp, target, o.weight, o.ignore_index, "cross_entropy");
  auto reduce = [&](const Tensor& per_position) {
    if (o.reduction == "mean") return per_position.sum() / p.weight.sum();
    return reduce_loss(per_position, o.reduction, "cross_entropy");
  };
  Tensor nll = reduce(p.loss);
  if (eps == 0.0) return nll;
  // torch's smoothing term: Σ_c −weight[c]·log p_c per position, zero where ignored,
  // normalised by the same denominator as the nll term under "mean".
  Tensor weighted = o.weight.defined() ? logp * o.weight.reshape(class_view) : logp;
  Tensor smooth = -weighted.sum({1}) * p.valid;
  return (1.0 - eps) * nll + reduce(smooth) * (eps / static_cast<double>(C));
}

Tensor gaussian_nll_loss(const Tensor& input, const Tensor& target, const Tensor& var, bool full,
                         double eps, const std::string& reduction) {
  check_target(input, target, "gaussian_nll_loss");
  raw::check_same_dtype(var, input, "gaussian_nll_loss");
  Tensor v = var;
  if (var.shape() != input.shape()) {
    Shape lead(input.shape().begin(), input.shape().end() - (input.dim() > 0 ? 1 : 0));
    if (var.shape() == lead) {
      v = var.unsqueeze(-1);  // one variance per row
    } else {
      bool last_one = var.dim() == input.dim() && var.dim() > 0 && var.size(-1) == 1 &&
                      Shape(var.shape().begin(), var.shape().end() - 1) == lead;
      ZG_CHECK(last_one,
               "gaussian_nll_loss: var {} must have the input's shape {}, or it with the last dim "
               "1 or dropped",
               shape_str(var.shape()), shape_str(input.shape()));
    }
  }
  if (v.numel() > 0) {
    double lo = raw::reduce(ReduceOp::Min, v, {}, false, "gaussian_nll_loss").item<double>();
    ZG_CHECK(lo >= 0, "gaussian_nll_loss: var has a negative entry ({})", lo);
  }
  // max(var, eps) in value; the gradient passes as if unclamped (torch clamps in place under
  // no_grad, which has exactly this effect).
  v = record(raw::unary(UnaryOp::ClampMin, v, eps, "gaussian_nll_loss"),
             "ClampStraightThroughBackward", {v},
             [](const Tensor& g, Node&) -> std::vector<Tensor> { return {g}; });
  Tensor loss = 0.5 * (v.log() + (input - target).square() / v);
  if (full) loss = loss + 0.5 * std::log(2.0 * M_PI);
  return reduce_loss(loss, reduction, "gaussian_nll_loss");
}

Tensor gaussian_kl_loss(const Tensor& mu1, const Tensor& logvar1, const Tensor& mu2,
                        const Tensor& logvar2, const std::string& reduction) {
  return reduce_loss(gaussian_kl(mu1, logvar1, mu2, logvar2), reduction, "gaussian_kl_loss");
}

Tensor gaussian_kl_standard_loss(const Tensor& mu, const Tensor& logvar,
                                 const std::string& reduction) {
  ZG_CHECK(mu.shape() == logvar.shape(), "gaussian_kl_standard_loss: mu {} and logvar {} differ",
           shape_str(mu.shape()), shape_str(logvar.shape()));
  return reduce_loss(gaussian_kl_standard(mu, logvar), reduction, "gaussian_kl_standard_loss");
}

}  // namespace functional

// ---- modules ------------------------------------------------------------------------------

namespace {
void check_reduction(const std::string& r, const char* op) {
  ZG_CHECK(r == "mean" || r == "sum" || r == "none",
           "{}: reduction must be \"mean\", \"sum\" or \"none\", got \"{}\"", op, r);
}
}  // namespace

MSELossImpl::MSELossImpl(std::string r) : Module("MSELoss"), reduction(std::move(r)) {
  check_reduction(reduction, "MSELoss");
}
Tensor MSELossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::mse_loss(input, target, reduction);
}

BCEWithLogitsLossImpl::BCEWithLogitsLossImpl(std::string r, Tensor w)
    : Module("BCEWithLogitsLoss"), reduction(std::move(r)) {
  check_reduction(reduction, "BCEWithLogitsLoss");
  if (w.defined()) weight = register_buffer("weight", w);
}
Tensor BCEWithLogitsLossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::binary_cross_entropy_with_logits(input, target, weight, reduction);
}

CrossEntropyLossImpl::CrossEntropyLossImpl(CrossEntropyOptions o)
    : Module("CrossEntropyLoss"), options(std::move(o)) {
  check_reduction(options.reduction, "CrossEntropyLoss");
  if (options.weight.defined()) options.weight = register_buffer("weight", options.weight);
}
Tensor CrossEntropyLossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::cross_entropy(input, target, options);
}
std::string CrossEntropyLossImpl::extra_repr() const {
  return fmt::format("reduction={}, ignore_index={}, label_smoothing={}", options.reduction,
                     options.ignore_index, options.label_smoothing);
}

NLLLossImpl::NLLLossImpl(CrossEntropyOptions o) : Module("NLLLoss"), options(std::move(o)) {
  check_reduction(options.reduction, "NLLLoss");
  ZG_CHECK(options.label_smoothing == 0.0, "NLLLoss: label_smoothing is cross_entropy's option");
  if (options.weight.defined()) options.weight = register_buffer("weight", options.weight);
}
Tensor NLLLossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::nll_loss(input, target, options.weight, options.ignore_index,
                              options.reduction);
}

GaussianNLLLossImpl::GaussianNLLLossImpl(bool full, double eps, std::string r)
    : Module("GaussianNLLLoss"), full(full), eps(eps), reduction(std::move(r)) {
  check_reduction(reduction, "GaussianNLLLoss");
}
Tensor GaussianNLLLossImpl::forward(const Tensor& input, const Tensor& target, const Tensor& var) {
  return functional::gaussian_nll_loss(input, target, var, full, eps, reduction);
}
std::string GaussianNLLLossImpl::extra_repr() const {
  return fmt::format("full={}, eps={}, reduction={}", full, eps, reduction);
}

GaussianKLLossImpl::GaussianKLLossImpl(std::string r)
    : Module("GaussianKLLoss"), reduction(std::move(r)) {
  check_reduction(reduction, "GaussianKLLoss");
}
Tensor GaussianKLLossImpl::forward(const Tensor& mu, const Tensor& logvar) {
  return functional::gaussian_kl_standard_loss(mu, logvar, reduction);
}
Tensor GaussianKLLossImpl::forward(const Tensor& mu1, const Tensor& logvar1, const Tensor& mu2,
                                   const Tensor& logvar2) {
  return functional::gaussian_kl_loss(mu1, logvar1, mu2, logvar2, reduction);
}

}  // namespace zg::nn
