/// \file
/// The CPU device: OpenBLAS for GEMM, OpenMP-parallel strided loops for everything else.
/// Its methods are spread over the files of this folder by primitive family.
#pragma once
#include "tensor/backend.h"

namespace zg {

struct CpuBackend final : Backend {
  void* allocate(size_t nbytes) override;
  void release(void* p, size_t nbytes) override;
  void copy_from_host(void* dst, const void* host_src, size_t nbytes) override;
  void copy_to_host(void* host_dst, const void* src, size_t nbytes) override;
  void fill(const Tensor& out, double value) override;
  void copy(const Tensor& out, const Tensor& src) override;
  void unary(UnaryOp op, const Tensor& out, const Tensor& a, double alpha) override;
  void binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b,
              double alpha) override;
  void ternary(TernaryOp op, const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& c,
               double alpha) override;
  void reduce(ReduceOp op, const Tensor& out, const Tensor& in,
              const std::vector<bool>& reduced) override;
  void arg_reduce(ReduceOp op, const Tensor& values, const Tensor& indices, const Tensor& in,
                  int64_t dim) override;
  void matmul(const Tensor& out, const Tensor& a, const Tensor& b, bool accumulate) override;
  void uniform(const Tensor& out, uint64_t seed, uint64_t offset, double lo, double hi) override;
  void normal(const Tensor& out, uint64_t seed, uint64_t offset, double mean, double std) override;
  void gather(const Tensor& out, const Tensor& in, int64_t dim, const Tensor& index) override;
  void scatter_add(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) override;
  void softmax(const Tensor& out, const Tensor& in, int64_t dim, bool log) override;
  void moments(const Tensor& mean_a, const Tensor& mean_b, const Tensor& cov, const Tensor& a,
               const Tensor& b, const std::vector<bool>& reduced) override;
  void affine(const Tensor& out, const Tensor& a, const Tensor& s, const Tensor& b, const Tensor& t,
              const Tensor& c) override;
  void im2col(const Tensor& cols, const Tensor& in, const Window2d& win) override;
  void col2im(const Tensor& out, const Tensor& cols, const Window2d& win) override;
  void winograd_input(const Tensor& v, const Tensor& in, int tile) override;
  void winograd_output(const Tensor& out, const Tensor& m, const Tensor& bias, int tile) override;
  void winograd_output_adjoint(const Tensor& m, const Tensor& g, int tile) override;
  bool winograd_supports(int tile) const override { return tile == 2 || tile == 4; }
  int workers() const override;
  void run_tasks(int64_t tasks, const std::function<void(int64_t, int)>& task) override;
};

}  // namespace zg
