// The CUDA backend's primitives, host side: each turns its Tensors into the plain loop and
// image descriptions of tensor/cuda/kernels.h and calls the kernel's launcher. All the
// arithmetic is in the .cu files; all the bookkeeping about views is here.
#include <algorithm>
#include <cmath>

#include "tensor/cuda/cuda_backend.h"
#include "tensor/cuda/kernels.h"
#include "tensor/geometry.h"
#include "tensor/raw.h"

namespace zg {

namespace {

// make_geometry's loop (dims merged, byte strides) in the kernels' fixed-size form.
template <size_t N>
cuda::Loop<N> loop_of(const Shape& shape, const std::array<const Tensor*, N>& ops, const char* op) {
  const Geometry<N> g = make_geometry<N>(shape, ops);
  const int nd = static_cast<int>(g.shape.size());
  ZG_CHECK(nd <= cuda::kMaxDims,
           "cuda {}: shape {} has {} dims that cannot be merged; the CUDA kernels take at most {}",
           op, shape_str(shape), nd, cuda::kMaxDims);
  cuda::Loop<N> loop;
  loop.nd = nd;
  loop.numel = g.numel;
  for (int d = 0; d < nd; ++d) {
    loop.shape[d] = g.shape[d];
    for (size_t k = 0; k < N; ++k) loop.stride[k][d] = g.strides[k][d];
  }
  for (size_t k = 0; k < N; ++k) loop.base[k] = g.base[k];
  return loop;
}

// A reduction's two loops. `outputs` have size 1 on the reduced dims; `inputs` have the full
// shape. kept: over the outputs' shape (the inputs' reduced dims have size 1 there, so they
// drop out); inner: over the reduced dims, the outputs held still by zero strides.
template <size_t N>
cuda::Reduction<N> reduction_of(const std::array<const Tensor*, N>& ops, size_t outputs,
                                const std::vector<bool>& reduced, const char* op) {
  const Tensor& in = *ops[outputs];
  const int64_t rank = in.dim();
  Shape kept = in.shape(), inner = in.shape();
  for (int64_t d = 0; d < rank; ++d) (reduced[d] ? kept : inner)[d] = 1;
  std::array<Tensor, N> views;
  std::array<const Tensor*, N> kept_ops, inner_ops;
  for (size_t k = 0; k < N; ++k) {
    const Tensor& t = *ops[k];
    views[k] = k < outputs ? raw::as_strided(t, inner, Shape(rank, 0), t.storage_offset())
                           : raw::as_strided(t, inner, t.strides(), t.storage_offset());
    kept_ops[k] = &t;
    inner_ops[k] = &views[k];
  }
  return {loop_of<N>(kept, kept_ops, op), loop_of<N>(inner, inner_ops, op)};
}

cuda::Image image_of(const Tensor& t) {
  const int64_t es = static_cast<int64_t>(element_size(t.dtype()));
  return {raw::data_bytes(t), t.size(0),        t.size(1),        t.size(2),       t.size(3),
          t.stride(0) * es,   t.stride(1) * es, t.stride(2) * es, t.stride(3) * es};
}

cuda::Tiles tiles_of(const Tensor& t) {
  const int64_t es = static_cast<int64_t>(element_size(t.dtype()));
  return {raw::data_bytes(t), t.stride(0) * es, t.stride(1) * es};
}

cuda::Columns columns_of(const Tensor& cols) {
  const int64_t es = static_cast<int64_t>(element_size(cols.dtype()));
  return {raw::data_bytes(cols), cols.stride(0) * es, cols.stride(1) * es};
}

}  // namespace

// ---- elementwise ----
void CudaBackend::fill(const Tensor& out, double value) {
  cuda::fill(loop_of<1>(out.shape(), {&out}, "fill"), out.dtype(), value);
}
void CudaBackend::copy(const Tensor& out, const Tensor& src) {
  cuda::copy(loop_of<2>(out.shape(), {&out, &src}, "copy"), out.dtype(), src.dtype());
}
void CudaBackend::unary(UnaryOp op, const Tensor& out, const Tensor& a, double alpha) {
  cuda::unary(op, loop_of<2>(out.shape(), {&out, &a}, "unary"), out.dtype(), alpha);
}
void CudaBackend::binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b,
                         double alpha) {
  cuda::binary(op, loop_of<3>(out.shape(), {&out, &a, &b}, "binary"), out.dtype(), alpha);
}
void CudaBackend::ternary(TernaryOp op, const Tensor& out, const Tensor& a, const Tensor& b,
                          const Tensor& c, double alpha) {
  cuda::ternary(op, loop_of<4>(out.shape(), {&out, &a, &b, &c}, "ternary"), out.dtype(), alpha);
}
void CudaBackend::affine(const Tensor& out, const Tensor& a, const Tensor& s, const Tensor& b,
                         const Tensor& t, const Tensor& c) {
  const bool has_bt = b.defined();
  // Without b and t, a stands in for them in the loop (any operand of out's shape will do:
  // their strides only decide which dims merge), and their bases are cleared.
  const Tensor& b_or_a = has_bt ? b : a;
  const Tensor& t_or_a = has_bt ? t : a;
  cuda::Loop<6> loop = loop_of<6>(out.shape(), {&out, &a, &s, &b_or_a, &t_or_a, &c}, "affine");
  if (!has_bt) loop.base[3] = loop.base[4] = nullptr;
  cuda::affine(loop, out.dtype(), has_bt);
}

