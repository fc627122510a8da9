// Tensor factories: fresh tensors from sizes, ranges, values or a random stream.
#include <cmath>

#include "tensor/generator.h"
#include "tensor/raw.h"

namespace zg {

static Tensor finish(Tensor t, const TensorOptions& opts) {
  if (opts.requires_grad_) t.requires_grad_(true);
  return t;
}

Tensor empty(const Shape& shape, TensorOptions opts) {
  return finish(raw::make(shape, opts.dtype_, opts.device_), opts);
}

Tensor full(const Shape& shape, double value, TensorOptions opts) {
  Tensor t = raw::make(shape, opts.dtype_, opts.device_);
  backend_for(opts.device_).fill(t, value);
  return finish(t, opts);
}
Tensor zeros(const Shape& shape, TensorOptions opts) { return full(shape, 0.0, opts); }
Tensor ones(const Shape& shape, TensorOptions opts) { return full(shape, 1.0, opts); }
Tensor scalar_tensor(double value, TensorOptions opts) { return full({}, value, opts); }

template <class T>
Tensor from_vector(const std::vector<T>& values, Shape shape) {
  if (shape.empty()) shape = {static_cast<int64_t>(values.size())};
  ZG_CHECK(numel_of(shape) == static_cast<int64_t>(values.size()),
           "from_vector: {} values do not fill shape {}", values.size(), shape_str(shape));
  Tensor t = raw::make(shape, dtype_of<T>(), kCPU);
  std::copy(values.begin(), values.end(), t.data_ptr<T>());
  return t;
}
template Tensor from_vector<float>(const std::vector<float>&, Shape);
template Tensor from_vector<double>(const std::vector<double>&, Shape);
template Tensor from_vector<int64_t>(const std::vector<int64_t>&, Shape);

Tensor tensor(std::initializer_list<double> values, TensorOptions opts) {
  return finish(from_vector(std::vector<double>(values)).to(opts.dtype_).to(opts.device_), opts);
}

Tensor arange(double end, TensorOptions opts) { return arange(0.0, end, 1.0, opts); }

Tensor arange(double start, double end, double step, TensorOptions opts) {
  ZG_CHECK(step != 0 && std::isfinite(start) && std::isfinite(end),
           "arange: need finite bounds and a non-zero step (got {}, {}, {})", start, end, step);
  double count = std::ceil((end - start) / step);
  ZG_CHECK(count < 0x1p62, "arange: [{}, {}) with step {} has too many elements", start, end,
           step);
  int64_t n = std::max<int64_t>(0, static_cast<int64_t>(count));
  std::vector<double> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = start + step * static_cast<double>(i);
  return finish(from_vector(v).to(opts.dtype_).to(opts.device_), opts);
}

Tensor linspace(double start, double end, int64_t steps, TensorOptions opts) {
  ZG_CHECK(steps >= 0, "linspace: steps must be >= 0, got {}", steps);
  std::vector<double> v(steps);
  for (int64_t i = 0; i < steps; ++i)
    v[i] = steps == 1 ? start : start + (end - start) * static_cast<double>(i) / (steps - 1);
  return finish(from_vector(v).to(opts.dtype_).to(opts.device_), opts);
}

Tensor eye(int64_t n, TensorOptions opts) {
  Tensor t = zeros({n, n}, opts.dtype_);
  Tensor diag = raw::as_strided(t, {n}, {n + 1}, 0);
  backend_for(kCPU).fill(diag, 1.0);
  return finish(t.to(opts.device_), opts);
}

// A fresh tensor filled from gen's stream by a backend random primitive.
template <class Fill>
static Tensor random(const Shape& shape, Generator& gen, TensorOptions opts, const char* op,
                     Fill fill) {
  ZG_CHECK(is_floating(opts.dtype_), "{}: expected a floating-point dtype, got {}", op,
           dtype_name(opts.dtype_));
  Tensor t = raw::make(shape, opts.dtype_, opts.device_);
  fill(backend_for(opts.device_), t, gen.seed(), gen.advance(t.numel()));
  return finish(t, opts);
}

Tensor rand(const Shape& shape, Generator& gen, TensorOptions opts) {
  return random(shape, gen, opts, "rand", [](Backend& b, const Tensor& t, uint64_t s, uint64_t o) {
    b.uniform(t, s, o, 0.0, 1.0);
  });
}
Tensor rand(const Shape& shape, TensorOptions opts) {
  return rand(shape, default_generator(), opts);
}

Tensor randn(const Shape& shape, Generator& gen, TensorOptions opts) {
  return random(shape, gen, opts, "randn", [](Backend& b, const Tensor& t, uint64_t s, uint64_t o) {
    b.normal(t, s, o, 0.0, 1.0);
  });
}
Tensor randn(const Shape& shape, TensorOptions opts) {
  return randn(shape, default_generator(), opts);
}

Tensor randint(int64_t low, int64_t high, const Shape& shape, Generator& gen,
               TensorOptions opts) {
  ZG_CHECK(low < high, "randint: expected low < high, got [{}, {})", low, high);
  Tensor u = raw::make(shape, kFloat64, opts.device_);
  backend_for(opts.device_).uniform(u, gen.seed(), gen.advance(u.numel()), 0.0, 1.0);
  // floor(low + (high - low)·u), u in [0, 1); clamp guards the rounding at the top.
  Tensor v = raw::unary(UnaryOp::ClampMax, raw::binary(BinaryOp::Mul, u, double(high - low), "randint"),
                        std::nextafter(double(high - low), 0.0), "randint");
  std::vector<double> d = v.to_vector<double>();
  std::vector<int64_t> out(d.size());
  for (size_t i = 0; i < d.size(); ++i) out[i] = low + static_cast<int64_t>(std::floor(d[i]));
  Tensor t = from_vector(out, {static_cast<int64_t>(out.size())});
  t = raw::as_strided(t, shape, contiguous_strides(shape), 0);
  return finish(t.to(opts.dtype_).to(opts.device_), opts);
}
Tensor randint(int64_t low, int64_t high, const Shape& shape, TensorOptions opts) {
  return randint(low, high, shape, default_generator(), opts);
}

Tensor empty_like(const Tensor& t) { return empty(t.shape(), TensorOptions(t.dtype()).device(t.device())); }
Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), TensorOptions(t.dtype()).device(t.device())); }
Tensor ones_like(const Tensor& t) { return ones(t.shape(), TensorOptions(t.dtype()).device(t.device())); }
Tensor full_like(const Tensor& t, double v) {
  return full(t.shape(), v, TensorOptions(t.dtype()).device(t.device()));
}
Tensor rand_like(const Tensor& t) { return rand(t.shape(), TensorOptions(t.dtype()).device(t.device())); }
Tensor randn_like(const Tensor& t) { return randn(t.shape(), TensorOptions(t.dtype()).device(t.device())); }

}  // namespace zg
