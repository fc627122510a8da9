// fill, copy and the unary/binary/ternary elementwise primitives.
#include <cmath>
#include <cstring>
#include <type_traits>

#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/loops.h"
#include "tensor/cpu/vec_math.h"

namespace zg {
using namespace cpu;

namespace {

// One inner loop for any arity; the all-contiguous case is its own branch so it vectorises.
// flatten: the op (a lambda around a vec_math.h function) must be inlined into the loop to
// vectorise, and GCC's inliner gives up on the larger ones (gelu) otherwise.
template <class T, size_t N, class Op>
[[gnu::flatten]] void map_row(const std::array<char*, N>& p, const std::array<int64_t, N>& s,
                              int64_t n, Op op) {
  bool contiguous = true;
  for (size_t k = 0; k < N; ++k) contiguous &= s[k] == int64_t(sizeof(T));
  T* out = reinterpret_cast<T*>(p[0]);
  if constexpr (N == 2) {
    const T* a = reinterpret_cast<const T*>(p[1]);
    if (contiguous) {
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) out[i] = op(a[i]);
    } else
      for (int64_t i = 0; i < n; ++i) at<T>(p[0], i * s[0]) = op(at<T>(p[1], i * s[1]));
  } else if constexpr (N == 3) {
    const T* a = reinterpret_cast<const T*>(p[1]);
    const T* b = reinterpret_cast<const T*>(p[2]);
    if (contiguous) {
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) out[i] = op(a[i], b[i]);
    } else if (s[0] == sizeof(T) && s[1] == sizeof(T) && s[2] == 0) {
      const T bv = *b;  // tensor (op) scalar, the common broadcast
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) out[i] = op(a[i], bv);
    } else if (s[0] == sizeof(T) && s[1] == 0 && s[2] == sizeof(T)) {
      const T av = *a;
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) out[i] = op(av, b[i]);
    } else {
      for (int64_t i = 0; i < n; ++i)
        at<T>(p[0], i * s[0]) = op(at<T>(p[1], i * s[1]), at<T>(p[2], i * s[2]));
    }
  } else {
    static_assert(N == 4);
    for (int64_t i = 0; i < n; ++i)
      at<T>(p[0], i * s[0]) =
          op(at<T>(p[1], i * s[1]), at<T>(p[2], i * s[2]), at<T>(p[3], i * s[3]));
  }
}

template <class T, size_t N, class Op>
void map(const Tensor& out, const std::array<const Tensor*, N - 1>& ins, Op op) {
  std::array<const Tensor*, N> ops;
  ops[0] = &out;
  for (size_t k = 1; k < N; ++k) ops[k] = ins[k - 1];
  for_each(make_geometry<N>(out.shape(), ops),
           [&](const std::array<char*, N>& p, const std::array<int64_t, N>& s, int64_t n) {
             map_row<T, N>(p, s, n, op);
           });
}

// float32 goes through the vectorisable vm:: versions (tensor/cpu/vec_math.h, within ~2 ulp
// of correctly rounded, libm's special values); float64 keeps libm.
template <class T>
ZG_VM_INLINE T exp_(T x) {
  if constexpr (std::is_same_v<T, float>) return vm::exp(x);
  return std::exp(x);
}
template <class T>
ZG_VM_INLINE T log_(T x) {
  if constexpr (std::is_same_v<T, float>) return vm::log(x);
  return std::log(x);
}
template <class T>
ZG_VM_INLINE T tanh_(T x) {
  if constexpr (std::is_same_v<T, float>) return vm::tanh(x);
  return std::tanh(x);
}
template <class T>
ZG_VM_INLINE T erf_(T x) {
  if constexpr (std::is_same_v<T, float>) return vm::erf(x);
  return std::erf(x);
}
template <class T>
ZG_VM_INLINE T sigmoid(T x) {
  if constexpr (std::is_same_v<T, float>) return vm::sigmoid(x);
  return T(1) / (T(1) + std::exp(-x));
}
template <class T>
ZG_VM_INLINE T silu(T x) {
  if constexpr (std::is_same_v<T, float>) return vm::silu(x);
  return x / (T(1) + std::exp(-x));
}
// x·Φ(x) = ½·x·erfc(-x/√2): no cancellation in the negative tail, unlike 1 + erf(x/√2).
template <class T>
ZG_VM_INLINE T gelu(T x) {
  if constexpr (std::is_same_v<T, float>) return vm::gelu(x);
  return T(0.5) * x * std::erfc(-x * T(M_SQRT1_2));
}

