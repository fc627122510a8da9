/// \file
/// nn::Module: the LibTorch module pattern. A layer is a class holding named parameters
/// (trainable leaves), buffers (state that is saved but not trained, like BatchNorm's running
/// statistics) and submodules; everything else — parameters(), state_dict(), train/eval,
/// to(dtype/device), printing — walks that tree, so a new layer only registers what it owns.
///
/// \code
///   struct NetImpl : nn::Module {
///     nn::Linear fc1{nullptr}, fc2{nullptr};
///     NetImpl() {
///       fc1 = register_module("fc1", nn::Linear(784, 128));
///       fc2 = register_module("fc2", nn::Linear(128, 10));
///     }
///     Tensor forward(const Tensor& x) override { return fc2(fc1(x).relu()); }
///   };
///   ZG_MODULE(Net);  // Net is a shared handle: Net net; net->parameters(); net(x)
/// \endcode
#pragma once
#include <concepts>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace zg::nn {

template <class T>
using Named = std::vector<std::pair<std::string, T>>;

class Module : public std::enable_shared_from_this<Module> {
 public:
  explicit Module(std::string name = "Module") : name_(std::move(name)) {}
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  /// The single-input forward that Sequential and the call operator use. Layers with other
  /// signatures (attention with a context, blocks taking a time embedding) add overloads.
  virtual Tensor forward(const Tensor& x);

  // ---- registration: returns the handle the layer keeps as a member ----
  Tensor register_parameter(const std::string& name, Tensor value, bool requires_grad = true);
  Tensor register_buffer(const std::string& name, Tensor value);
  template <std::derived_from<Module> M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }
  template <class Holder>
  requires requires(Holder h) { h.ptr(); }
  Holder register_module(const std::string& name, Holder holder) {
    add_child(name, holder.ptr());
    return holder;
  }

  // ---- the tree, in registration order, names dotted as PyTorch does ("enc.0.weight") ----
  std::vector<Tensor> parameters(bool recurse = true) const;
  Named<Tensor> named_parameters(bool recurse = true) const;
  Named<Tensor> named_buffers(bool recurse = true) const;
  Named<std::shared_ptr<Module>> named_children() const { return children_; }
  Named<std::shared_ptr<Module>> named_modules(const std::string& prefix = "");
  int64_t num_parameters() const;

  /// Parameters and buffers by dotted name: what a checkpoint stores.
  TensorDict state_dict() const;
  /// Copies values into this module's tensors (same names, shapes; dtype converted). Strict:
  /// a missing or unexpected name is an error that lists them.
  void load_state_dict(const TensorDict& dict, bool strict = true);

  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  void zero_grad();
  /// Converts every parameter and buffer in place (the handles layers hold stay valid).
  void to(DType dtype);
  void to(Device device);

  const std::string& name() const { return name_; }
  /// One line of layer settings for printing, as PyTorch's extra_repr.
  virtual std::string extra_repr() const { return ""; }
  /// The module tree with each layer's parameter count.
  std::string repr() const;

 protected:
  /// Subclasses override to react to train()/eval() (none needs to yet; Dropout reads the flag).
  virtual void on_train(bool) {}

 private:
  void add_child(const std::string& name, std::shared_ptr<Module> module);
  void check_new_name(const std::string& name, const char* what) const;
  void repr_into(std::string& out, int indent) const;
  template <class F>
  void for_each_tensor(F&& f);  ///< params then buffers, recursively

  std::string name_;
  bool training_ = true;
  Named<Tensor> params_;
  Named<Tensor> buffers_;
  Named<std::shared_ptr<Module>> children_;
};

/// A shared handle to a module implementation, as torch::nn::Linear is to LinearImpl:
/// copying the handle shares the module; `nullptr` makes an empty one to assign later.
template <class Impl>
class ModuleHolder {
 public:
  using ImplType = Impl;
  ModuleHolder(std::nullptr_t) {}  // NOLINT: `Linear fc{nullptr}` as in LibTorch
  template <class... Args>
  requires std::constructible_from<Impl, Args...>
  explicit ModuleHolder(Args&&... args)
      : impl_(std::make_shared<Impl>(std::forward<Args>(args)...)) {}
  ModuleHolder(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}  // NOLINT

  Impl* operator->() const { return impl_.get(); }
  Impl& operator*() const { return *impl_; }
  const std::shared_ptr<Impl>& ptr() const { return impl_; }
  bool is_empty() const { return impl_ == nullptr; }
  template <class... Args>
  auto operator()(Args&&... args) const {
    return impl_->forward(std::forward<Args>(args)...);
  }

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace zg::nn

/// Declares the handle `Name` for the module class `NameImpl`.
#define ZG_MODULE(Name)                                     \
  class Name : public ::zg::nn::ModuleHolder<Name##Impl> {  \
   public:                                                  \
    using ::zg::nn::ModuleHolder<Name##Impl>::ModuleHolder; \
  }
