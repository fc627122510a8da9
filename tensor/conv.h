/// \file
/// Sliding windows over [N, C, H, W] tensors: the geometry, im2col/col2im, and the three
/// bilinear maps a convolution is made of. All are differentiable (autograd/ops/conv.cpp);
/// nn/functional_conv.h builds conv2d, conv_transpose2d and the pooling ops on them.
#pragma once
#include <cstdint>
#include <string>

#include "tensor/tensor.h"

namespace zg {

/// cols[n, (c·kh + i)·kw + j, oh·out_w + ow] = x[n, c, ih, iw] (0 where (ih, iw) is padding):
/// [N, C, H, W] -> [N, C·kh·kw, out_h·out_w], as torch.nn.functional.unfold.
Tensor im2col(const Tensor& x, const Window2d& win);
/// The adjoint of im2col (overlapping windows add up), as torch.nn.functional.fold:
/// [N, C·kh·kw, L] -> [N, C, h, w] with L = out_h(h)·out_w(w).
Tensor col2im(const Tensor& cols, int64_t h, int64_t w, const Window2d& win);

/// A grouped 2-D cross-correlation y = x ⋆ w is bilinear in (x, w), so its backward is made
/// of two more bilinear maps, and each of the three has the other two as derivatives:
/// \code{.unparsed}
///   conv2d_forward:          x [N, C, H, W], w [O, C/groups, kh, kw] -> y [N, O, OH, OW]
///   conv2d_backward_input:   g [N, O, OH, OW], w -> gx [N, C, H, W]    (the adjoint in x)
///   conv2d_backward_weight:  x, g -> gw [O, C/groups, kh, kw]          (the adjoint in w)
/// \endcode
/// Each runs as chunked im2col + GEMM without materialising im2col of the whole batch
/// (see tensor/raw_conv.cpp), or for stride-1, padding-1 3×3 windows with one group as
/// Winograd F(m×m, 3×3) (tensor/raw_winograd.cpp); the window's kernel size must match w's. The
/// first two take an optional bias (one per output channel: [O], resp. [C]) added in the same pass
/// over the output, which is how conv2d and conv_transpose2d apply theirs.
Tensor conv2d_forward(const Tensor& x, const Tensor& w, const Window2d& win, int64_t groups,
                      const Tensor& bias = {});
Tensor conv2d_backward_input(const Tensor& g, const Tensor& w, int64_t h, int64_t wd,
                             const Window2d& win, int64_t groups, const Tensor& bias = {});
Tensor conv2d_backward_weight(const Tensor& x, const Tensor& g, const Window2d& win,
                              int64_t groups);

/// How many bytes of im2col columns the convolution maps unfold at a time (default 2 MiB, or
/// ZEROGEN_CONV_CHUNK_KB from the environment). A tuning knob; tests set it small so that
/// several chunks, and one-sample chunks, are exercised.
void set_conv_chunk_bytes(int64_t bytes);
int64_t conv_chunk_bytes();

/// Whether stride-1, padding-1 3×3 convolutions (one group) run by Winograd F(m×m, 3×3)
/// instead of im2col + GEMM (tensor/winograd.h): on by default, off with
/// ZEROGEN_CONV_WINOGRAD=0. Both give the same maps up to rounding; tests and benches
/// switch it to compare them.
void set_conv_winograd(bool on);
bool conv_winograd();
/// Winograd is used only for convolutions with at least this many input channels C (default
/// 8). Why C: in all three maps im2col's columns are 9·C rows (of x, or of the input
/// gradient), while Winograd's tiles are 4·(C + O); with few input channels the unfold is
/// cheap and the tiles are not (forward and backward of a 1 -> 32 conv on 28×28: 7.0 ms by
/// Winograd against 3.3 by im2col; of a 32 -> 1 conv: 7.7 against 15.0). Tests set 1.
void set_conv_winograd_min_channels(int64_t channels);
int64_t conv_winograd_min_channels();
/// Winograd's output tile m: 0 (the default; ZEROGEN_CONV_WINOGRAD_TILE=2 or 4 sets another)
/// lets each convolution choose F(4×4, 3×3) or
/// F(2×2, 3×3) by fewer multiplies on its image size, where the device has both (the CPU;
/// CUDA has F(2×2, 3×3) only); 2 or 4 asks for that one wherever the device has it. Tests
/// set it to check both.
void set_conv_winograd_tile(int tile);
int conv_winograd_tile();

}  // namespace zg
