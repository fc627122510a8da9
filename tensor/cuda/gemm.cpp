// Batched GEMM through cuBLAS, which is column-major: a row-major C = A·B is computed as the
// column-major Cᵀ = Bᵀ·Aᵀ, and a transposed view is passed as an operation flag, not a
// copy. Only operands that no flag and leading dimension can describe (two strides > 1,
// or a broadcast inside the matrix) are copied first.
#include <cublas_v2.h>

#include <climits>

#include "tensor/cuda/cuda_backend.h"
#include "tensor/cuda/runtime.h"
#include "tensor/geometry.h"
#include "tensor/raw.h"

namespace zg {

namespace {

void check_cublas(cublasStatus_t status, const char* what) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  throw Error(fmt::format("cuda: {} failed: {} ({})", what, cublasGetStatusString(status),
                          static_cast<int>(status)));
}

cublasHandle_t handle() {
  static cublasHandle_t h = [] {
    cublasHandle_t created = nullptr;
    check_cublas(cublasCreate(&created), "cublasCreate");
    return created;  // never destroyed: the driver may be gone at static teardown
  }();
  return h;
}

// A matrix X[i, j] at i·rs + j·cs (elements) as a cuBLAS operand: column-major with leading
// dimension ld, read as is (N) or transposed (T).
struct Operand {
  bool ok = false;
  cublasOperation_t op = CUBLAS_OP_N;
  int64_t ld = 1;
};

Operand describe(int64_t rs, int64_t cs, int64_t rows, int64_t cols) {
  if ((rs == 1 || rows == 1) && (cols == 1 || cs >= std::max<int64_t>(rows, 1)))
    return {true, CUBLAS_OP_N, cols == 1 ? std::max<int64_t>(rows, 1) : cs};
  if ((cs == 1 || cols == 1) && (rows == 1 || rs >= std::max<int64_t>(cols, 1)))
    return {true, CUBLAS_OP_T, rows == 1 ? std::max<int64_t>(cols, 1) : rs};
  return {};
}

int as_int(int64_t v, const char* what) {
  ZG_CHECK(v <= INT_MAX, "cuda matmul: {} = {} exceeds cuBLAS's 32-bit sizes", what, v);
  return static_cast<int>(v);
}

template <class T>
void gemm_batched(cublasOperation_t op1, cublasOperation_t op2, int m, int n, int k, const T* alpha,
                  const T* p1, int ld1, int64_t s1, const T* p2, int ld2, int64_t s2, const T* beta,
                  T* c, int ldc, int64_t sc, int batch) {
  if constexpr (std::is_same_v<T, float>)
    check_cublas(cublasSgemmStridedBatched(handle(), op1, op2, m, n, k, alpha, p1, ld1, s1, p2, ld2,
                                           s2, beta, c, ldc, sc, batch),
                 "cublasSgemmStridedBatched");
  else
    check_cublas(cublasDgemmStridedBatched(handle(), op1, op2, m, n, k, alpha, p1, ld1, s1, p2, ld2,
                                           s2, beta, c, ldc, sc, batch),
                 "cublasDgemmStridedBatched");
}

}  // namespace

void CudaBackend::matmul(const Tensor& out_in, const Tensor& a_in, const Tensor& b_in,
                         bool accumulate) {
  const int64_t r = out_in.dim(), M = out_in.size(r - 2), N = out_in.size(r - 1),
                K = a_in.size(r - 1);
  if (out_in.numel() == 0) return;
  if (K == 0) {
    if (!accumulate) fill(out_in, 0.0);
    return;
  }
  // Output: C[m, n] at m·sm + n·sn. Row-major (sn = 1) is solved as Cᵀ = Bᵀ·Aᵀ.
  auto matrix = [&](const Tensor& t, int64_t rows, int64_t cols, bool transpose) {
    return transpose ? describe(t.stride(r - 1), t.stride(r - 2), cols, rows)
                     : describe(t.stride(r - 2), t.stride(r - 1), rows, cols);
  };
  // cuBLAS writes C without an operation flag: its description must be a plain (N) one.
  auto as_output = [&](const Tensor& t, bool transpose) {
    Operand d = matrix(t, M, N, transpose);
    return d.ok && d.op == CUBLAS_OP_N ? d : Operand{};
  };
  Tensor out = out_in;
  bool transposed = as_output(out, true).ok;
  if (!transposed && !as_output(out, false).ok) {  // e.g. a strided column slice
    out = accumulate ? raw::contiguous_copy(out_in)
                     : raw::make(out_in.shape(), out_in.dtype(), out_in.device());
    transposed = true;
  }
  const Operand c = as_output(out, transposed);
  // The problem cuBLAS solves: C' [m', n'] = X [m', K] · Y [K, n'], column-major.
  const int64_t m2 = transposed ? N : M, n2 = transposed ? M : N;
  Tensor x_t = transposed ? b_in : a_in, y_t = transposed ? a_in : b_in;
  auto describe_x = [&] { return transposed ? matrix(x_t, K, N, true) : matrix(x_t, M, K, false); };
  auto describe_y = [&] { return transposed ? matrix(y_t, M, K, true) : matrix(y_t, K, N, false); };
  Operand x = describe_x(), y = describe_y();
  if (!x.ok) x_t = raw::contiguous_copy(x_t), x = describe_x();
  if (!y.ok) y_t = raw::contiguous_copy(y_t), y = describe_y();

  // Batch dims: merged, the innermost run as one strided-batched call, the rest looped here.
  Shape batch(out.shape().begin(), out.shape().end() - 2);
  auto batch_view = [&](const Tensor& t) {
    return raw::as_strided(t, batch, Shape(t.strides().begin(), t.strides().end() - 2),
                           t.storage_offset());
  };
  const Tensor ob = batch_view(out), xb = batch_view(x_t), yb = batch_view(y_t);
  const Geometry<3> g = make_geometry<3>(batch, {&ob, &xb, &yb});
  const int64_t es = static_cast<int64_t>(element_size(out.dtype()));
  const int64_t nd = static_cast<int64_t>(g.shape.size()), inner = g.shape[nd - 1];
  const int64_t outer = g.numel / inner;
  visit_dtype(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      const T one = 1, beta = accumulate ? 1 : 0;
      for (int64_t o = 0; o < outer; ++o) {
        std::array<char*, 3> p = g.base;
        for (int64_t d = nd - 2, rest = o; d >= 0; --d) {
          const int64_t i = rest % g.shape[d];
          rest /= g.shape[d];
          for (int k = 0; k < 3; ++k) p[k] += i * g.strides[k][d];
        }
        gemm_batched<T>(x.op, y.op, as_int(m2, "rows"), as_int(n2, "columns"), as_int(K, "K"), &one,
                        reinterpret_cast<const T*>(p[1]), as_int(x.ld, "lda"),
                        g.strides[1][nd - 1] / es, reinterpret_cast<const T*>(p[2]),
                        as_int(y.ld, "ldb"), g.strides[2][nd - 1] / es, &beta,
                        reinterpret_cast<T*>(p[0]), as_int(c.ld, "ldc"), g.strides[0][nd - 1] / es,
                        as_int(inner, "batch"));
      }
    }
  });
  if (!out.is_same(out_in)) copy(out_in, out);
}

}  // namespace zg
