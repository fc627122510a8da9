// Custom differentiable ops: your forward, your backward, as torch::autograd::Function.
//
// Reach for this when an op is cheaper or more stable with a hand-written derivative than
// with the one autograd would derive from its pieces (a fused formula, a clamp that must pass
// gradients straight through, a numerically careful softplus). The contract, side by side:
//
//   struct MulSigmoid : autograd::Function<MulSigmoid> {   //  y = x · σ(w)
//     static constexpr const char* name = "MulSigmoid";     //  optional: names the node
//     static Tensor forward(FunctionCtx& ctx, const Tensor& x, const Tensor& w) {
//       ctx.save_for_backward({x, w});                      //  what backward will read
//       return x * w.sigmoid();
//     }
//     static std::vector<Tensor> backward(FunctionCtx& ctx, const Tensor& g) {  // g = dL/dy
//       Tensor x = ctx.saved()[0], w = ctx.saved()[1], s = w.sigmoid();
//       return {ctx.needs_input_grad(0) ? (g * s).sum_to_size(x.shape()) : Tensor(),   // dL/dx
//               ctx.needs_input_grad(1) ? (g * x * s * (1.0 - s)).sum_to_size(w.shape())
//                                       : Tensor()};                                   // dL/dw
//     }
//   };
//   Tensor y = MulSigmoid::apply(x, w);   // one graph node "MulSigmoid" with inputs x, w
//
// forward(ctx, args...)
//   - Runs with grad mode OFF: it records nothing; the whole call becomes one node, named by
//     Derived::name (else the C++ type name) in errors and on grad_fn(). When grad mode is
//     off or no Tensor argument requires grad, nothing is recorded at all.
//   - Its Tensor arguments (Tensor or const Tensor&) are the node's inputs, in order; other
//     arguments (doubles, options structs) pass through and get no gradient.
//   - Returns a Tensor, or a std::vector<Tensor> whose FIRST element is the one
//     differentiable output and the rest are non-differentiable extras (an argmax index, a
//     mask), returned detached with requires_grad() false. Only one output carries gradient.
//   - Must not write to its inputs in place (checked: an error names the function).
// backward(ctx, grad)
//   - grad has the differentiable output's shape and dtype.
//   - Returns one gradient per Tensor argument of forward, in the same order, each with that
//     input's shape and dtype, or Tensor() for "no gradient". A wrong count, shape or dtype is
//     an error naming the function and the shapes. Gradients for inputs that do not need one
//     are dropped; skip computing them by asking ctx.needs_input_grad(i).
//   - Runs like a built-in backward: with grad mode on under create_graph, and saved() gives
//     back the inputs themselves (and the output, re-attached to this node). Written with
//     differentiable ops, it is itself differentiated: second order and gradgradcheck work.
// FunctionCtx, the bridge between the two:
//   - save_for_backward({...}): inputs, the output, or tensors made in forward. An in-place
//     write to any of them after forward makes backward fail with an error naming the
//     function, as for built-in ops. saved() returns them in backward.
//   - saved_data["key"] = value: any non-tensor value (a double, a struct);
//     get<T>("key") reads it back, with an error naming the function on a missing key or a
//     wrong type. Tensors belong in save_for_backward, which tracks their versions.
// Check a new function as the tests do: autograd::gradcheck and gradgradcheck in float64.
#pragma once
#include <any>
#include <memory>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <unordered_map>
#include <utility>
#include <vector>

#include "autograd/grad_mode.h"
#include "tensor/tensor.h"

namespace zg {
struct Node;
}

namespace zg::autograd {

template <class Derived>
struct Function;

// The readable name of a C++ type ("MyOp", "(anonymous namespace)::MyOp").
std::string demangle(const char* mangled);

class FunctionCtx {
 public:
  explicit FunctionCtx(std::string name) : name_(std::move(name)) {}

  // Whether input i (counting Tensor arguments only) needs a gradient.
  bool needs_input_grad(size_t input) const;
  void save_for_backward(std::vector<Tensor> tensors);
  // The saved tensors, in backward only.
  const std::vector<Tensor>& saved() const;

  std::unordered_map<std::string, std::any> saved_data;
  template <class T>
  const T& get(const std::string& key) const {
    auto it = saved_data.find(key);
    ZG_CHECK(it != saved_data.end(), "{}: ctx.get(\"{}\"): nothing was stored under that key",
             name_, key);
    const T* value = std::any_cast<T>(&it->second);
    ZG_CHECK(value, "{}: ctx.get(\"{}\") asked for a {} but it holds a {}", name_, key,
             demangle(typeid(T).name()), demangle(it->second.type().name()));
    return *value;
  }

  const std::string& name() const { return name_; }

 private:
  template <class Derived>
  friend struct Function;
  using UserBackward = std::vector<Tensor> (*)(FunctionCtx&, const Tensor&);

  void begin_forward(const std::vector<Tensor>& inputs);
  // Checks forward's outputs, detaches the extras and records the differentiable one.
  static std::vector<Tensor> finish_forward(std::shared_ptr<FunctionCtx> ctx,
                                            const std::vector<Tensor>& inputs,
                                            std::vector<Tensor> outputs, UserBackward backward);
  std::vector<Tensor> run_backward(UserBackward backward, const Tensor& grad, Node& self);

  std::string name_;
  std::vector<bool> needs_grad_;
  std::vector<uint64_t> input_versions_;  // to catch forward writing to an input
  std::vector<DType> input_dtypes_;
  std::vector<bool> input_defined_;
  std::vector<Tensor> saved_;
  // Saved entries that are the output: held by the node (a handle here would be a cycle
  // output -> node -> ctx -> output) and re-attached to it in backward.
  std::vector<bool> saved_is_output_;
  std::vector<Tensor> unpacked_;  // saved() during a backward call
  bool in_backward_ = false;
};

template <class Derived>
struct Function {
  using FunctionCtx = ::zg::autograd::FunctionCtx;  // unqualified in the user's struct

  template <class... Args>
  static auto apply(Args&&... args) {
    auto ctx = std::make_shared<FunctionCtx>(function_name());
    std::vector<Tensor> inputs;
    (add_if_tensor(inputs, args), ...);
    ctx->begin_forward(inputs);
    auto outputs = [&] {
      NoGradGuard no_grad;
      return Derived::forward(*ctx, std::forward<Args>(args)...);
    }();
    using Out = decltype(outputs);
    static_assert(std::is_same_v<Out, Tensor> || std::is_same_v<Out, std::vector<Tensor>>,
                  "forward must return a Tensor or a std::vector<Tensor>");
    FunctionCtx::UserBackward backward = [](FunctionCtx& c, const Tensor& g) {
      return std::vector<Tensor>(Derived::backward(c, g));
    };
    if constexpr (std::is_same_v<Out, Tensor>) {
      return FunctionCtx::finish_forward(std::move(ctx), inputs, {std::move(outputs)}, backward)[0];
    } else {
      return FunctionCtx::finish_forward(std::move(ctx), inputs, std::move(outputs), backward);
    }
  }

  // Derived::name when it declares one, else its C++ type name.
  static std::string function_name() {
    if constexpr (requires { Derived::name; }) {
      return Derived::name;
    } else {
      return demangle(typeid(Derived).name());
    }
  }

 private:
  template <class A>
  static void add_if_tensor(std::vector<Tensor>& inputs, const A& arg) {
    if constexpr (std::is_same_v<std::decay_t<A>, Tensor>) inputs.push_back(arg);
  }
};

}  // namespace zg::autograd
