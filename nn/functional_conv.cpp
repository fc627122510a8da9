#include "nn/functional_conv.h"

#include <cmath>

#include "autograd/node.h"
#include "tensor/conv.h"
#include "tensor/error.h"
#include "tensor/raw.h"

namespace zg::nn::functional {

std::string Size2::str() const { return fmt::format("({}, {})", h, w); }

namespace {

Window2d window(Size2 kernel, Size2 stride, Size2 padding, Size2 dilation) {
  return {kernel.h, kernel.w, stride.h, stride.w, padding.h, padding.w, dilation.h, dilation.w};
}

void check_input(const Tensor& x, const char* op) {
  ZG_CHECK(x.defined(), "{}: input is undefined", op);
  ZG_CHECK(x.dim() == 4, "{}: input must be 4-D [N, C, H, W], got {}", op, shape_str(x.shape()));
  raw::check_floating(x, op);
}

// Named here so a wrong bias is reported as conv2d's / conv_transpose2d's, not as the
// internal map's.
void check_bias(const Tensor& bias, const Tensor& x, int64_t channels, const char* op) {
  if (!bias.defined()) return;
  ZG_CHECK(bias.dim() == 1 && bias.size(0) == channels,
           "{}: bias must be [{}] (one per output channel), got {}", op, channels,
           shape_str(bias.shape()));
  raw::check_same_dtype(x, bias, op);
}

// torch's rule for pooling: padding at most half the kernel, so no window is all padding.
void check_pool_padding(Size2 kernel, Size2 padding, const char* op) {
  ZG_CHECK(padding.h * 2 <= kernel.h && padding.w * 2 <= kernel.w,
           "{}: padding {} must be at most half the kernel size {}", op, padding.str(),
           kernel.str());
}

// Which entries of im2col(x) are padding: [1, 1, kh·kw, L], 1 on padding. No graph.
Tensor padding_mask(const Tensor& x, const Window2d& win) {
  Tensor one = ones({1, 1, x.size(2), x.size(3)}, TensorOptions(x.dtype()).device(x.device()));
  Tensor inside = raw::im2col(one, win);
  return raw::binary(BinaryOp::Eq, inside, 0.0, "pool")
      .view({1, 1, win.kh * win.kw, inside.size(2)});
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Size2 stride,
              Size2 padding, Size2 dilation, int64_t groups) {
  check_input(x, "conv2d");
  ZG_CHECK(weight.defined() && weight.dim() == 4,
           "conv2d: weight must be 4-D [out, in/groups, kh, kw], got {}",
           weight.defined() ? shape_str(weight.shape()) : "undefined");
  Window2d win = window({weight.size(2), weight.size(3)}, stride, padding, dilation);
  check_bias(bias, x, weight.size(0), "conv2d");
  return conv2d_forward(x, weight, win, groups, bias);
}

Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Size2 stride,
                        Size2 padding, Size2 output_padding, int64_t groups, Size2 dilation) {
  const char* op = "conv_transpose2d";
  check_input(x, op);
  ZG_CHECK(weight.defined() && weight.dim() == 4,
           "{}: weight must be 4-D [in, out/groups, kh, kw], got {}", op,
           weight.defined() ? shape_str(weight.shape()) : "undefined");
  ZG_CHECK(groups > 0, "{}: groups must be positive, got {}", op, groups);
  ZG_CHECK(weight.size(0) == x.size(1), "{}: weight {} expects {} input channels, input {} has {}",
           op, shape_str(weight.shape()), weight.size(0), shape_str(x.shape()), x.size(1));
  ZG_CHECK(x.size(1) % groups == 0, "{}: input channels {} must be divisible by groups = {}", op,
           x.size(1), groups);
  Window2d win = window({weight.size(2), weight.size(3)}, stride, padding, dilation);
  ZG_CHECK(output_padding.h >= 0 && output_padding.w >= 0 && output_padding.h < stride.h &&
               output_padding.w < stride.w,
           "{}: output_padding {} must be non-negative and smaller than the stride {}", op,
           output_padding.str(), stride.str());
  const int64_t h =
      (x.size(2) - 1) * win.sh - 2 * win.ph + win.dh * (win.kh - 1) + output_padding.h + 1;
  const int64_t w =
      (x.size(3) - 1) * win.sw - 2 * win.pw + win.dw * (win.kw - 1) + output_padding.w + 1;
  ZG_CHECK(h > 0 && w > 0, "{}: input {} with {} gives an empty output {}x{}", op,
           shape_str(x.shape()), win.str(), h, w);
  check_bias(bias, x, weight.size(1) * groups, op);
  return conv2d_backward_input(x, weight, h, w, win, groups, bias);
}

Tensor max_pool2d(const Tensor& x, Size2 kernel, std::optional<Size2> stride, Size2 padding,
                  Size2 dilation) {
  check_input(x, "max_pool2d");
  check_pool_padding(kernel, padding, "max_pool2d");
  Window2d win = window(kernel, stride.value_or(kernel), padding, dilation);
  win.check(x.size(2), x.size(3), "max_pool2d");
  const int64_t n = x.size(0), c = x.size(1), oh = win.out_h(x.size(2)), ow = win.out_w(x.size(3));
  Tensor cols = im2col(x, win).view({n, c, win.kh * win.kw, oh * ow});
  if (padding.h > 0 || padding.w > 0) cols = cols.masked_fill(padding_mask(x, win), -INFINITY);
  // max(dim) keeps the first maximum and sends the gradient there only.
  return cols.max(2).first.view({n, c, oh, ow});
}

Tensor avg_pool2d(const Tensor& x, Size2 kernel, std::optional<Size2> stride, Size2 padding,
                  bool count_include_pad) {
  check_input(x, "avg_pool2d");
  check_pool_padding(kernel, padding, "avg_pool2d");
  Window2d win = window(kernel, stride.value_or(kernel), padding, {1, 1});
  win.check(x.size(2), x.size(3), "avg_pool2d");
  const int64_t n = x.size(0), c = x.size(1), oh = win.out_h(x.size(2)), ow = win.out_w(x.size(3));
  Tensor sums = im2col(x, win).view({n, c, win.kh * win.kw, oh * ow}).sum({2});
  if (count_include_pad || (padding.h == 0 && padding.w == 0))
    return (sums / static_cast<double>(win.kh * win.kw)).view({n, c, oh, ow});
  // Inside-the-input count per window: kh·kw minus its padding entries.
  Tensor count = raw::reduce(ReduceOp::Sum, padding_mask(x, win), {2}, false, "avg_pool2d");
  count = raw::binary(
      BinaryOp::Sub, full({}, double(win.kh * win.kw), TensorOptions(x.dtype()).device(x.device())),
      count, 1.0, "avg_pool2d");
  return (sums / count).view({n, c, oh, ow});
}

Tensor upsample_nearest2d(const Tensor& x, Size2 scale) {
  check_input(x, "upsample_nearest2d");
  ZG_CHECK(scale.h >= 1 && scale.w >= 1,
           "upsample_nearest2d: scale_factor must be a positive integer, got {}", scale.str());
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  // A broadcast view [N, C, H, sh, W, sw] copied out.
  const Shape blocks{n, c, h, scale.h, w, scale.w};
  Tensor out = raw::contiguous_copy(
      raw::broadcast_to(raw::as_strided(x, {n, c, h, 1, w, 1},
                                        {x.stride(0), x.stride(1), x.stride(2), 0, x.stride(3), 0},
                                        x.storage_offset()),
                        blocks, "upsample_nearest2d"));
  // The gradient sums each sh×sw block: as sh·sw strided slices added up, which is a few
  // flat passes, where expand's backward (a reduction over blocks of 2×2 scattered elements)
  // spent its time finding each block.
  return record(out.view({n, c, h * scale.h, w * scale.w}), "UpsampleNearest2dBackward", {x},
                [blocks](const Tensor& g, Node&) -> std::vector<Tensor> {
                  const Tensor b = g.reshape(blocks);
                  Tensor sum;
                  for (int64_t i = 0; i < blocks[3]; ++i)
                    for (int64_t j = 0; j < blocks[5]; ++j) {
                      Tensor part = b.select(5, j).select(3, i);
                      sum = sum.defined() ? sum + part : part;
                    }
                  return {sum.contiguous()};
                });
}

}  // namespace zg::nn::functional
