/// \file
/// Conv2d and ConvTranspose2d, with torch's options and default initialisation:
/// weight ~ kaiming_uniform(a = √5) and bias ~ U(±1/√fan_in), fan_in computed from the weight
/// tensor as torch does — for ConvTranspose2d, whose weight is [in, out/groups, kh, kw], that
/// is (out/groups)·kh·kw.
///
/// \code
///   nn::Conv2d conv(nn::Conv2dOptions(64, 128, 4).stride(2).padding(1));
///   nn::Conv2d same(64, 128, 4, 2, 1);  // torch's positional order
/// \endcode
#pragma once
#include "nn/functional_conv.h"
#include "nn/module.h"

namespace zg::nn {

using functional::Size2;

struct Conv2dOptions {
  Conv2dOptions(int64_t in, int64_t out, Size2 kernel)
      : in_channels(in), out_channels(out), kernel_size(kernel) {}
  Conv2dOptions& stride(Size2 v) {
    stride_ = v;
    return *this;
  }
  Conv2dOptions& padding(Size2 v) {
    padding_ = v;
    return *this;
  }
  Conv2dOptions& dilation(Size2 v) {
    dilation_ = v;
    return *this;
  }
  Conv2dOptions& groups(int64_t v) {
    groups_ = v;
    return *this;
  }
  Conv2dOptions& bias(bool v) {
    bias_ = v;
    return *this;
  }
  int64_t in_channels, out_channels;
  Size2 kernel_size, stride_ = 1, padding_ = 0, dilation_ = 1;
  int64_t groups_ = 1;
  bool bias_ = true;
};

class Conv2dImpl : public Module {
 public:
  Conv2dImpl(int64_t in, int64_t out, Size2 kernel, Size2 stride = 1, Size2 padding = 0)
      : Conv2dImpl(Conv2dOptions(in, out, kernel).stride(stride).padding(padding)) {}
  explicit Conv2dImpl(const Conv2dOptions& options);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  void reset_parameters();

  Conv2dOptions options;
  Tensor weight;  ///< [out, in/groups, kh, kw]
  Tensor bias;    ///< [out], undefined when options.bias_ is false
};
ZG_MODULE(Conv2d);

struct ConvTranspose2dOptions {
  ConvTranspose2dOptions(int64_t in, int64_t out, Size2 kernel)
      : in_channels(in), out_channels(out), kernel_size(kernel) {}
  ConvTranspose2dOptions& stride(Size2 v) {
    stride_ = v;
    return *this;
  }
  ConvTranspose2dOptions& padding(Size2 v) {
    padding_ = v;
    return *this;
  }
  ConvTranspose2dOptions& output_padding(Size2 v) {
    output_padding_ = v;
    return *this;
  }
  ConvTranspose2dOptions& dilation(Size2 v) {
    dilation_ = v;
    return *this;
  }
  ConvTranspose2dOptions& groups(int64_t v) {
    groups_ = v;
    return *this;
  }
  ConvTranspose2dOptions& bias(bool v) {
    bias_ = v;
    return *this;
  }
  int64_t in_channels, out_channels;
  Size2 kernel_size, stride_ = 1, padding_ = 0, output_padding_ = 0, dilation_ = 1;
  int64_t groups_ = 1;
  bool bias_ = true;
};

class ConvTranspose2dImpl : public Module {
 public:
  ConvTranspose2dImpl(int64_t in, int64_t out, Size2 kernel, Size2 stride = 1, Size2 padding = 0,
                      Size2 output_padding = 0)
      : ConvTranspose2dImpl(ConvTranspose2dOptions(in, out, kernel)
                                .stride(stride)
                                .padding(padding)
                                .output_padding(output_padding)) {}
  explicit ConvTranspose2dImpl(const ConvTranspose2dOptions& options);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  void reset_parameters();

  ConvTranspose2dOptions options;
  Tensor weight;  ///< [in, out/groups, kh, kw]
  Tensor bias;    ///< [out], undefined when options.bias_ is false
};
ZG_MODULE(ConvTranspose2d);

}  // namespace zg::nn