// ---- random: the same streams as the CPU backend (tensor/cpu/index.cpp) ----
void CudaBackend::uniform(const Tensor& out, uint64_t seed, uint64_t offset, double lo, double hi) {
  const double top = !(hi > lo)                ? hi
                     : out.dtype() == kFloat32 ? std::nextafter(float(hi), -INFINITY)
                                               : std::nextafter(hi, -INFINITY);
  cuda::uniform(raw::data_bytes(out), out.numel(), out.dtype(), seed, offset, lo, hi, top);
}
void CudaBackend::normal(const Tensor& out, uint64_t seed, uint64_t offset, double mean,
                         double std) {
  cuda::normal(raw::data_bytes(out), out.numel(), out.dtype(), seed, offset, mean, std);
}

// ---- indexing: the dim's stride is set to 0 and the index supplies the offset ----
void CudaBackend::gather(const Tensor& out, const Tensor& in, int64_t dim, const Tensor& index) {
  Shape s = in.strides();
  s[dim] = 0;
  Tensor in0 = raw::as_strided(in, index.shape(), s, in.storage_offset());
  cuda::gather(loop_of<3>(index.shape(), {&out, &in0, &index}, "gather"), in.dtype(),
               in.strides()[dim]);
}
void CudaBackend::scatter_add(const Tensor& out, int64_t dim, const Tensor& index,
                              const Tensor& src) {
  Shape s = out.strides();
  s[dim] = 0;
  Tensor out0 = raw::as_strided(out, index.shape(), s, out.storage_offset());
  Tensor src0 = raw::as_strided(src, index.shape(), src.strides(), src.storage_offset());
  cuda::scatter_add(loop_of<3>(index.shape(), {&out0, &src0, &index}, "scatter_add"), out.dtype(),
                    out.strides()[dim]);
}

// ---- reductions ----
void CudaBackend::reduce(ReduceOp op, const Tensor& out, const Tensor& in,
                         const std::vector<bool>& reduced) {
  cuda::reduce(op, reduction_of<2>({&out, &in}, 1, reduced, "reduce"), in.dtype());
}
void CudaBackend::arg_reduce(ReduceOp op, const Tensor& values, const Tensor& indices,
                             const Tensor& in, int64_t dim) {
  std::vector<bool> reduced(in.dim(), false);
  if (in.dim() > 0) reduced[dim] = true;
  cuda::arg_reduce(op, reduction_of<3>({&values, &indices, &in}, 2, reduced, "arg_reduce"),
                   in.dtype());
}
void CudaBackend::moments(const Tensor& mean_a, const Tensor& mean_b, const Tensor& cov,
                          const Tensor& a, const Tensor& b, const std::vector<bool>& reduced) {
  cuda::moments(reduction_of<5>({&mean_a, &mean_b, &cov, &a, &b}, 3, reduced, "moments"),
                a.dtype());
}
void CudaBackend::softmax(const Tensor& out, const Tensor& in, int64_t dim, bool log) {
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < dim; ++d) outer *= in.size(d);
  for (int64_t d = dim + 1; d < in.dim(); ++d) inner *= in.size(d);
  cuda::softmax(raw::data_bytes(out), raw::data_bytes(in), outer, in.size(dim), inner, in.dtype(),
                log);
}

// ---- sliding windows ----
int64_t CudaBackend::chunk_bytes() const {
  return std::max<int64_t>(conv_chunk_bytes(), int64_t{256} << 20);
}

void CudaBackend::im2col(const Tensor& cols, const Tensor& in, const Window2d& win) {
  cuda::im2col(columns_of(cols), image_of(in), win, win.out_h(in.size(2)), win.out_w(in.size(3)),
               in.dtype());
}
void CudaBackend::col2im(const Tensor& out, const Tensor& cols, const Window2d& win) {
  cuda::col2im(image_of(out), columns_of(cols), win, win.out_h(out.size(2)), win.out_w(out.size(3)),
               out.dtype());
}
static void check_tile(const char* op, int tile) {
  ZG_CHECK(tile == 2, "{}: the CUDA backend has Winograd F(2x2, 3x3) only, asked for F({}x{}, 3x3)",
           op, tile, tile);
}
void CudaBackend::winograd_input(const Tensor& v, const Tensor& in, int tile) {
  check_tile("winograd_input", tile);
  cuda::winograd_input(tiles_of(v), image_of(in), in.dtype());
}
void CudaBackend::winograd_output(const Tensor& out, const Tensor& m, const Tensor& bias,
                                  int tile) {
  check_tile("winograd_output", tile);
  const Tensor b = bias.defined() ? raw::contiguous(bias) : bias;
  cuda::winograd_output(image_of(out), tiles_of(m), b.defined() ? raw::data_bytes(b) : nullptr,
                        out.dtype());
}
void CudaBackend::winograd_output_adjoint(const Tensor& m, const Tensor& g, int tile) {
  check_tile("winograd_output_adjoint", tile);
  cuda::winograd_output_adjoint(tiles_of(m), image_of(g), g.dtype());
}

}  // namespace zg
