/// \file
/// Pooling and upsampling layers: thin modules over nn/functional_conv.h, with torch's
/// names and defaults (a pooling stride defaults to the kernel size).
#pragma once
#include <optional>
#include <string>

#include "nn/functional_conv.h"
#include "nn/module.h"

namespace zg::nn {

using functional::Size2;

class MaxPool2dImpl : public Module {
 public:
  explicit MaxPool2dImpl(Size2 kernel_size, std::optional<Size2> stride = std::nullopt,
                         Size2 padding = 0, Size2 dilation = 1);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  Size2 kernel_size, stride, padding, dilation;
};
ZG_MODULE(MaxPool2d);

class AvgPool2dImpl : public Module {
 public:
  explicit AvgPool2dImpl(Size2 kernel_size, std::optional<Size2> stride = std::nullopt,
                         Size2 padding = 0, bool count_include_pad = true);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  Size2 kernel_size, stride, padding;
  bool count_include_pad;
};
ZG_MODULE(AvgPool2d);

/// Upsample(scale_factor, "nearest"): integer factors and nearest mode only; any other mode
/// is refused when the layer is built.
class UpsampleImpl : public Module {
 public:
  explicit UpsampleImpl(Size2 scale_factor, std::string mode = "nearest");
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  Size2 scale_factor;
  std::string mode;
};
ZG_MODULE(Upsample);

}  // namespace zg::nn
