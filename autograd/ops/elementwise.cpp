// Elementwise ops, each forward beside its derivative.
//
// Masks in backward formulas (relu's x > 0, clamp's range, maximum's winner) are
// constants: computed with raw ops, they record nothing, as their derivative is zero.
#include <cmath>

#include "autograd/node.h"
#include "tensor/raw.h"

namespace zg {

namespace {

using Grads = std::vector<Tensor>;

Tensor mask(BinaryOp cmp, const Tensor& x, double v) { return raw::binary(cmp, x, v, "mask"); }

// Unary op whose derivative is grad · dydx(x, y).
template <class D>
Tensor unary(UnaryOp op, const char* name, const char* node, const Tensor& x, double alpha, D dydx,
             bool saves_output = false) {
  Tensor y = raw::unary(op, x, alpha, name);
  return record(
      y, node, {x},
      [x, dydx, saves_output](const Tensor& g, Node& self) -> Grads {
        return {g * dydx(x, saves_output ? self.output() : Tensor())};
      },
      saves_output);
}

}  // namespace

// ---- unary ---------------------------------------------------------------------------------
Tensor Tensor::neg() const {
  return record(raw::unary(UnaryOp::Neg, *this, 0, "neg"), "NegBackward", {*this},
                [](const Tensor& g, Node&) -> Grads { return {-g}; });
}
Tensor Tensor::abs() const {
  return unary(UnaryOp::Abs, "abs", "AbsBackward", *this, 0,
               [](const Tensor& x, const Tensor&) { return x.sign(); });
}
Tensor Tensor::sign() const { return raw::unary(UnaryOp::Sign, *this, 0, "sign"); }
Tensor Tensor::exp() const {
  return unary(
      UnaryOp::Exp, "exp", "ExpBackward", *this, 0,
      [](const Tensor&, const Tensor& y) { return y; }, true);
}
Tensor Tensor::log() const {
  return unary(UnaryOp::Log, "log", "LogBackward", *this, 0,
               [](const Tensor& x, const Tensor&) { return 1.0 / x; });
}
Tensor Tensor::log1p() const {
  return unary(UnaryOp::Log1p, "log1p", "Log1pBackward", *this, 0,
               [](const Tensor& x, const Tensor&) { return 1.0 / (x + 1.0); });
}
Tensor Tensor::sqrt() const {
  return unary(
      UnaryOp::Sqrt, "sqrt", "SqrtBackward", *this, 0,
      [](const Tensor&, const Tensor& y) { return 0.5 / y; }, true);
}
Tensor Tensor::rsqrt() const {  // d x^{-1/2} = -1/2 x^{-3/2} = -1/2 y^3
  return unary(
      UnaryOp::Rsqrt, "rsqrt", "RsqrtBackward", *this, 0,
      [](const Tensor&, const Tensor& y) { return -0.5 * y * y * y; }, true);
}
Tensor Tensor::square() const {
  return unary(UnaryOp::Square, "square", "SquareBackward", *this, 0,
               [](const Tensor& x, const Tensor&) { return 2.0 * x; });
}
Tensor Tensor::sin() const {
  return unary(UnaryOp::Sin, "sin", "SinBackward", *this, 0,
               [](const Tensor& x, const Tensor&) { return x.cos(); });
}
Tensor Tensor::cos() const {
  return unary(UnaryOp::Cos, "cos", "CosBackward", *this, 0,
               [](const Tensor& x, const Tensor&) { return -x.sin(); });
}
Tensor Tensor::tanh() const {
  return unary(
      UnaryOp::Tanh, "tanh", "TanhBackward", *this, 0,
      [](const Tensor&, const Tensor& y) { return 1.0 - y * y; }, true);
}
Tensor Tensor::sigmoid() const {
  return unary(
      UnaryOp::Sigmoid, "sigmoid", "SigmoidBackward", *this, 0,
      [](const Tensor&, const Tensor& y) { return y * (1.0 - y); }, true);
}
Tensor Tensor::erf() const {  // d erf = 2/sqrt(pi) exp(-x^2)
  return unary(UnaryOp::Erf, "erf", "ErfBackward", *this, 0,
               [](const Tensor& x, const Tensor&) { return M_2_SQRTPI * (-x.square()).exp(); });
}
Tensor Tensor::relu() const {
  return unary(UnaryOp::Relu, "relu", "ReluBackward", *this, 0,
               [](const Tensor& x, const Tensor&) { return mask(BinaryOp::Gt, x, 0); });
}
Tensor Tensor::leaky_relu(double slope) const {
  return unary(UnaryOp::LeakyRelu, "leaky_relu", "LeakyReluBackward", *this, slope,
               [slope](const Tensor& x, const Tensor&) {
                 Tensor pos = mask(BinaryOp::Gt, x, 0);
                 return pos + (1.0 - pos) * slope;
               });
}
// silu'(x) = s·(1 + x·(1 − s)) with s = sigmoid(x), one kernel instead of five passes (SiLU
// sits after every norm of a UNet); its own derivative, for second order, is composed:
// silu''(x) = s·(1 − s)·(2 + x·(1 − 2s)).
static Tensor silu_derivative(const Tensor& x) {
  return unary(UnaryOp::SiluGrad, "silu", "SiluDerivativeBackward", x, 0,
               [](const Tensor& x, const Tensor&) {
                 Tensor s = x.sigmoid();
                 return s * (1.0 - s) * (2.0 + x * (1.0 - 2.0 * s));
               });
}
Tensor Tensor::silu() const {
  return unary(UnaryOp::Silu, "silu", "SiluBackward", *this, 0,
               [](const Tensor& x, const Tensor&) { return silu_derivative(x); });
}
Tensor Tensor::gelu() const {  // d x·Φ(x) = Φ(x) + x·φ(x)
  return unary(UnaryOp::Gelu, "gelu", "GeluBackward", *this, 0, [](const Tensor& x, const Tensor&) {
    Tensor cdf = 0.5 * (1.0 + (x * M_SQRT1_2).erf());
    return cdf + x * (-0.5 * x.square()).exp() * (0.5 * M_2_SQRTPI * M_SQRT1_2);
  });
}
Tensor Tensor::softplus() const {
  return unary(UnaryOp::Softplus, "softplus", "SoftplusBackward", *this, 0,
               [](const Tensor& x, const Tensor&) { return x.sigmoid(); });
}
Tensor Tensor::clamp(std::optional<double> lo, std::optional<double> hi) const {
  Tensor y = *this;
  if (lo) y = raw::unary(UnaryOp::ClampMin, y, *lo, "clamp");
  if (hi) y = raw::unary(UnaryOp::ClampMax, y, *hi, "clamp");
  if (!lo && !hi) y = raw::contiguous_copy(y);
  Tensor x = *this;
  return record(y, "ClampBackward", {x}, [x, lo, hi](const Tensor& g, Node&) -> Grads {
    Tensor inside = ones_like(x);  // torch: the gradient passes at the bounds themselves
    if (lo) inside = inside * mask(BinaryOp::Ge, x, *lo);
    if (hi) inside = inside * mask(BinaryOp::Le, x, *hi);
    return {g * inside};
  });
}
Tensor Tensor::pow(double p) const {
  Tensor x = *this;
  return record(raw::unary(UnaryOp::PowScalar, x, p, "pow"), "PowBackward", {x},
                [x, p](const Tensor& g, Node&) -> Grads {
                  if (p == 0) return {zeros_like(g)};
                  return {g * p * x.pow(p - 1)};
                });
}

// ---- binary --------------------------------------------------------------------------------
Tensor add(const Tensor& a, const Tensor& b, double alpha) {
  return record(raw::binary(BinaryOp::Add, a, b, alpha, "add"), "AddBackward", {a, b},
                [sa = a.shape(), sb = b.shape(), alpha](const Tensor& g, Node& self) -> Grads {
                  return {
                      self.needs_grad(0) ? g.sum_to_size(sa) : Tensor(),
                      self.needs_grad(1) ? (alpha == 1 ? g : g * alpha).sum_to_size(sb) : Tensor()};
                });
}
Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b, 1.0); }
Tensor operator-(const Tensor& a, const Tensor& b) {
  return record(raw::binary(BinaryOp::Sub, a, b, 1.0, "sub"), "SubBackward", {a, b},
                [sa = a.shape(), sb = b.shape()](const Tensor& g, Node& self) -> Grads {
                  return {self.needs_grad(0) ? g.sum_to_size(sa) : Tensor(),
                          self.needs_grad(1) ? (-g).sum_to_size(sb) : Tensor()};
                });
}
Tensor operator*(const Tensor& a, const Tensor& b) {
  return record(raw::binary(BinaryOp::Mul, a, b, 1.0, "mul"), "MulBackward", {a, b},
                [a, b](const Tensor& g, Node& self) -> Grads {
                  return {self.needs_grad(0) ? (g * b).sum_to_size(a.shape()) : Tensor(),
                          self.needs_grad(1) ? (g * a).sum_to_size(b.shape()) : Tensor()};
                });
}
Tensor operator/(const Tensor& a, const Tensor& b) {
  return record(raw::binary(BinaryOp::Div, a, b, 1.0, "div"), "DivBackward", {a, b},
                [a, b](const Tensor& g, Node& self) -> Grads {
                  return {
                      self.needs_grad(0) ? (g / b).sum_to_size(a.shape()) : Tensor(),
                      self.needs_grad(1) ? (-g * a / b.square()).sum_to_size(b.shape()) : Tensor()};
                });
}
Tensor pow(const Tensor& a, const Tensor& b) {
  return record(raw::binary(BinaryOp::Pow, a, b, 1.0, "pow"), "PowBackward", {a, b},
                [a, b](const Tensor& g, Node& self) -> Grads {
                  Tensor ga, gb;
                  if (self.needs_grad(0)) ga = (g * b * pow(a, b - 1.0)).sum_to_size(a.shape());
                  if (self.needs_grad(1)) {  // d a^b / db = a^b log a, taken as 0 where a = 0
                    Tensor safe = where(mask(BinaryOp::Eq, a, 0), ones_like(a), a);
                    gb = where(mask(BinaryOp::Eq, a, 0), zeros_like(g), g * pow(a, b) * safe.log());
                    gb = gb.sum_to_size(b.shape());
                  }
                  return {ga, gb};
                });
}
Tensor pow(const Tensor& a, double b) { return a.pow(b); }
Tensor Tensor::pow(const Tensor& e) const { return zg::pow(*this, e); }

