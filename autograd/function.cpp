#include "autograd/function.h"

#include <cxxabi.h>

#include <cstdlib>

#include "autograd/node.h"

namespace zg::autograd {

std::string demangle(const char* mangled) {
  int status = 0;
  char* readable = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string name = status == 0 && readable ? readable : mangled;
  std::free(readable);
  return name;
}

bool FunctionCtx::needs_input_grad(size_t input) const {
  ZG_CHECK(input < needs_grad_.size(), "{}: needs_input_grad({}) but forward has {} Tensor inputs",
           name_, input, needs_grad_.size());
  return needs_grad_[input];
}

void FunctionCtx::save_for_backward(std::vector<Tensor> tensors) {
  ZG_CHECK(!in_backward_, "{}: save_for_backward belongs in forward", name_);
  saved_ = std::move(tensors);
}

const std::vector<Tensor>& FunctionCtx::saved() const {
  ZG_CHECK(in_backward_, "{}: saved() is for backward; forward has the tensors themselves", name_);
  return unpacked_;
}

void FunctionCtx::begin_forward(const std::vector<Tensor>& inputs) {
  for (const Tensor& in : inputs) {
    bool defined = in.defined();
    needs_grad_.push_back(GradMode::is_enabled() && defined && in.requires_grad());
    input_versions_.push_back(defined ? in.impl().storage->version : 0);
    input_dtypes_.push_back(defined ? in.dtype() : kFloat32);
    input_defined_.push_back(defined);
  }
}

std::vector<Tensor> FunctionCtx::finish_forward(std::shared_ptr<FunctionCtx> ctx,
                                                const std::vector<Tensor>& inputs,
                                                std::vector<Tensor> outputs,
                                                UserBackward backward) {
  const std::string& name = ctx->name_;
  ZG_CHECK(!outputs.empty() && outputs[0].defined(),
           "{}: forward returned no (or an undefined) output", name);
  for (size_t i = 0; i < inputs.size(); ++i)
    ZG_CHECK(!inputs[i].defined() || inputs[i].impl().storage->version == ctx->input_versions_[i],
             "{}: forward wrote to its input {} {} in place; a custom function must leave its "
             "inputs unchanged (clone() them first)",
             name, i, shape_str(inputs[i].shape()));
  for (size_t i = 1; i < outputs.size(); ++i)
    if (outputs[i].defined()) outputs[i] = outputs[i].detach();
  bool recording = false;
  for (bool needed : ctx->needs_grad_) recording = recording || needed;
  if (!recording) return outputs;  // ctx and what it saved die here

  ZG_CHECK(outputs[0].is_floating_point(),
           "{}: the differentiable output (the first) must be floating point, got {} {}", name,
           dtype_name(outputs[0].dtype()), shape_str(outputs[0].shape()));
  // Inputs are saved as they are, so backward under create_graph differentiates through
  // them; the output is held by the node; anything else made in forward is version-tracked.
  bool saves_output = false;
  std::vector<Tensor> made_in_forward;
  ctx->saved_is_output_.assign(ctx->saved_.size(), false);
  for (size_t i = 0; i < ctx->saved_.size(); ++i) {
    Tensor& s = ctx->saved_[i];
    if (!s.defined()) continue;
    bool is_input = false;
    for (const Tensor& in : inputs) is_input = is_input || s.impl_ptr() == in.impl_ptr();
    if (is_input) continue;
    if (s.impl_ptr() == outputs[0].impl_ptr()) {
      saves_output = true;
      ctx->saved_is_output_[i] = true;
      s = Tensor();
    } else {
      made_in_forward.push_back(s);
    }
  }
  outputs[0] = record(
      outputs[0], name.c_str(), inputs,
      [ctx = std::move(ctx), backward](const Tensor& grad, Node& self) {
        return ctx->run_backward(backward, grad, self);
      },
      saves_output, made_in_forward);
  return outputs;
}

std::vector<Tensor> FunctionCtx::run_backward(UserBackward backward, const Tensor& grad,
                                              Node& self) {
  unpacked_.clear();
  for (size_t i = 0; i < saved_.size(); ++i)
    unpacked_.push_back(saved_is_output_[i] ? self.output() : saved_[i]);
  // Drop the unpacked handles however backward ends: the output's would keep this node alive.
  struct Unpacked {
    FunctionCtx& ctx;
    ~Unpacked() {
      ctx.unpacked_.clear();
      ctx.in_backward_ = false;
    }
  } scope{*this};
  in_backward_ = true;
  std::vector<Tensor> grads = backward(*this, grad);
  ZG_CHECK(grads.size() == input_defined_.size(),
           "{}: backward returned {} gradients for {} Tensor inputs; return one per Tensor "
           "argument of forward, in order (Tensor() for none)",
           name_, grads.size(), input_defined_.size());
  for (size_t i = 0; i < grads.size(); ++i) {
    Tensor& g = grads[i];
    if (!g.defined()) continue;
    if (input_defined_[i])
      ZG_CHECK(g.shape() == self.input_shapes[i] && g.dtype() == input_dtypes_[i],
               "{}: backward returned a gradient {} {} for input {}, which is {} {}", name_,
               dtype_name(g.dtype()), shape_str(g.shape()), i, dtype_name(input_dtypes_[i]),
               shape_str(self.input_shapes[i]));
    if (!self.needs_grad(i)) g = Tensor();
  }
  return grads;
}

}  // namespace zg::autograd
