/// \file
/// The vocabulary the backend primitives are spoken in: element types and op codes. Plain
/// C++ with no library includes, so a device compiler (nvcc, which cannot parse fmt) reads
/// the same definitions as the host code; tensor/dtype.h and tensor/backend.h build on it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace zg {

enum class DType : uint8_t { Float32, Float64, Int64 };
inline constexpr DType kFloat32 = DType::Float32;
inline constexpr DType kFloat64 = DType::Float64;
inline constexpr DType kInt64 = DType::Int64;
inline constexpr DType kFloat = kFloat32;
inline constexpr DType kDouble = kFloat64;
inline constexpr DType kLong = kInt64;

inline constexpr size_t element_size(DType t) { return t == kFloat32 ? 4 : 8; }
inline constexpr bool is_floating(DType t) { return t != kInt64; }
template <class T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() {
  return kFloat32;
}
template <>
constexpr DType dtype_of<double>() {
  return kFloat64;
}
template <>
constexpr DType dtype_of<int64_t>() {
  return kInt64;
}

// One line per family of ops reads better than one per op.
// clang-format off
enum class UnaryOp : uint8_t {
  Neg, Abs, Sign, Exp, Log, Log1p, Sqrt, Rsqrt, Square, Sin, Cos, Tanh, Sigmoid, Erf,
  Relu, Silu, Gelu, Softplus,
  SiluGrad,   ///< d silu(x)/dx = s·(1 + x·(1 − s)), s = sigmoid(x): SiLU's backward in one pass
  LeakyRelu,  ///< alpha = negative slope
  ClampMin,   ///< max(x, alpha)
  ClampMax,   ///< min(x, alpha)
  PowScalar,  ///< x^alpha
};
enum class BinaryOp : uint8_t {
  Add,  ///< a + alpha·b
  Sub, Mul, Div, Pow, Maximum, Minimum, Eq, Ne, Lt, Le, Gt, Ge,
};
enum class TernaryOp : uint8_t {
  Where,    ///< a != 0 ? b : c   (a may have any dtype)
  Addcmul,  ///< a + alpha·b·c
  Addcdiv,  ///< a + alpha·b/c
};
// clang-format on
enum class ReduceOp : uint8_t { Sum, Max, Min };

/// A 2-D window: kernel (kh, kw), stride, zero padding and dilation, one pair per axis.
/// Output position (oh, ow) reads input (oh·sh − ph + i·dh, ow·sw − pw + j·dw) for kernel
/// offset (i, j); out_h(H) = ⌊(H + 2ph − dh(kh − 1) − 1) / sh⌋ + 1.
struct Window2d {
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1;
  int64_t out_h(int64_t h) const { return (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1; }
  int64_t out_w(int64_t w) const { return (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1; }
  /// "kernel=(3, 3), stride=(2, 2), padding=(1, 1), dilation=(1, 1)" for messages.
  std::string str() const;
  /// Throws naming `op` unless sizes are positive, padding non-negative, and the dilated
  /// kernel fits in the padded H×W input.
  void check(int64_t h, int64_t w, const char* op) const;
};

}  // namespace zg
