/// \file
/// Activation layers: thin modules over the tensor ops, so they can sit in a Sequential.
#pragma once
#include "nn/module.h"

namespace zg::nn {

#define ZG_ACTIVATION(Name, expr)                             \
  class Name##Impl : public Module {                          \
   public:                                                    \
    Name##Impl() : Module(#Name) {}                           \
    Tensor forward(const Tensor& x) override { return expr; } \
  };                                                          \
  ZG_MODULE(Name)

ZG_ACTIVATION(ReLU, x.relu());
ZG_ACTIVATION(SiLU, x.silu());
ZG_ACTIVATION(GELU, x.gelu());
ZG_ACTIVATION(Tanh, x.tanh());
ZG_ACTIVATION(Sigmoid, x.sigmoid());
#undef ZG_ACTIVATION

class LeakyReLUImpl : public Module {
 public:
  explicit LeakyReLUImpl(double negative_slope = 0.01)
      : Module("LeakyReLU"), negative_slope(negative_slope) {}
  Tensor forward(const Tensor& x) override { return x.leaky_relu(negative_slope); }
  std::string extra_repr() const override;
  double negative_slope;
};
ZG_MODULE(LeakyReLU);

}  // namespace zg::nn
