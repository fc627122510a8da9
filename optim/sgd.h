/// \file
/// Stochastic gradient descent with momentum, dampening, Nesterov and L2 weight decay, as
/// torch.optim.SGD (PyTorch 1.13):
/// \code{.unparsed}
///   d = g + weight_decay·p
///   b = d at a parameter's first update, then b = momentum·b + (1 − dampening)·d
///   d = d + momentum·b (nesterov)  or  d = b
///   p = p − lr·d
/// \endcode
/// Note the first momentum buffer is the gradient itself, not (1 − dampening)·g.
#pragma once
#include "optim/optimizer.h"

namespace zg::optim {

struct SGDOptions {
  double lr;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;  ///< needs momentum > 0 and dampening = 0
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, SGDOptions options);
  const SGDOptions& options() const { return options_; }

 protected:
  std::vector<Buffer> buffers() const override;
  std::vector<std::pair<std::string, double>> option_values() const override;
  const char* name() const override { return "SGD"; }
  void update(size_t i, Tensor& param, const Tensor& grad) override;

 private:
  SGDOptions options_;
};

}  // namespace zg::optim