static Tensor extremum(BinaryOp op, const char* name, const Tensor& a, const Tensor& b) {
  return record(
      raw::binary(op, a, b, 1.0, name), name, {a, b}, [a, b, op](const Tensor& g, Node&) -> Grads {
        // The winner takes the gradient; ties split it, as torch does.
        Tensor wins =
            raw::binary(op == BinaryOp::Maximum ? BinaryOp::Gt : BinaryOp::Lt, a, b, 1.0, "mask");
        Tensor share = wins + 0.5 * raw::binary(BinaryOp::Eq, a, b, 1.0, "mask");
        return {(g * share).sum_to_size(a.shape()), (g * (1.0 - share)).sum_to_size(b.shape())};
      });
}
Tensor maximum(const Tensor& a, const Tensor& b) {
  return extremum(BinaryOp::Maximum, "maximum", a, b);
}
Tensor minimum(const Tensor& a, const Tensor& b) {
  return extremum(BinaryOp::Minimum, "minimum", a, b);
}
Tensor Tensor::maximum(const Tensor& o) const { return zg::maximum(*this, o); }
Tensor Tensor::minimum(const Tensor& o) const { return zg::minimum(*this, o); }

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  return record(raw::ternary(TernaryOp::Where, cond, a, b, 0, "where"), "WhereBackward", {a, b},
                [cond, sa = a.shape(), sb = b.shape()](const Tensor& g, Node& self) -> Grads {
                  Tensor zero = zeros({}, g.options());
                  return {self.needs_grad(0) ? where(cond, g, zero).sum_to_size(sa) : Tensor(),
                          self.needs_grad(1) ? where(cond, zero, g).sum_to_size(sb) : Tensor()};
                },
                false, {cond});
}
Tensor Tensor::masked_fill(const Tensor& m, double value) const {
  return where(m, scalar_tensor(value, options()), *this);
}

