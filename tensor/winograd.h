/// \file
/// Winograd F(m×m, 3×3) versions of the three convolution maps of tensor/conv.h, for the
/// stride-1, padding-1 3×3 convolutions that most conv nets are made of (the math is at the
/// top of tensor/raw_winograd.cpp). The conv maps of tensor/raw_conv.cpp call these where
/// `applies` says so, after checking their arguments; outputs are allocated by the caller.
#pragma once
#include "tensor/conv.h"
#include "tensor/tensor.h"

namespace zg::raw::winograd {

/// A 3×3 window with stride 1, padding 1, dilation 1, one group, Winograd switched on
/// (set_conv_winograd), and at least conv_winograd_min_channels() input channels C (the
/// conv's, [N, C, H, W] -> [N, O, H, W]; the same test for all three maps).
bool applies(const Window2d& win, int64_t groups, int64_t in_channels);
/// The output tile m (2 or 4) the maps use for an h×w image on `device`
/// (set_conv_winograd_tile, else fewer multiplies).
int tile_for(Device device, int64_t h, int64_t w);
/// y [N, O, H, W] = x [N, C, H, W] ⋆ w [O, C, 3, 3] (+ bias [O]); w contiguous.
void forward(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& bias);
/// gx [N, C, H, W] from g [N, O, H, W] (+ bias [C]); w contiguous.
void backward_input(const Tensor& gx, const Tensor& g, const Tensor& w, const Tensor& bias);
/// gw [O, C, 3, 3] (contiguous) from x and g.
void backward_weight(const Tensor& gw, const Tensor& x, const Tensor& g);

}  // namespace zg::raw::winograd
