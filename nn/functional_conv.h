/// \file
/// Convolutions, pooling and upsampling on [N, C, H, W] tensors, as torch.nn.functional.
/// All are built on tensor/conv.h's differentiable im2col/col2im and convolution maps, so
/// every one has derivatives of any order.
#pragma once
#include <optional>
#include <string>

#include "tensor/tensor.h"

namespace zg::nn::functional {

/// A per-axis (height, width) pair; an int means the same value on both axes, as in torch.
struct Size2 {
  Size2(int64_t v) : h(v), w(v) {}  // NOLINT: implicit on purpose (conv2d(x, w, b, 2))
  Size2(int64_t h_, int64_t w_) : h(h_), w(w_) {}
  bool operator==(const Size2&) const = default;
  std::string str() const;  ///< "(3, 3)"
  int64_t h, w;
};

/// y = x ⋆ weight + bias: x [N, C, H, W], weight [O, C/groups, kh, kw], bias [O] or undefined.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = {}, Size2 stride = 1,
              Size2 padding = 0, Size2 dilation = 1, int64_t groups = 1);

/// The adjoint of conv2d in its input: x [N, C_in, H, W], weight [C_in, C_out/groups, kh, kw]
/// -> [N, C_out, (H−1)·s − 2p + d(k−1) + output_padding + 1, ...]. output_padding must be
/// smaller than the stride (torch also allows it up to the dilation; zerogen does not).
Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias = {},
                        Size2 stride = 1, Size2 padding = 0, Size2 output_padding = 0,
                        int64_t groups = 1, Size2 dilation = 1);

/// Max over each window; padding counts as −∞. The gradient goes to the first maximum of
/// each window in row-major window order, as torch's. stride defaults to the kernel size.
Tensor max_pool2d(const Tensor& x, Size2 kernel_size, std::optional<Size2> stride = std::nullopt,
                  Size2 padding = 0, Size2 dilation = 1);

/// Mean over each window; count_include_pad divides by kh·kw, otherwise by the number of
/// window positions inside the input.
Tensor avg_pool2d(const Tensor& x, Size2 kernel_size, std::optional<Size2> stride = std::nullopt,
                  Size2 padding = 0, bool count_include_pad = true);

/// Each pixel repeated scale.h × scale.w times (integer factors); the gradient sums each block.
Tensor upsample_nearest2d(const Tensor& x, Size2 scale_factor);

}  // namespace zg::nn::functional
