/// \file
/// Linear: y = x Wᵀ + b over the last dim, W [out, in]. PyTorch's init: W and b uniform in
/// ±1/√in (kaiming_uniform with a = √5 works out to exactly that bound).
#pragma once
#include "nn/module.h"

namespace zg::nn {

struct LinearOptions {
  LinearOptions(int64_t in, int64_t out) : in_features(in), out_features(out) {}
  LinearOptions& bias(bool b) {
    bias_ = b;
    return *this;
  }
  int64_t in_features, out_features;
  bool bias_ = true;
};

class LinearImpl : public Module {
 public:
  LinearImpl(int64_t in_features, int64_t out_features)
      : LinearImpl(LinearOptions(in_features, out_features)) {}
  explicit LinearImpl(const LinearOptions& options);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  /// Re-draws the parameters from PyTorch's default distribution.
  void reset_parameters();

  LinearOptions options;
  Tensor weight, bias;  ///< bias undefined when options.bias_ is false
};
ZG_MODULE(Linear);

/// An identity and a flatten, so Sequential stacks read like their PyTorch twins.
class IdentityImpl : public Module {
 public:
  IdentityImpl() : Module("Identity") {}
  Tensor forward(const Tensor& x) override { return x; }
};
ZG_MODULE(Identity);

class FlattenImpl : public Module {
 public:
  explicit FlattenImpl(int64_t start_dim = 1, int64_t end_dim = -1)
      : Module("Flatten"), start_dim(start_dim), end_dim(end_dim) {}
  Tensor forward(const Tensor& x) override { return x.flatten(start_dim, end_dim); }
  std::string extra_repr() const override;
  int64_t start_dim, end_dim;
};
ZG_MODULE(Flatten);

}  // namespace zg::nn