template <class T>
void unary_typed(UnaryOp op, const Tensor& out, const Tensor& a, double alpha) {
  const T al = static_cast<T>(alpha);
  auto run = [&](auto f) { map<T, 2>(out, {&a}, f); };
  switch (op) {
    case UnaryOp::Neg:
      return run([](T x) { return -x; });
    case UnaryOp::Abs:
      return run([](T x) { return x < 0 ? -x : x; });
    case UnaryOp::Sign:
      return run([](T x) { return T((x > 0) - (x < 0)); });
    case UnaryOp::Square:
      return run([](T x) { return x * x; });
    case UnaryOp::Relu:
      return run([](T x) { return x < 0 ? T(0) : x; });  // NaN stays NaN
    case UnaryOp::ClampMin:
      return run([al](T x) { return x < al ? al : x; });
    case UnaryOp::ClampMax:
      return run([al](T x) { return x > al ? al : x; });
    default:
      break;
  }
  if constexpr (std::is_floating_point_v<T>) {
    switch (op) {
      case UnaryOp::Exp:
        return run([](T x) { return exp_(x); });
      case UnaryOp::Log:
        return run([](T x) { return log_(x); });
      case UnaryOp::Log1p:
        return run([](T x) { return std::log1p(x); });
      case UnaryOp::Sqrt:
        return run([](T x) { return std::sqrt(x); });
      case UnaryOp::Rsqrt:
        return run([](T x) { return T(1) / std::sqrt(x); });
      case UnaryOp::Sin:
        return run([](T x) { return std::sin(x); });
      case UnaryOp::Cos:
        return run([](T x) { return std::cos(x); });
      case UnaryOp::Tanh:
        return run([](T x) { return tanh_(x); });
      case UnaryOp::Sigmoid:
        return run([](T x) { return sigmoid(x); });
      case UnaryOp::Erf:
        return run([](T x) { return erf_(x); });
      case UnaryOp::Silu:
        return run([](T x) { return silu(x); });
      case UnaryOp::SiluGrad:
        return run([](T x) {
          const T s = sigmoid(x);
          return s * (T(1) + x * (T(1) - s));
        });
      case UnaryOp::Gelu:
        return run([](T x) { return gelu(x); });
      case UnaryOp::Softplus:
        return run([](T x) { return std::max(x, T(0)) + std::log1p(exp_(-std::abs(x))); });
      case UnaryOp::LeakyRelu:
        return run([al](T x) { return x > 0 ? x : al * x; });
      case UnaryOp::PowScalar:
        return run([al](T x) { return std::pow(x, al); });
      default:
        break;
    }
  }
}

template <class T>
void binary_typed(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b, double alpha) {
  auto run = [&](auto f) { map<T, 3>(out, {&a, &b}, f); };
  const T al = static_cast<T>(alpha);
  switch (op) {
    case BinaryOp::Add:
      if (alpha == 1.0) return run([](T x, T y) { return x + y; });
      return run([al](T x, T y) { return x + al * y; });
    case BinaryOp::Sub:
      return run([](T x, T y) { return x - y; });
    case BinaryOp::Mul:
      return run([](T x, T y) { return x * y; });
    // NaN-propagating, as torch.maximum.
    case BinaryOp::Maximum:
      return run([](T x, T y) { return x != x || x > y ? x : y; });
    case BinaryOp::Minimum:
      return run([](T x, T y) { return x != x || x < y ? x : y; });
    case BinaryOp::Eq:
      return run([](T x, T y) { return T(x == y); });
    case BinaryOp::Ne:
      return run([](T x, T y) { return T(x != y); });
    case BinaryOp::Lt:
      return run([](T x, T y) { return T(x < y); });
    case BinaryOp::Le:
      return run([](T x, T y) { return T(x <= y); });
    case BinaryOp::Gt:
      return run([](T x, T y) { return T(x > y); });
    case BinaryOp::Ge:
      return run([](T x, T y) { return T(x >= y); });
    default:
      break;
  }
  if constexpr (std::is_floating_point_v<T>) {
    switch (op) {
      case BinaryOp::Div:
        return run([](T x, T y) { return x / y; });
      case BinaryOp::Pow:
        return run([](T x, T y) { return std::pow(x, y); });
      default:
        break;
    }
  }
}

