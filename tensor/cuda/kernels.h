/// \file
/// The CUDA kernels' launchers: the line between the host side of the CUDA backend
/// (tensor/cuda/*.cpp, compiled by the C++ compiler, which turns Tensors into the plain
/// descriptions below) and the kernels (tensor/cuda/*.cu, compiled by nvcc). Plain C++ on
/// purpose: nvcc cannot parse the fmt headers that tensor.h pulls in.
///
/// Every pointer is a device pointer to an operand's first element; strides are in bytes.
/// Every launcher runs on the default stream, so work is ordered with the allocator's reuse
/// of freed blocks and with cudaMemcpy; it checks the launch (check_launch) and never
/// synchronises, except under ZEROGEN_CUDA_SYNC=1 (then each launch waits for its kernel, so
/// an error surfaces at the kernel that caused it, like CUDA_LAUNCH_BLOCKING).
#pragma once
#include <cstdint>

#include "tensor/primitives.h"

namespace zg::cuda {

inline constexpr int kMaxDims = 16;

/// An N-operand strided loop (tensor/geometry.h) as a kernel argument: the coalesced shape
/// (outermost first, at least one dim) and, per operand, its base pointer and byte strides.
template <int N>
struct Loop {
  int nd = 0;
  int64_t numel = 0;
  int64_t shape[kMaxDims] = {};
  int64_t stride[N][kMaxDims] = {};
  char* base[N] = {};
};

/// After a launch: throws zg::Error naming `what` when the launch failed (and, under
/// ZEROGEN_CUDA_SYNC=1, when the kernel failed). Defined on the host side (runtime.cpp).
void check_launch(const char* what);

// ---- elementwise.cu: every operand has the loop's shape; dtype is out's ----
void fill(const Loop<1>& loop, DType dtype, double value);
void copy(const Loop<2>& loop, DType out_dtype, DType src_dtype);            ///< out, src
void unary(UnaryOp op, const Loop<2>& loop, DType dtype, double alpha);      ///< out, a
void binary(BinaryOp op, const Loop<3>& loop, DType dtype, double alpha);    ///< out, a, b
void ternary(TernaryOp op, const Loop<4>& loop, DType dtype, double alpha);  ///< out, a, b, c
/// out = a·s + b·t + c (operands out, a, s, b, t, c); with has_bt false, b and t are absent
/// (null base) and out = a·s + c. Float dtypes only.
void affine(const Loop<6>& loop, DType dtype, bool has_bt);

// ---- random.cu: a contiguous out of n elements; element i uses Philox counter offset + i,
// with the same formulas as the CPU backend (tensor/cpu/index.cpp), so a seed gives the same
// stream on both devices (up to the last bits of log/cos in normal) ----
/// lo + (hi − lo)·(1 − u), u = uniform_from_bits(r0, r1), clamped to at most `top`.
void uniform(char* out, int64_t n, DType dtype, uint64_t seed, uint64_t offset, double lo,
             double hi, double top);
/// Box–Muller: mean + std·sqrt(−2 log u1)·cos(2π u2), u1 from (r0, r1), u2 from (r2, r3).
void normal(char* out, int64_t n, DType dtype, uint64_t seed, uint64_t offset, double mean,
            double std);

// ---- index.cu: the loop runs over index's shape ----
/// Operands (out, in0, index): out = in0[index · step], where in0 is `in` with stride 0 along
/// the gathered dim and step is in's stride along it, in elements. index is int64.
void gather(const Loop<3>& loop, DType dtype, int64_t step);
/// Operands (out0, src, index): out0[index · step] += src, atomically (two sources may land
/// on one output); out0 is `out` with stride 0 along the dim.
void scatter_add(const Loop<3>& loop, DType dtype, int64_t step);

// ---- reduce.cu ----
/// One output per element of the kept loop; the reduced dims are walked with `inner`
/// (numel >= 1, one byte stride per input operand).
template <int N>
struct Reduction {
  Loop<N> kept;   ///< the outputs first, then the inputs, over the kept (outer) dims
  Loop<N> inner;  ///< the reduced dims: the outputs' strides there are 0
};
/// Operands (out, in). Sum accumulates float32 and float64 in double, int64 in int64; Max and
/// Min propagate NaN (the first NaN met wins, as the CPU backend).
void reduce(ReduceOp op, const Reduction<2>& r, DType dtype);
/// Operands (values, indices, in); inner has one dim, the reduced one. Max/Min: the first
/// extreme element's index (NaN counts as the extreme, the first NaN wins), as the CPU.
void arg_reduce(ReduceOp op, const Reduction<3>& r, DType dtype);
/// Operands (mean_a, mean_b, cov, a, b): means of a and b over the inner dims, then the
/// biased covariance E[(a − ā)(b − b̄)] in a second pass over the same elements. Float only;
/// accumulates in double.
void moments(const Reduction<5>& r, DType dtype);
/// (log_)softmax over the middle index of contiguous [outer, n, inner] in and out.
void softmax(char* out, const char* in, int64_t outer, int64_t n, int64_t inner, DType dtype,
             bool log);

// ---- conv.cu: [N, C, H, W] images with byte strides, as tensor/backend.h's im2col etc. ----
struct Image {
  char* base = nullptr;
  int64_t n = 0, c = 0, h = 0, w = 0;
  int64_t sn = 0, sc = 0, sh = 0, sw = 0;  ///< byte strides
};
/// cols: base plus byte strides of its [N, C·kh·kw, L] dims (the last is one element).
struct Columns {
  char* base = nullptr;
  int64_t sn = 0, sk = 0;  ///< byte strides of the N and C·kh·kw dims
};
void im2col(const Columns& cols, const Image& in, const Window2d& win, int64_t oh, int64_t ow,
            DType dtype);
/// out (contiguous) = the sum of every column entry that im2col reads from each position.
void col2im(const Image& out, const Columns& cols, const Window2d& win, int64_t oh, int64_t ow,
            DType dtype);
/// Winograd F(2×2, 3×3) tile arrays [16, C, N·T] (tensor/backend.h): byte strides of the
/// first two dims; the last is one element. T = ⌈H/2⌉·⌈W/2⌉ tiles per sample.
struct Tiles {
  char* base = nullptr;
  int64_t s_xi = 0, s_c = 0;
};
void winograd_input(const Tiles& v, const Image& in, DType dtype);
/// out (the image; its c is the tiles' C) = Aᵀ m A per tile, cut to H×W, plus bias[c] when
/// bias is not null (contiguous [C]).
void winograd_output(const Image& out, const Tiles& m, const char* bias, DType dtype);
void winograd_output_adjoint(const Tiles& m, const Image& g, DType dtype);

}  // namespace zg::cuda
