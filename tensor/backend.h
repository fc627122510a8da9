/// \file
/// The closed set of primitives a device implements. Everything else in zerogen — every
/// differentiable op, every layer — is composed from these, so a new device is one class.
///
/// Conventions: every tensor argument is a strided view; `out` is written, never resized.
/// Elementwise primitives get operands already broadcast to out's shape (stride 0 on
/// broadcast dims), with the same dtype as out unless stated. Kernels never throw: inputs
/// (dtypes, shapes, index ranges) are validated before a primitive is called.
#pragma once
#include <cstdint>
#include <functional>

#include "tensor/conv.h"
#include "tensor/primitives.h"
#include "tensor/tensor.h"

namespace zg {

struct Backend {
  virtual ~Backend() = default;
  // ---- memory ----
  /// nbytes of this device's memory (never null: throws zg::Error when out of memory).
  virtual void* allocate(size_t nbytes) = 0;
  virtual void release(void* p, size_t nbytes) = 0;
  /// Bytes between host memory and this device's: the one way data crosses devices
  /// (raw::copy_into stages a strided or differently-typed copy through these).
  virtual void copy_from_host(void* dst, const void* host_src, size_t nbytes) = 0;
  virtual void copy_to_host(void* host_dst, const void* src, size_t nbytes) = 0;

  // ---- elementwise ----
  virtual void fill(const Tensor& out, double value) = 0;
  virtual void copy(const Tensor& out, const Tensor& src) = 0;  ///< dtypes may differ
  virtual void unary(UnaryOp op, const Tensor& out, const Tensor& a, double alpha) = 0;
  virtual void binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b,
                      double alpha) = 0;
  virtual void ternary(TernaryOp op, const Tensor& out, const Tensor& a, const Tensor& b,
                       const Tensor& c, double alpha) = 0;
  /// out has `in`'s rank with reduced dims of size 1; reduced[d] says which dims reduce.
  virtual void reduce(ReduceOp op, const Tensor& out, const Tensor& in,
                      const std::vector<bool>& reduced) = 0;
  /// values/indices have `in`'s rank with size 1 at `dim` (Max or Min only).
  virtual void arg_reduce(ReduceOp op, const Tensor& values, const Tensor& indices,
                          const Tensor& in, int64_t dim) = 0;
  /// out[..., M, N] = a[..., M, K] @ b[..., K, N], float dtypes; the batch dims are already
  /// broadcast to out's (strides may be 0). Transposed operands are passed as views. With
  /// `accumulate`, out += a @ b instead (a sum over chunks needs no temporary). out may have
  /// any strides.
  virtual void matmul(const Tensor& out, const Tensor& a, const Tensor& b,
                      bool accumulate = false) = 0;
  /// Counter-based stream: element i of a contiguous `out` uses counter offset + i.
  virtual void uniform(const Tensor& out, uint64_t seed, uint64_t offset, double lo, double hi) = 0;
  virtual void normal(const Tensor& out, uint64_t seed, uint64_t offset, double mean,
                      double std) = 0;
  /// out[..i..] = in[..index[..i..]..] along dim; index (int64) has out's shape.
  virtual void gather(const Tensor& out, const Tensor& in, int64_t dim, const Tensor& index) = 0;
  /// out[..index[..i..]..] += src[..i..] along dim; index has src's shape.
  virtual void scatter_add(const Tensor& out, int64_t dim, const Tensor& index,
                           const Tensor& src) = 0;
  /// (log_)softmax along dim; in and out contiguous with the same shape.
  virtual void softmax(const Tensor& out, const Tensor& in, int64_t dim, bool log) = 0;

  // ---- normalisation (BatchNorm, GroupNorm, LayerNorm are built on these two) ----
  /// Statistics over the dims marked in `reduced`: the means of a and b and their biased
  /// covariance E[(a − ā)(b − b̄)]. The three outputs have a's rank with size 1 on reduced
  /// dims; a and b have the same shape and dtype (b may be a itself: cov is then the biased
  /// variance). Computed in two passes per slice (means, then centred products), so no
  /// cancellation; every reduced slice is non-empty. A norm layer's forward needs (x̄, var x)
  /// and its backward Σg and Σg·(x − x̄), which is (ḡ, cov(g, x)): one primitive, one pass.
  virtual void moments(const Tensor& mean_a, const Tensor& mean_b, const Tensor& cov,
                       const Tensor& a, const Tensor& b, const std::vector<bool>& reduced) = 0;
  /// out = a·s + b·t + c with every operand already broadcast to out's shape; b and t may
  /// both be undefined (out = a·s + c). The one elementwise pass of a norm layer: forward
  /// y = x·scale + shift, backward dx = g·A + x·B + C, with per-channel coefficients.
  virtual void affine(const Tensor& out, const Tensor& a, const Tensor& s, const Tensor& b,
                      const Tensor& t, const Tensor& c) = 0;

