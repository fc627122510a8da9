#include "nn/conv.h"

#include <fmt/format.h>

#include <cmath>

#include "nn/init.h"
#include "tensor/error.h"

namespace zg::nn {

namespace {

void check_channels(int64_t in, int64_t out, Size2 kernel, int64_t groups, const char* layer) {
  ZG_CHECK(in > 0 && out > 0, "{}: in_channels and out_channels must be positive, got {} and {}",
           layer, in, out);
  ZG_CHECK(kernel.h > 0 && kernel.w > 0, "{}: kernel_size must be positive, got {}", layer,
           kernel.str());
  ZG_CHECK(groups > 0 && in % groups == 0 && out % groups == 0,
           "{}: in_channels {} and out_channels {} must be divisible by groups = {}", layer, in,
           out, groups);
}

// torch's reset_parameters for both conv layers: fan_in comes from the weight's shape.
void reset(Tensor& weight, Tensor& bias) {
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    auto [fan_in, fan_out] = init::fan_in_and_fan_out(weight);
    double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
    init::uniform_(bias, -bound, bound);
  }
}

// torch's extra_repr: settings at their defaults are left out.
std::string conv_repr(int64_t in, int64_t out, Size2 k, Size2 s, Size2 p, Size2 op, Size2 d,
                      int64_t groups, bool bias) {
  std::string r = fmt::format("{}, {}, kernel_size={}, stride={}", in, out, k.str(), s.str());
  if (p != Size2(0)) r += fmt::format(", padding={}", p.str());
  if (d != Size2(1)) r += fmt::format(", dilation={}", d.str());
  if (op != Size2(0)) r += fmt::format(", output_padding={}", op.str());
  if (groups != 1) r += fmt::format(", groups={}", groups);
  if (!bias) r += ", bias=False";
  return r;
}

}  // namespace

Conv2dImpl::Conv2dImpl(const Conv2dOptions& o) : Module("Conv2d"), options(o) {
  check_channels(o.in_channels, o.out_channels, o.kernel_size, o.groups_, "Conv2d");
  weight = register_parameter("weight", empty({o.out_channels, o.in_channels / o.groups_,
                                               o.kernel_size.h, o.kernel_size.w}));
  if (o.bias_) bias = register_parameter("bias", empty({o.out_channels}));
  reset_parameters();
}

void Conv2dImpl::reset_parameters() { reset(weight, bias); }

Tensor Conv2dImpl::forward(const Tensor& x) {
  return functional::conv2d(x, weight, bias, options.stride_, options.padding_, options.dilation_,
                            options.groups_);
}

std::string Conv2dImpl::extra_repr() const {
  const auto& o = options;
  return conv_repr(o.in_channels, o.out_channels, o.kernel_size, o.stride_, o.padding_, 0,
                   o.dilation_, o.groups_, o.bias_);
}

ConvTranspose2dImpl::ConvTranspose2dImpl(const ConvTranspose2dOptions& o)
    : Module("ConvTranspose2d"), options(o) {
  check_channels(o.in_channels, o.out_channels, o.kernel_size, o.groups_, "ConvTranspose2d");
  weight = register_parameter("weight", empty({o.in_channels, o.out_channels / o.groups_,
                                               o.kernel_size.h, o.kernel_size.w}));
  if (o.bias_) bias = register_parameter("bias", empty({o.out_channels}));
  reset_parameters();
}

void ConvTranspose2dImpl::reset_parameters() { reset(weight, bias); }

Tensor ConvTranspose2dImpl::forward(const Tensor& x) {
  return functional::conv_transpose2d(x, weight, bias, options.stride_, options.padding_,
                                      options.output_padding_, options.groups_, options.dilation_);
}

std::string ConvTranspose2dImpl::extra_repr() const {
  const auto& o = options;
  return conv_repr(o.in_channels, o.out_channels, o.kernel_size, o.stride_, o.padding_,
                   o.output_padding_, o.dilation_, o.groups_, o.bias_);
}

}  // namespace zg::nn
