/// \file
/// Sequential: modules applied in order, named "0", "1", ... as in PyTorch, so a state dict
/// of nn::Sequential(Linear, ReLU, Linear) has the keys "0.weight", "2.bias", ...
#pragma once
#include "nn/module.h"

namespace zg::nn {

class SequentialImpl : public Module {
 public:
  SequentialImpl() : Module("Sequential") {}
  template <class... Ms>
  requires(sizeof...(Ms) > 0) explicit SequentialImpl(Ms&&... modules) : Module("Sequential") {
    (push_back(std::forward<Ms>(modules)), ...);
  }
  template <std::derived_from<Module> M>
  void push_back(std::shared_ptr<M> m) {
    layers_.push_back(register_module(std::to_string(layers_.size()), std::move(m)));
  }
  template <class Holder>
  requires requires(Holder h) { h.ptr(); }
  void push_back(const Holder& h) { push_back(h.ptr()); }

  Tensor forward(const Tensor& x) override;
  size_t size() const { return layers_.size(); }
  const std::shared_ptr<Module>& operator[](size_t i) const { return layers_.at(i); }

 private:
  std::vector<std::shared_ptr<Module>> layers_;
};
ZG_MODULE(Sequential);

}  // namespace zg::nn
