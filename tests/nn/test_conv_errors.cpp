// Bad arguments to the convolution family raise zg::Error naming the op and the shapes.
#include "tests/check_error.h"
#include "tests/test_util.h"

using namespace zg;
namespace F = zg::nn::functional;
using zg::nn::Size2;

TEST_CASE("conv2d errors: ranks, channels, groups, kernel size, dtypes, bias") {
  Tensor x = zeros({2, 4, 5, 7}), w = zeros({6, 2, 3, 3});
  CHECK_ZG_ERROR(F::conv2d(zeros({4, 5, 7}), w), "conv2d", "4-D", "[4, 5, 7]");
  CHECK_ZG_ERROR(F::conv2d(x, zeros({6, 2, 3})), "conv2d", "weight", "[6, 2, 3]");
  // Weight/input channel mismatch: [6, 2, 3, 3] wants 2 input channels.
  CHECK_ZG_ERROR(F::conv2d(x, w), "conv2d", "weight [6, 2, 3, 3]", "input [2, 4, 5, 7]");
  // Channels not divisible by groups.
  CHECK_ZG_ERROR(F::conv2d(x, zeros({6, 1, 3, 3}), {}, 1, 0, 1, 3), "conv2d", "groups = 3",
                 "[2, 4, 5, 7]");
  CHECK_ZG_ERROR(F::conv2d(x, zeros({5, 2, 3, 3}), {}, 1, 0, 1, 2), "conv2d", "output channels 5",
                 "groups = 2");
  CHECK_ZG_ERROR(F::conv2d(x, w, {}, 1, 0, 1, 0), "conv2d", "groups must be positive");
  // Kernel larger than the padded input: 7 rows after dilation 3 vs 5 + 2·0.
  CHECK_ZG_ERROR(F::conv2d(x, w, {}, 1, 0, 3, 2), "conv2d", "larger than the padded input", "5x7");
  CHECK_ZG_ERROR(F::conv2d(zeros({1, 1, 2, 2}), zeros({1, 1, 4, 4})), "conv2d", "kernel=(4, 4)",
                 "padded 2x2");
  CHECK_NOTHROW(F::conv2d(zeros({1, 1, 2, 2}), zeros({1, 1, 4, 4}), {}, 1, 1));  // fits exactly
  CHECK_ZG_ERROR(F::conv2d(x, w, {}, 0, 0, 1, 2), "conv2d", "stride", "positive");
  CHECK_ZG_ERROR(F::conv2d(x, w, {}, 1, -1, 1, 2), "conv2d", "padding", "non-negative");
  CHECK_ZG_ERROR(F::conv2d(x, w.to(kFloat64), {}, 1, 0, 1, 2), "conv2d", "dtype");
  CHECK_ZG_ERROR(
      F::conv2d(zeros({2, 4, 5, 7}, kInt64), zeros({6, 2, 3, 3}, kInt64), {}, 1, 0, 1, 2), "conv2d",
      "floating");
  CHECK_ZG_ERROR(F::conv2d(x, w, zeros({5}), 1, 0, 1, 2), "conv2d", "bias", "[5]", "[6]");
  CHECK_NOTHROW(F::conv2d(x, w, zeros({6}), 1, 0, 1, 2));
}

TEST_CASE("conv_transpose2d errors") {
  Tensor x = zeros({2, 4, 3, 5}), w = zeros({4, 3, 4, 4});
  CHECK_ZG_ERROR(F::conv_transpose2d(x, zeros({3, 3, 4, 4})), "conv_transpose2d",
                 "weight [3, 3, 4, 4]", "input [2, 4, 3, 5]");
  CHECK_ZG_ERROR(F::conv_transpose2d(x, w, {}, 2, 1, 2), "conv_transpose2d", "output_padding",
                 "(2, 2)", "stride");
  CHECK_ZG_ERROR(F::conv_transpose2d(x, zeros({4, 3, 4, 4}), {}, 1, 0, 0, 3), "conv_transpose2d",
                 "divisible by groups = 3");
  // Padding that eats the whole output: (1−1)·1 − 2·3 + 2 + 1 < 1.
  CHECK_ZG_ERROR(F::conv_transpose2d(zeros({1, 1, 1, 1}), zeros({1, 1, 2, 2}), {}, 1, 3),
                 "conv_transpose2d", "empty output");
  CHECK_ZG_ERROR(F::conv_transpose2d(x, w, zeros({4})), "conv_transpose2d", "bias", "[3]");
  CHECK(F::conv_transpose2d(x, w, zeros({3}), 2, 1, 1).shape() == Shape{2, 3, 7, 11});
}

TEST_CASE("pooling, upsampling and im2col errors") {
  Tensor x = zeros({2, 3, 5, 7});
  CHECK_ZG_ERROR(F::max_pool2d(zeros({3, 5, 7}), 2), "max_pool2d", "4-D", "[3, 5, 7]");
  CHECK_ZG_ERROR(F::max_pool2d(x, 2, 2, 2), "max_pool2d", "padding (2, 2)", "half");
  CHECK_ZG_ERROR(F::max_pool2d(x, 6), "max_pool2d", "larger than the padded input", "5x7");
  CHECK_ZG_ERROR(F::avg_pool2d(x, {3, 8}), "avg_pool2d", "larger than the padded input");
  CHECK_ZG_ERROR(F::avg_pool2d(x, 3, 0), "avg_pool2d", "positive");
  CHECK_ZG_ERROR(F::upsample_nearest2d(x, 0), "upsample_nearest2d", "scale_factor", "(0, 0)");
  CHECK_ZG_ERROR(F::upsample_nearest2d(zeros({5, 7}), 2), "upsample_nearest2d", "[5, 7]");
  CHECK_ZG_ERROR(im2col(zeros({3, 5, 7}), Window2d{}), "im2col", "[3, 5, 7]");
  CHECK_ZG_ERROR(col2im(zeros({1, 10, 4}), 3, 3, Window2d{3, 3}), "col2im", "[1, 10, 4]",
                 "[N, C*9, 1]");
  CHECK_ZG_ERROR(conv2d_backward_weight(x, zeros({2, 4, 3, 4}), Window2d{3, 3}, 1),
                 "conv2d_backward_weight", "gradient [2, 4, 3, 4]", "[2, 4, 3, 5]");
}

TEST_CASE("conv layer construction errors") {
  CHECK_ZG_ERROR(nn::Conv2d(nn::Conv2dOptions(4, 6, 3).groups(4)), "Conv2d", "groups = 4");
  CHECK_ZG_ERROR(nn::Conv2d(0, 6, 3), "Conv2d", "positive");
  CHECK_ZG_ERROR(nn::ConvTranspose2d(3, 6, Size2(3, 0)), "ConvTranspose2d", "kernel_size",
                 "(3, 0)");
  CHECK_ZG_ERROR(nn::MaxPool2d(2, 2, 2), "MaxPool2d", "padding (2, 2)");
  CHECK_ZG_ERROR(nn::AvgPool2d(0), "AvgPool2d", "positive");
  CHECK_ZG_ERROR(nn::Upsample(2, "bilinear"), "Upsample", "'bilinear'", "nearest");
  CHECK_ZG_ERROR(nn::Upsample(0), "Upsample", "scale_factor");
  // A layer's forward with the wrong input names the op and both shapes.
  nn::Conv2d conv(3, 8, 3);
  CHECK_ZG_ERROR(conv(zeros({1, 4, 8, 8})), "conv2d", "[8, 3, 3, 3]", "[1, 4, 8, 8]");
}
