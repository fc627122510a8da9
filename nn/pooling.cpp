#include "nn/pooling.h"

#include <fmt/format.h>

#include "tensor/error.h"

namespace zg::nn {

namespace {

// torch prints a pooling size as it was given: 2, or (2, 3).
std::string compact(Size2 s) { return s.h == s.w ? std::to_string(s.h) : s.str(); }

void check_pool(Size2 kernel, Size2 stride, Size2 padding, const char* layer) {
  ZG_CHECK(kernel.h > 0 && kernel.w > 0 && stride.h > 0 && stride.w > 0,
           "{}: kernel_size {} and stride {} must be positive", layer, kernel.str(), stride.str());
  ZG_CHECK(
      padding.h >= 0 && padding.w >= 0 && 2 * padding.h <= kernel.h && 2 * padding.w <= kernel.w,
      "{}: padding {} must be non-negative and at most half the kernel size {}", layer,
      padding.str(), kernel.str());
}

}  // namespace

MaxPool2dImpl::MaxPool2dImpl(Size2 k, std::optional<Size2> s, Size2 p, Size2 d)
    : Module("MaxPool2d"), kernel_size(k), stride(s.value_or(k)), padding(p), dilation(d) {
  check_pool(kernel_size, stride, padding, "MaxPool2d");
  ZG_CHECK(d.h > 0 && d.w > 0, "MaxPool2d: dilation must be positive, got {}", d.str());
}

Tensor MaxPool2dImpl::forward(const Tensor& x) {
  return functional::max_pool2d(x, kernel_size, stride, padding, dilation);
}

std::string MaxPool2dImpl::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}, dilation={}, ceil_mode=False",
                     compact(kernel_size), compact(stride), compact(padding), compact(dilation));
}

AvgPool2dImpl::AvgPool2dImpl(Size2 k, std::optional<Size2> s, Size2 p, bool include)
    : Module("AvgPool2d"),
      kernel_size(k),
      stride(s.value_or(k)),
      padding(p),
      count_include_pad(include) {
  check_pool(kernel_size, stride, padding, "AvgPool2d");
}

Tensor AvgPool2dImpl::forward(const Tensor& x) {
  return functional::avg_pool2d(x, kernel_size, stride, padding, count_include_pad);
}

std::string AvgPool2dImpl::extra_repr() const {
  // As torch prints it (count_include_pad is not shown there either).
  return fmt::format("kernel_size={}, stride={}, padding={}", compact(kernel_size), compact(stride),
                     compact(padding));
}

UpsampleImpl::UpsampleImpl(Size2 scale, std::string m)
    : Module("Upsample"), scale_factor(scale), mode(std::move(m)) {
  ZG_CHECK(mode == "nearest", "Upsample: mode '{}' is not supported; zerogen has 'nearest' only",
           mode);
  ZG_CHECK(scale.h >= 1 && scale.w >= 1,
           "Upsample: scale_factor must be a positive integer, got {}", scale.str());
}

Tensor UpsampleImpl::forward(const Tensor& x) {
  return functional::upsample_nearest2d(x, scale_factor);
}

std::string UpsampleImpl::extra_repr() const {
  return scale_factor.h == scale_factor.w
             ? fmt::format("scale_factor={}.0, mode={}", scale_factor.h, mode)
             : fmt::format("scale_factor=({}.0, {}.0), mode={}", scale_factor.h, scale_factor.w,
                           mode);
}

}  // namespace zg::nn
