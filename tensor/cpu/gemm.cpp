// Batched GEMM through OpenBLAS. Transposed views go to BLAS as a transpose flag with
// their leading dimension, so `a.mT()` costs no copy; only operands whose last two dims
// are not a (possibly transposed) matrix layout are copied first.
#include <cblas.h>

#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/loops.h"
#include "tensor/raw.h"

namespace zg {

namespace {

struct MatrixLayout {
  CBLAS_TRANSPOSE trans = CblasNoTrans;
  int64_t ld = 0;
};

// Can BLAS read t's last two dims (rows x cols) directly? Fills in how.
bool blas_layout(const Tensor& t, MatrixLayout& layout) {
  int64_t n = t.dim(), rows = t.shape()[n - 2], cols = t.shape()[n - 1];
  int64_t sr = t.strides()[n - 2], sc = t.strides()[n - 1];
  if ((sc == 1 || cols == 1) && (sr >= std::max<int64_t>(cols, 1) || rows == 1)) {
    layout = {CblasNoTrans, rows == 1 ? std::max<int64_t>(cols, 1) : sr};
    return true;
  }
  if ((sr == 1 || rows == 1) && (sc >= std::max<int64_t>(rows, 1) || cols == 1)) {
    layout = {CblasTrans, cols == 1 ? std::max<int64_t>(rows, 1) : sc};
    return true;
  }
  return false;
}

template <class T>
void gemm(const MatrixLayout& la, const MatrixLayout& lb, int64_t m, int64_t n, int64_t k,
          const T* a, const T* b, T beta, T* c, int64_t ldc) {
  if constexpr (std::is_same_v<T, float>)
    cblas_sgemm(CblasRowMajor, la.trans, lb.trans, m, n, k, 1.0f, a, la.ld, b, lb.ld, beta, c, ldc);
  else
    cblas_dgemm(CblasRowMajor, la.trans, lb.trans, m, n, k, 1.0, a, la.ld, b, lb.ld, beta, c, ldc);
}

}  // namespace

void CpuBackend::matmul(const Tensor& out, const Tensor& a_in, const Tensor& b_in,
                        bool accumulate) {
  MatrixLayout lc;
  if (!blas_layout(out, lc) || lc.trans != CblasNoTrans) {
    // BLAS writes row-major matrices only (at any batch stride and row stride).
    Tensor c =
        accumulate ? raw::contiguous_copy(out) : raw::make(out.shape(), out.dtype(), out.device());
    matmul(c, a_in, b_in, accumulate);
    copy(out, c);
    return;
  }
  MatrixLayout la, lb;
  Tensor a = blas_layout(a_in, la) ? a_in : raw::contiguous_copy(a_in);
  Tensor b = blas_layout(b_in, lb) ? b_in : raw::contiguous_copy(b_in);
  blas_layout(a, la);
  blas_layout(b, lb);
  const int64_t nd = out.dim(), m = out.shape()[nd - 2], n = out.shape()[nd - 1];
  const int64_t k = a.shape()[nd - 1];
  if (m == 0 || n == 0) return;
  if (k == 0) {
    if (!accumulate) fill(out, 0.0);
    return;
  }
  const int64_t batch = numel_of(Shape(out.shape().begin(), out.shape().end() - 2));
  visit_dtype(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      const T* ap = cpu::data<T>(a);
      const T* bp = cpu::data<T>(b);
      T* cp = cpu::data<T>(out);
      for (int64_t i = 0; i < batch; ++i) {
        int64_t oa = 0, ob = 0, oc = 0;  // batch offsets from i's multi-index (a's, b's may be 0)
        for (int64_t d = nd - 3, rem = i; d >= 0; --d) {
          int64_t idx = rem % out.shape()[d];
          rem /= out.shape()[d];
          oa += idx * a.strides()[d];
          ob += idx * b.strides()[d];
          oc += idx * out.strides()[d];
        }
        gemm<T>(la, lb, m, n, k, ap + oa, bp + ob, T(accumulate ? 1 : 0), cp + oc, lc.ld);
      }
    }
  });
}

}  // namespace zg