// ---- scalar operands and comparisons ------------------------------------------------------
static Tensor scalar_like(double v, const Tensor& t) {
  return scalar_tensor(v, TensorOptions(t.dtype()).device(t.device()));
}
Tensor operator+(const Tensor& a, double b) { return a + scalar_like(b, a); }
Tensor operator-(const Tensor& a, double b) { return a - scalar_like(b, a); }
Tensor operator*(const Tensor& a, double b) { return a * scalar_like(b, a); }
Tensor operator/(const Tensor& a, double b) { return a / scalar_like(b, a); }
Tensor operator+(double a, const Tensor& b) { return scalar_like(a, b) + b; }
Tensor operator-(double a, const Tensor& b) { return scalar_like(a, b) - b; }
Tensor operator*(double a, const Tensor& b) { return scalar_like(a, b) * b; }
Tensor operator/(double a, const Tensor& b) { return scalar_like(a, b) / b; }
Tensor operator-(const Tensor& a) { return a.neg(); }

Tensor Tensor::eq(const Tensor& o) const { return raw::binary(BinaryOp::Eq, *this, o, 1, "eq"); }
Tensor Tensor::ne(const Tensor& o) const { return raw::binary(BinaryOp::Ne, *this, o, 1, "ne"); }
Tensor Tensor::lt(const Tensor& o) const { return raw::binary(BinaryOp::Lt, *this, o, 1, "lt"); }
Tensor Tensor::le(const Tensor& o) const { return raw::binary(BinaryOp::Le, *this, o, 1, "le"); }
Tensor Tensor::gt(const Tensor& o) const { return raw::binary(BinaryOp::Gt, *this, o, 1, "gt"); }
Tensor Tensor::ge(const Tensor& o) const { return raw::binary(BinaryOp::Ge, *this, o, 1, "ge"); }
Tensor Tensor::eq(double v) const { return raw::binary(BinaryOp::Eq, *this, v, "eq"); }
Tensor Tensor::ne(double v) const { return raw::binary(BinaryOp::Ne, *this, v, "ne"); }
Tensor Tensor::lt(double v) const { return raw::binary(BinaryOp::Lt, *this, v, "lt"); }
Tensor Tensor::le(double v) const { return raw::binary(BinaryOp::Le, *this, v, "le"); }
Tensor Tensor::gt(double v) const { return raw::binary(BinaryOp::Gt, *this, v, "gt"); }
Tensor Tensor::ge(double v) const { return raw::binary(BinaryOp::Ge, *this, v, "ge"); }

}  // namespace zg
