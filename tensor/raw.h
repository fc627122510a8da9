/// \file
/// The no-autograd compute layer: validates arguments (naming the op and the shapes),
/// allocates outputs and calls the device's backend primitives. autograd/ops/ builds the
/// differentiable front-end from these; nothing here records a graph.
#pragma once
#include <utility>
#include <vector>

#include "tensor/backend.h"
#include "tensor/tensor.h"

namespace zg::raw {

/// A fresh contiguous tensor with uninitialised values.
Tensor make(const Shape& shape, DType dtype, Device device);
/// A view over t's storage with the given geometry (no autograd history).
Tensor as_strided(const Tensor& t, const Shape& shape, const Shape& strides, int64_t offset);
/// A broadcast view of t at `shape` (stride 0 on broadcast dims); throws naming `op`.
Tensor broadcast_to(const Tensor& t, const Shape& shape, const char* op);
Tensor contiguous_copy(const Tensor& t);
Tensor contiguous(const Tensor& t);         ///< t itself when already contiguous
Tensor cast(const Tensor& t, DType dtype);  ///< t itself when already of that dtype
/// out = src, broadcasting, converting the dtype, and moving data between devices.
void copy_into(const Tensor& out, const Tensor& src, const char* op);
void check_same_device(const Tensor& a, const Tensor& b, const char* op);
/// The address of t's first element, on t's device (for backends and transfers).
char* data_bytes(const Tensor& t);

void check_same_dtype(const Tensor& a, const Tensor& b, const char* op);
void check_floating(const Tensor& a, const char* op);

Tensor unary(UnaryOp op, const Tensor& a, double alpha, const char* name);
Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b, double alpha, const char* name);
Tensor binary(BinaryOp op, const Tensor& a, double b, const char* name);
Tensor ternary(TernaryOp op, const Tensor& a, const Tensor& b, const Tensor& c, double alpha,
               const char* name);

/// Which dims of an ndim-tensor `dims` names (empty = all); throws on out-of-range or repeats.
std::vector<bool> reduced_dims(const Shape& dims, int64_t ndim, const char* op);
Shape reduced_shape(const Shape& shape, const std::vector<bool>& reduced, bool keepdim);
Tensor reduce(ReduceOp op, const Tensor& in, const Shape& dims, bool keepdim, const char* name);
std::pair<Tensor, Tensor> arg_reduce(ReduceOp op, const Tensor& in, int64_t dim, bool keepdim,
                                     const char* name);

/// [..., M, K] @ [..., K, N] with equal batch dims.
Tensor matmul_same_batch(const Tensor& a, const Tensor& b);
Tensor softmax(const Tensor& in, int64_t dim, bool log);
/// Normalisation statistics over `dims` (empty = all), packed as one [3, ...] tensor whose
/// rows are mean(a), mean(b) and the biased covariance, each with a's rank (reduced dims
/// kept as 1). a and b: same shape and floating dtype.
Tensor moments(const Tensor& a, const Tensor& b, const Shape& dims, const char* name);
/// a·s + b·t + c, broadcast (b and t may both be undefined).
Tensor affine(const Tensor& a, const Tensor& s, const Tensor& b, const Tensor& t, const Tensor& c,
              const char* name);
/// Throws naming `op` unless every index is in [0, size).
void check_index(const Tensor& index, int64_t size, const char* op);
Tensor gather(const Tensor& in, int64_t dim, const Tensor& index);
Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);

/// Sliding windows (tensor/conv.h has the meaning; tensor/raw_conv.cpp the code).
Tensor im2col(const Tensor& x, const Window2d& win);
Tensor col2im(const Tensor& cols, int64_t h, int64_t w, const Window2d& win);
Tensor conv2d_forward(const Tensor& x, const Tensor& w, const Window2d& win, int64_t groups,
                      const Tensor& bias = {});
Tensor conv2d_backward_input(const Tensor& g, const Tensor& w, int64_t h, int64_t wd,
                             const Window2d& win, int64_t groups, const Tensor& bias = {});
Tensor conv2d_backward_weight(const Tensor& x, const Tensor& g, const Window2d& win,
                              int64_t groups);

}  // namespace zg::raw