  /// Sliding windows (tensor/conv.h): in [N, C, H, W] (any strides) -> cols [N, C·kh·kw, L]
  /// with cols.stride(2) == 1 (the N and C·kh·kw strides are free, so a caller can lay the
  /// columns of several samples side by side for one GEMM). Padding reads as 0.
  virtual void im2col(const Tensor& cols, const Tensor& in, const Window2d& win) = 0;
  /// The adjoint: out [N, C, H, W] contiguous, overwritten with the sum of every column
  /// entry that im2col would have read from each position; cols as for im2col.
  virtual void col2im(const Tensor& out, const Tensor& cols, const Window2d& win) = 0;

  /// Winograd F(m×m, 3×3), the tile transforms of a stride-1, padding-1 3×3 convolution
  /// (tensor/raw_winograd.cpp), for an output tile size m of 2 or 4 (`tile`), α = m + 2.
  /// An [N, C, H, W] image has T = ⌈H/m⌉·⌈W/m⌉ tiles per sample, tile t = ty·⌈W/m⌉ + tx
  /// covering outputs (m·ty .. m·ty + m − 1, m·tx .. m·tx + m − 1). Tile arrays are
  /// [α², C, N·T] with the last stride 1 (the first two are free), ξ = α·a + b first:
  ///  - winograd_input: in (any strides) -> v, v[ξ, c, n·T + t] = (Bᵀ d B)[a, b] for the
  ///    α×α input tile d at rows m·ty − 1 .. m·ty + m, columns m·tx − 1 .. m·tx + m (0
  ///    outside);
  ///  - winograd_output: m -> out (any strides), out's tile t = Aᵀ m_t A, cut to H×W, plus
  ///    bias[c] when bias ([C]) is defined;
  ///  - winograd_output_adjoint: g (any strides) -> m = A g_t Aᵀ, the adjoint without bias.
  /// Every backend has m = 2; winograd_supports says which others it has.
  virtual void winograd_input(const Tensor& v, const Tensor& in, int tile) = 0;
  virtual void winograd_output(const Tensor& out, const Tensor& m, const Tensor& bias,
                               int tile) = 0;
  virtual void winograd_output_adjoint(const Tensor& m, const Tensor& g, int tile) = 0;
  virtual bool winograd_supports(int tile) const { return tile == 2; }

  /// Bytes of scratch a chunked convolution map aims at per chunk (tensor/conv_chunks.h): on
  /// a CPU about a cache's worth, conv_chunk_bytes(), so the unfolded columns are still in
  /// cache when the GEMM reads them; a GPU has no such cache to fit and wants few, large
  /// launches.
  virtual int64_t chunk_bytes() const { return conv_chunk_bytes(); }

  // ---- independent work ----
  /// How many tasks of run_tasks may run at once (1: the device runs them one by one).
  virtual int workers() const { return 1; }
  /// Runs task(i, worker) for every i in [0, tasks), concurrently where the device can. The
  /// tasks are split into w = min(workers(), tasks) contiguous runs, run r on worker r, the
  /// same way every time, so results that depend on the grouping (sums per worker) repeat
  /// from run to run. No two tasks running at once share a worker index, so it can name
  /// per-worker scratch. The primitives a task
  /// calls run on its worker alone. Why: the conv maps of a batch are many small GEMMs, and
  /// splitting each over the cores synchronises them at every call, while giving each core
  /// its own samples (unfold, multiply, fold) needs one synchronisation per map.
  virtual void run_tasks(int64_t tasks, const std::function<void(int64_t, int)>& task) {
    for (int64_t i = 0; i < tasks; ++i) task(i, 0);
  }
};

/// The backend of a device; for CUDA it throws zg::Error naming the reason when this build
/// has no CUDA backend or the machine no usable GPU (cuda_status() says which).
Backend& backend_for(Device device);
Backend& cpu_backend();

}  // namespace zg