template <class T>
void ternary_typed(TernaryOp op, const Tensor& out, const Tensor& a, const Tensor& b,
                   const Tensor& c, double alpha) {
  auto run = [&](auto f) { map<T, 4>(out, {&a, &b, &c}, f); };
  const T al = static_cast<T>(alpha);
  switch (op) {
    case TernaryOp::Where:
      return run([](T m, T x, T y) { return m != T(0) ? x : y; });
    case TernaryOp::Addcmul:
      return run([al](T x, T y, T z) { return x + al * y * z; });
    case TernaryOp::Addcdiv:
      return run([al](T x, T y, T z) { return x + al * y / z; });
  }
}

}  // namespace

void CpuBackend::fill(const Tensor& out, double value) {
  visit_dtype(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T v = static_cast<T>(value);
    for_each(make_geometry<1>(out.shape(), {&out}),
             [v](const std::array<char*, 1>& p, const std::array<int64_t, 1>& s, int64_t n) {
               if (s[0] == sizeof(T))
                 std::fill_n(reinterpret_cast<T*>(p[0]), n, v);
               else
                 for (int64_t i = 0; i < n; ++i) at<T>(p[0], i * s[0]) = v;
             });
  });
}

void CpuBackend::copy(const Tensor& out, const Tensor& src) {
  visit_dtype(out.dtype(), [&](auto out_tag) {
    using O = decltype(out_tag);
    visit_dtype(src.dtype(), [&](auto src_tag) {
      using S = decltype(src_tag);
      for_each(make_geometry<2>(out.shape(), {&out, &src}),
               [](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t n) {
                 if (std::is_same_v<O, S> && s[0] == sizeof(O) && s[1] == sizeof(S)) {
                   std::memcpy(p[0], p[1], n * sizeof(O));
                 } else if (s[0] == sizeof(O) && s[1] == sizeof(S)) {
                   O* o = reinterpret_cast<O*>(p[0]);
                   const S* x = reinterpret_cast<const S*>(p[1]);
                   for (int64_t i = 0; i < n; ++i) o[i] = static_cast<O>(x[i]);
                 } else {
                   for (int64_t i = 0; i < n; ++i)
                     at<O>(p[0], i * s[0]) = static_cast<O>(at<S>(p[1], i * s[1]));
                 }
               });
    });
  });
}

void CpuBackend::unary(UnaryOp op, const Tensor& out, const Tensor& a, double alpha) {
  visit_dtype(out.dtype(), [&](auto tag) { unary_typed<decltype(tag)>(op, out, a, alpha); });
}

void CpuBackend::binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b,
                        double alpha) {
  visit_dtype(out.dtype(), [&](auto tag) { binary_typed<decltype(tag)>(op, out, a, b, alpha); });
}

void CpuBackend::ternary(TernaryOp op, const Tensor& out, const Tensor& a, const Tensor& b,
                         const Tensor& c, double alpha) {
  visit_dtype(out.dtype(),
              [&](auto tag) { ternary_typed<decltype(tag)>(op, out, a, b, c, alpha); });
}

Backend& cpu_backend() {
  static CpuBackend backend;
  return backend;
}

}  // namespace zg
