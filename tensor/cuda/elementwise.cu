// fill, copy, the unary/binary/ternary elementwise primitives and affine, on the GPU. One
// grid-stride kernel (map_kernel) serves them all; each op is a small functor next to its
// formula, the same formulas as the CPU backend (tensor/cpu/elementwise.cpp), so NaN and the
// int64 cases behave alike on both devices. Math runs in the element type (float overloads
// for float32).
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "tensor/cuda/kernels.h"
#include "tensor/cuda/loop.cuh"

namespace zg::cuda {
namespace {

// ---- the kernel: out = op(inputs...) for every element of the loop ----

template <class In, int N, class Op, size_t... K>
__device__ __forceinline__ auto apply(const Op& op, char* const (&p)[N],
                                      std::index_sequence<K...>) {
  return op(at<In>(p[K + 1])...);
}

/// Operand 0 is the output (type Out), operands 1..N-1 the inputs (type In).
template <class Out, class In, int N, class Op>
__global__ void map_kernel(const Loop<N> loop, const Op op) {
  ZG_CUDA_FOR(i, loop.numel) {
    char* p[N];
    locate_fast(loop, i, p);
    at<Out>(p[0]) = apply<In>(op, p, std::make_index_sequence<N - 1>{});
  }
}

template <class Out, class In = Out, int N, class Op>
void map(const Loop<N>& loop, const Op& op, const char* what) {
  if (loop.numel == 0) return;
  map_kernel<Out, In, N><<<grid_for(loop.numel), kBlock>>>(loop, op);
  check_launch(what);
}

// ---- fill and copy ----

template <class T>
struct Fill {
  T value;
  __device__ T operator()() const { return value; }
};
template <class Out, class Src>
struct Cast {
  __device__ Out operator()(Src x) const { return static_cast<Out>(x); }
};

// ---- unary ops, any dtype ----

template <class T>
struct Neg {
  __device__ T operator()(T x) const { return -x; }
};
template <class T>
struct Abs {
  __device__ T operator()(T x) const { return x < 0 ? -x : x; }
};
template <class T>
struct Sign {
  __device__ T operator()(T x) const { return T((x > 0) - (x < 0)); }  // NaN -> 0
};
template <class T>
struct Square {
  __device__ T operator()(T x) const { return x * x; }
};
template <class T>
struct Relu {
  __device__ T operator()(T x) const { return x < 0 ? T(0) : x; }  // NaN stays NaN
};
template <class T>
struct ClampMin {
  T alpha;
  __device__ T operator()(T x) const { return x < alpha ? alpha : x; }
};
template <class T>
struct ClampMax {
  T alpha;
  __device__ T operator()(T x) const { return x > alpha ? alpha : x; }
};

// ---- unary ops, float dtypes only ----

/// (x >= 0 ? 1 : e)/(1 + e) with e = exp(-|x|): no overflow for large negative x.
template <class T>
__device__ __forceinline__ T sigmoid(T x) {
  const T e = exp(-fabs(x));
  return (x >= 0 ? T(1) : e) / (T(1) + e);
}

template <class T>
struct Exp {
  __device__ T operator()(T x) const { return exp(x); }
};
template <class T>
struct Log {
  __device__ T operator()(T x) const { return log(x); }
};
template <class T>
struct Log1p {
  __device__ T operator()(T x) const { return log1p(x); }
};
template <class T>
struct Sqrt {
  __device__ T operator()(T x) const { return sqrt(x); }
};
template <class T>
struct Rsqrt {
  __device__ T operator()(T x) const { return T(1) / sqrt(x); }
};
template <class T>
struct Sin {
  __device__ T operator()(T x) const { return sin(x); }
};
template <class T>
struct Cos {
  __device__ T operator()(T x) const { return cos(x); }
};
template <class T>
struct Tanh {
  __device__ T operator()(T x) const { return tanh(x); }
};
template <class T>
struct Sigmoid {
  __device__ T operator()(T x) const { return sigmoid(x); }
};
template <class T>
struct Erf {
  __device__ T operator()(T x) const { return erf(x); }
};
template <class T>
struct Silu {
  __device__ T operator()(T x) const { return x / (T(1) + exp(-x)); }
};
template <class T>
struct SiluGrad {  // d silu(x)/dx
  __device__ T operator()(T x) const {
    const T s = sigmoid(x);
    return s * (T(1) + x * (T(1) - s));
  }
};
template <class T>
struct Gelu {  // x·Φ(x) = ½·x·erfc(-x/√2): no cancellation in the negative tail
  __device__ T operator()(T x) const { return T(0.5) * x * erfc(-x * T(M_SQRT1_2)); }
};
template <class T>
struct Softplus {  // max(x, 0) + log1p(exp(-|x|)); max as std::max, so NaN stays NaN
  __device__ T operator()(T x) const { return (x < 0 ? T(0) : x) + log1p(exp(-fabs(x))); }
};
template <class T>
struct LeakyRelu {
  T alpha;
  __device__ T operator()(T x) const { return x > 0 ? x : alpha * x; }
};
template <class T>
struct PowScalar {
  T alpha;
  __device__ T operator()(T x) const { return pow(x, alpha); }
};

// ---- binary ops ----

template <class T>
struct Add {
  __device__ T operator()(T x, T y) const { return x + y; }
};
template <class T>
struct AddScaled {
  T alpha;
  __device__ T operator()(T x, T y) const { return x + alpha * y; }
};
template <class T>
struct Sub {
  __device__ T operator()(T x, T y) const { return x - y; }
};
template <class T>
struct Mul {
  __device__ T operator()(T x, T y) const { return x * y; }
};
template <class T>
struct Div {  // float only
  __device__ T operator()(T x, T y) const { return x / y; }
};
template <class T>
struct Pow {  // float only
  __device__ T operator()(T x, T y) const { return pow(x, y); }
};
template <class T>
struct Maximum {  // NaN-propagating, as torch.maximum
  __device__ T operator()(T x, T y) const { return x != x || x > y ? x : y; }
};
template <class T>
struct Minimum {
  __device__ T operator()(T x, T y) const { return x != x || x < y ? x : y; }
};
template <class T>
struct Eq {
  __device__ T operator()(T x, T y) const { return T(x == y); }
};
template <class T>
struct Ne {
  __device__ T operator()(T x, T y) const { return T(x != y); }
};
template <class T>
struct Lt {
  __device__ T operator()(T x, T y) const { return T(x < y); }
};
template <class T>
struct Le {
  __device__ T operator()(T x, T y) const { return T(x <= y); }
};
template <class T>
struct Gt {
  __device__ T operator()(T x, T y) const { return T(x > y); }
};
template <class T>
struct Ge {
  __device__ T operator()(T x, T y) const { return T(x >= y); }
};

// ---- ternary ops and affine ----

template <class T>
struct Where {
  __device__ T operator()(T m, T x, T y) const { return m != T(0) ? x : y; }
};
template <class T>
struct Addcmul {
  T alpha;
  __device__ T operator()(T x, T y, T z) const { return x + alpha * y * z; }
};
template <class T>
struct Addcdiv {
  T alpha;
  __device__ T operator()(T x, T y, T z) const { return x + alpha * y / z; }
};
template <class T>
struct Affine {  // a·s + b·t + c
  __device__ T operator()(T a, T s, T b, T t, T c) const { return a * s + b * t + c; }
};
template <class T>
struct AffineNoBt {  // a·s + c
  __device__ T operator()(T a, T s, T c) const { return a * s + c; }
};

// ---- per-dtype dispatch: the same cases as the CPU backend; others do nothing ----

template <class T>
void unary_typed(UnaryOp op, const Loop<2>& loop, T al) {
  auto run = [&](auto f) { map<T>(loop, f, "cuda unary"); };
  switch (op) {
    case UnaryOp::Neg:
      return run(Neg<T>{});
    case UnaryOp::Abs:
      return run(Abs<T>{});
    case UnaryOp::Sign:
      return run(Sign<T>{});
    case UnaryOp::Square:
      return run(Square<T>{});
    case UnaryOp::Relu:
      return run(Relu<T>{});
    case UnaryOp::ClampMin:
      return run(ClampMin<T>{al});
    case UnaryOp::ClampMax:
      return run(ClampMax<T>{al});
    default:
      break;
  }
  if constexpr (std::is_floating_point_v<T>) {
    switch (op) {
      case UnaryOp::Exp:
        return run(Exp<T>{});
      case UnaryOp::Log:
        return run(Log<T>{});
      case UnaryOp::Log1p:
        return run(Log1p<T>{});
      case UnaryOp::Sqrt:
        return run(Sqrt<T>{});
      case UnaryOp::Rsqrt:
        return run(Rsqrt<T>{});
      case UnaryOp::Sin:
        return run(Sin<T>{});
      case UnaryOp::Cos:
        return run(Cos<T>{});
      case UnaryOp::Tanh:
        return run(Tanh<T>{});
      case UnaryOp::Sigmoid:
        return run(Sigmoid<T>{});
      case UnaryOp::Erf:
        return run(Erf<T>{});
      case UnaryOp::Silu:
        return run(Silu<T>{});
      case UnaryOp::SiluGrad:
        return run(SiluGrad<T>{});
      case UnaryOp::Gelu:
        return run(Gelu<T>{});
      case UnaryOp::Softplus:
        return run(Softplus<T>{});
      case UnaryOp::LeakyRelu:
        return run(LeakyRelu<T>{al});
      case UnaryOp::PowScalar:
        return run(PowScalar<T>{al});
      default:
        break;
    }
  }
}

template <class T>
void binary_typed(BinaryOp op, const Loop<3>& loop, double alpha) {
  auto run = [&](auto f) { map<T>(loop, f, "cuda binary"); };
  switch (op) {
    case BinaryOp::Add:
      if (alpha == 1.0) return run(Add<T>{});
      return run(AddScaled<T>{static_cast<T>(alpha)});
    case BinaryOp::Sub:
      return run(Sub<T>{});
    case BinaryOp::Mul:
      return run(Mul<T>{});
    case BinaryOp::Maximum:
      return run(Maximum<T>{});
    case BinaryOp::Minimum:
      return run(Minimum<T>{});
    case BinaryOp::Eq:
      return run(Eq<T>{});
    case BinaryOp::Ne:
      return run(Ne<T>{});
    case BinaryOp::Lt:
      return run(Lt<T>{});
    case BinaryOp::Le:
      return run(Le<T>{});
    case BinaryOp::Gt:
      return run(Gt<T>{});
    case BinaryOp::Ge:
      return run(Ge<T>{});
    default:
      break;
  }
  if constexpr (std::is_floating_point_v<T>) {
    switch (op) {
      case BinaryOp::Div:
        return run(Div<T>{});
      case BinaryOp::Pow:
        return run(Pow<T>{});
      default:
        break;
    }
  }
}

template <class T>
void ternary_typed(TernaryOp op, const Loop<4>& loop, T al) {
  auto run = [&](auto f) { map<T>(loop, f, "cuda ternary"); };
  switch (op) {
    case TernaryOp::Where:
      return run(Where<T>{});
    case TernaryOp::Addcmul:
      return run(Addcmul<T>{al});
    case TernaryOp::Addcdiv:
      return run(Addcdiv<T>{al});
  }
}

/// The loop over (out, a, s, c) alone: affine's b and t are absent.
Loop<4> without_bt(const Loop<6>& loop) {
  constexpr int kKept[4] = {0, 1, 2, 5};
  Loop<4> kept;
  kept.nd = loop.nd;
  kept.numel = loop.numel;
  for (int d = 0; d < loop.nd; ++d) kept.shape[d] = loop.shape[d];
  for (int k = 0; k < 4; ++k) {
    kept.base[k] = loop.base[kKept[k]];
    for (int d = 0; d < loop.nd; ++d) kept.stride[k][d] = loop.stride[kKept[k]][d];
  }
  return kept;
}

}  // namespace

void fill(const Loop<1>& loop, DType dtype, double value) {
  dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    map<T>(loop, Fill<T>{static_cast<T>(value)}, "cuda fill");
  });
}

void copy(const Loop<2>& loop, DType out_dtype, DType src_dtype) {
  dispatch(out_dtype, [&](auto out_tag) {
    using O = decltype(out_tag);
    dispatch(src_dtype, [&](auto src_tag) {
      using S = decltype(src_tag);
      map<O, S>(loop, Cast<O, S>{}, "cuda copy");
    });
  });
}

void unary(UnaryOp op, const Loop<2>& loop, DType dtype, double alpha) {
  dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    unary_typed<T>(op, loop, static_cast<T>(alpha));
  });
}

void binary(BinaryOp op, const Loop<3>& loop, DType dtype, double alpha) {
  dispatch(dtype, [&](auto tag) { binary_typed<decltype(tag)>(op, loop, alpha); });
}

void ternary(TernaryOp op, const Loop<4>& loop, DType dtype, double alpha) {
  dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    ternary_typed<T>(op, loop, static_cast<T>(alpha));
  });
}

void affine(const Loop<6>& loop, DType dtype, bool has_bt) {
  dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      if (has_bt)
        map<T>(loop, Affine<T>{}, "cuda affine");
      else
        map<T>(without_bt(loop), AffineNoBt<T>{}, "cuda affine");
    }
  });
}

}  // namespace zg::cuda
