/// \file
/// The CUDA device: cuBLAS for GEMM, zerogen's own kernels (tensor/cuda/*.cu) for the rest,
/// memory from a cache of freed blocks. One GPU (device 0), one stream (the default), so
/// every primitive is ordered after the ones before it and nothing here synchronises but
/// the copies to the host. Host-side only: this header needs no CUDA headers.
#pragma once
#include <string>

#include "tensor/backend.h"

namespace zg {

struct CudaBackend final : Backend {
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
  // F(2×2, 3×3) only (the base class's winograd_supports).
  void winograd_input(const Tensor& v, const Tensor& in, int tile) override;
  void winograd_output(const Tensor& out, const Tensor& m, const Tensor& bias, int tile) override;
  void winograd_output_adjoint(const Tensor& m, const Tensor& g, int tile) override;
  /// 256 MiB or more: the whole batch of most convolutions in one unfold and one GEMM.
  int64_t chunk_bytes() const override;
};

namespace cuda {

/// The backend of device 0; throws zg::Error with status()'s reason when no GPU is usable.
Backend& backend();
/// "" when a GPU is usable, else why not (driver missing, no device, ...). Never throws.
std::string unavailable_reason();
/// "NVIDIA H100 80GB HBM3, sm_90, 79.2 GiB" for device 0 (call when usable).
std::string device_description();
/// Waits for every launched kernel (a timing or debugging aid; the copies to the host wait
/// by themselves).
void synchronize();
/// Gives the allocator's cached blocks back to the driver.
void empty_cache();
/// While on, every allocation is filled with 0xFF bytes (NaN in float32/float64, −1 in
/// int64), so a kernel that leaves an output element unwritten fails its test. Starts on when
/// ZEROGEN_CUDA_POISON=1.
void set_poison(bool on);

}  // namespace cuda
}  // namespace zg
