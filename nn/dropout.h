/// \file
/// Dropout, as torch.nn.Dropout: in training, each element is zeroed with probability p and
/// the survivors scaled by 1/(1 − p) ("inverted" dropout), so eval needs no rescaling and is
/// the identity. The mask comes from a Generator: the default one, or one given in the
/// options so that a run can keep its dropout stream apart from its other randomness.
#pragma once
#include "nn/module.h"
#include "tensor/generator.h"

namespace zg::nn {

namespace functional {
/// Identity unless `training`; p in [0, 1]. gen null = the default generator.
Tensor dropout(const Tensor& x, double p = 0.5, bool training = true, Generator* gen = nullptr);
}  // namespace functional

struct DropoutOptions {
  DropoutOptions(double p = 0.5) : p(p) {}  // NOLINT: Dropout(0.1) as in torch
  DropoutOptions& generator(Generator* g) {
    generator_ = g;
    return *this;
  }
  double p;
  Generator* generator_ = nullptr;  ///< not owned; must outlive the module
};

class DropoutImpl : public Module {
 public:
  explicit DropoutImpl(const DropoutOptions& options = {});
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  DropoutOptions options;
};
ZG_MODULE(Dropout);

}  // namespace zg::nn
