#include "tensor/raw.h"

#include <algorithm>

namespace zg::raw {

Tensor make(const Shape& shape, DType dtype, Device device) {
  for (int64_t s : shape) ZG_CHECK(s >= 0, "empty: negative size in shape {}", shape_str(shape));
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(numel_of(shape) * element_size(dtype), device);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor as_strided(const Tensor& t, const Shape& shape, const Shape& strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = t.impl().storage;
  impl->shape = shape;
  impl->strides = strides;
  impl->offset = offset;
  impl->dtype = t.dtype();
  return Tensor(std::move(impl));
}

Tensor broadcast_to(const Tensor& t, const Shape& shape, const char* op) {
  if (t.shape() == shape) return t;
  int64_t n = static_cast<int64_t>(shape.size()), lead = n - t.dim();
  ZG_CHECK(lead >= 0, "{}: cannot broadcast shape {} to {}", op, shape_str(t.shape()),
           shape_str(shape));
  Shape strides(n, 0);
  for (int64_t i = 0; i < t.dim(); ++i) {
    int64_t s = t.shape()[i];
    ZG_CHECK(s == shape[lead + i] || s == 1, "{}: cannot broadcast shape {} to {}", op,
             shape_str(t.shape()), shape_str(shape));
    strides[lead + i] = s == 1 && shape[lead + i] != 1 ? 0 : t.strides()[i];
  }
  return as_strided(t, shape, strides, t.storage_offset());
}

char* data_bytes(const Tensor& t) {
  return static_cast<char*>(t.impl().storage->data) +
         t.storage_offset() * static_cast<int64_t>(element_size(t.dtype()));
}

// Data crosses devices only as contiguous bytes through host memory (Backend::copy_to_host,
// copy_from_host). So the source is first made contiguous, broadcast and in out's dtype on its
// own device, and a strided `out` receives the bytes through a contiguous staging copy.
static void copy_across_devices(const Tensor& out, const Tensor& src, const char* op) {
  Tensor packed = make(out.shape(), out.dtype(), src.device());
  backend_for(src.device()).copy(packed, broadcast_to(src, out.shape(), op));
  Tensor landing = out.is_contiguous() ? out : make(out.shape(), out.dtype(), out.device());
  const size_t nbytes = out.numel() * element_size(out.dtype());
  if (nbytes > 0) {
    if (src.device() == kCPU) {
      backend_for(out.device()).copy_from_host(data_bytes(landing), data_bytes(packed), nbytes);
    } else if (out.device() == kCPU) {
      backend_for(src.device()).copy_to_host(data_bytes(landing), data_bytes(packed), nbytes);
    } else {
      Tensor host = make(out.shape(), out.dtype(), kCPU);
      backend_for(src.device()).copy_to_host(data_bytes(host), data_bytes(packed), nbytes);
      backend_for(out.device()).copy_from_host(data_bytes(landing), data_bytes(host), nbytes);
    }
  }
  if (!landing.is_same(out)) backend_for(out.device()).copy(out, landing);
}

void copy_into(const Tensor& out, const Tensor& src, const char* op) {
  if (out.device() != src.device()) return copy_across_devices(out, src, op);
  backend_for(out.device()).copy(out, broadcast_to(src, out.shape(), op));
}

void check_same_device(const Tensor& a, const Tensor& b, const char* op) {
  ZG_CHECK(a.device() == b.device(), "{}: tensors on different devices ({} and {})", op,
           device_name(a.device()), device_name(b.device()));
}

Tensor contiguous_copy(const Tensor& t) {
  Tensor out = make(t.shape(), t.dtype(), t.device());
  backend_for(t.device()).copy(out, t);
  return out;
}

Tensor contiguous(const Tensor& t) { return t.is_contiguous() ? t : contiguous_copy(t); }

Tensor cast(const Tensor& t, DType dtype) {
  if (t.dtype() == dtype) return t;
  Tensor out = make(t.shape(), dtype, t.device());
  backend_for(t.device()).copy(out, t);
  return out;
}

void check_same_dtype(const Tensor& a, const Tensor& b, const char* op) {
  ZG_CHECK(
      a.dtype() == b.dtype(), "{}: dtype mismatch, {} {} vs {} {} (convert one with .to(dtype))",
      op, dtype_name(a.dtype()), shape_str(a.shape()), dtype_name(b.dtype()), shape_str(b.shape()));
  check_same_device(a, b, op);
}

void check_floating(const Tensor& a, const char* op) {
  ZG_CHECK(a.is_floating_point(), "{}: expected a floating-point tensor, got {} {}", op,
           dtype_name(a.dtype()), shape_str(a.shape()));
}

static bool int_ok(UnaryOp op) {
  return op == UnaryOp::Neg || op == UnaryOp::Abs || op == UnaryOp::Sign || op == UnaryOp::Square ||
         op == UnaryOp::Relu || op == UnaryOp::ClampMin || op == UnaryOp::ClampMax;
}

Tensor unary(UnaryOp op, const Tensor& a, double alpha, const char* name) {
  if (!int_ok(op)) check_floating(a, name);
  Tensor out = make(a.shape(), a.dtype(), a.device());
  backend_for(a.device()).unary(op, out, a, alpha);
  return out;
}

static bool int_ok(BinaryOp op) { return op != BinaryOp::Div && op != BinaryOp::Pow; }

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b, double alpha, const char* name) {
  check_same_dtype(a, b, name);
  if (!int_ok(op)) check_floating(a, name);
  Shape shape = broadcast_shapes(a.shape(), b.shape(), name);
  Tensor out = make(shape, a.dtype(), a.device());
  backend_for(a.device())
      .binary(op, out, broadcast_to(a, shape, name), broadcast_to(b, shape, name), alpha);
  return out;
}

Tensor binary(BinaryOp op, const Tensor& a, double b, const char* name) {
  return binary(op, a, scalar_tensor(b, TensorOptions(a.dtype()).device(a.device())), 1.0, name);
}

Tensor ternary(TernaryOp op, const Tensor& a, const Tensor& b, const Tensor& c, double alpha,
               const char* name) {
  if (op != TernaryOp::Where) check_same_dtype(a, b, name);
  check_same_dtype(b, c, name);
  ZG_CHECK(a.device() == b.device(), "{}: tensors on different devices", name);
  Shape shape = broadcast_shapes(broadcast_shapes(a.shape(), b.shape(), name), c.shape(), name);
  Tensor out = make(shape, b.dtype(), b.device());
  // The kernel sees one dtype: test != 0 in the condition's own dtype before converting,
  // so a float condition such as 0.5 stays true for int64 values.
  Tensor cond = a.dtype() == b.dtype() ? a : cast(binary(BinaryOp::Ne, a, 0.0, name), b.dtype());
  backend_for(b.device())
      .ternary(op, out, broadcast_to(cond, shape, name), broadcast_to(b, shape, name),
               broadcast_to(c, shape, name), alpha);
  return out;
}

std::vector<bool> reduced_dims(const Shape& dims, int64_t ndim, const char* op) {
  std::vector<bool> reduced(ndim, dims.empty());
  for (int64_t d : dims) {
    int64_t w = wrap_dim(d, ndim, op);
    if (ndim == 0) continue;
    ZG_CHECK(!reduced[w], "{}: dim {} appears twice in {}", op, d, shape_str(dims));
    reduced[w] = true;
  }
  return reduced;
}

Shape reduced_shape(const Shape& shape, const std::vector<bool>& reduced, bool keepdim) {
  Shape out;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (!reduced[i])
      out.push_back(shape[i]);
    else if (keepdim)
      out.push_back(1);
  }
  return out;
}

Tensor reduce(ReduceOp op, const Tensor& in, const Shape& dims, bool keepdim, const char* name) {
  std::vector<bool> reduced = reduced_dims(dims, in.dim(), name);
  if (op != ReduceOp::Sum)
    for (size_t i = 0; i < reduced.size(); ++i)
      ZG_CHECK(!reduced[i] || in.shape()[i] > 0, "{}: cannot reduce an empty dim {} of shape {}",
               name, i, shape_str(in.shape()));
  Tensor out = make(reduced_shape(in.shape(), reduced, true), in.dtype(), in.device());
  backend_for(in.device()).reduce(op, out, in, reduced);
  if (keepdim) return out;
  return as_strided(out, reduced_shape(in.shape(), reduced, false),
                    contiguous_strides(reduced_shape(in.shape(), reduced, false)), 0);
}

std::pair<Tensor, Tensor> arg_reduce(ReduceOp op, const Tensor& in, int64_t dim, bool keepdim,
                                     const char* name) {
  int64_t d = wrap_dim(dim, in.dim(), name);
  Shape kept = in.shape();
  if (in.dim() > 0) {
    ZG_CHECK(kept[d] > 0, "{}: cannot reduce an empty dim {} of shape {}", name, d,
             shape_str(in.shape()));
    kept[d] = 1;
  }
  Tensor values = make(kept, in.dtype(), in.device());
  Tensor indices = make(kept, kInt64, in.device());
  Tensor in_nd = in.dim() == 0 ? as_strided(in, {1}, {1}, in.storage_offset()) : in;
  Tensor v_nd = in.dim() == 0 ? as_strided(values, {1}, {1}, 0) : values;
  Tensor i_nd = in.dim() == 0 ? as_strided(indices, {1}, {1}, 0) : indices;
  backend_for(in.device()).arg_reduce(op, v_nd, i_nd, in_nd, in.dim() == 0 ? 0 : d);
  if (!keepdim && in.dim() > 0) {
    Shape s = in.shape();
    s.erase(s.begin() + d);
    values = as_strided(values, s, contiguous_strides(s), 0);
    indices = as_strided(indices, s, contiguous_strides(s), 0);
  }
  return {values, indices};
}

Tensor matmul_same_batch(const Tensor& a, const Tensor& b) {
  check_same_dtype(a, b, "matmul");
  check_floating(a, "matmul");
  ZG_CHECK(a.dim() >= 2 && b.dim() == a.dim(),
           "matmul: expected operands of equal rank >= 2, got {} and {}", shape_str(a.shape()),
           shape_str(b.shape()));
  int64_t n = a.dim();
  ZG_CHECK(a.size(-1) == b.size(-2) &&
               std::equal(a.shape().begin(), a.shape().end() - 2, b.shape().begin()),
           "matmul: shapes {} and {} cannot be multiplied", shape_str(a.shape()),
           shape_str(b.shape()));
  Shape shape = a.shape();
  shape[n - 1] = b.shape()[n - 1];
  Tensor out = make(shape, a.dtype(), a.device());
  backend_for(a.device()).matmul(out, a, b);
  return out;
}

Tensor softmax(const Tensor& in, int64_t dim, bool log) {
  const char* name = log ? "log_softmax" : "softmax";
  check_floating(in, name);
  int64_t d = wrap_dim(dim, in.dim(), name);
  Tensor x = contiguous(in);
  Tensor out = make(in.shape(), in.dtype(), in.device());
  if (in.dim() == 0) {
    backend_for(in.device())
        .softmax(as_strided(out, {1}, {1}, 0), as_strided(x, {1}, {1}, x.storage_offset()), 0, log);
  } else {
    backend_for(in.device()).softmax(out, x, d, log);
  }
  return out;
}

Tensor moments(const Tensor& a, const Tensor& b, const Shape& dims, const char* name) {
  check_same_dtype(a, b, name);
  check_floating(a, name);
  ZG_CHECK(a.shape() == b.shape(), "{}: operands must have the same shape, got {} and {}", name,
           shape_str(a.shape()), shape_str(b.shape()));
  std::vector<bool> reduced = reduced_dims(dims, a.dim(), name);
  for (size_t i = 0; i < reduced.size(); ++i)
    ZG_CHECK(!reduced[i] || a.shape()[i] > 0, "{}: cannot take moments over the empty dim {} of {}",
             name, i, shape_str(a.shape()));
  Shape kept = reduced_shape(a.shape(), reduced, true);
  Shape packed = kept;
  packed.insert(packed.begin(), 3);
  Tensor out = make(packed, a.dtype(), a.device());
  const Shape strides = contiguous_strides(kept);
  const int64_t n = numel_of(kept);
  auto row = [&](int64_t i) { return as_strided(out, kept, strides, i * n); };
  backend_for(a.device()).moments(row(0), row(1), row(2), a, b, reduced);
  return out;
}

Tensor affine(const Tensor& a, const Tensor& s, const Tensor& b, const Tensor& t, const Tensor& c,
              const char* name) {
  ZG_CHECK(b.defined() == t.defined(), "{}: b and t must be given together", name);
  check_floating(a, name);
  for (const Tensor* x : {&s, &b, &t, &c})
    if (x->defined()) check_same_dtype(a, *x, name);
  Shape shape = broadcast_shapes(broadcast_shapes(a.shape(), s.shape(), name), c.shape(), name);
  if (b.defined())
    shape = broadcast_shapes(broadcast_shapes(shape, b.shape(), name), t.shape(), name);
  Tensor out = make(shape, a.dtype(), a.device());
  auto bc = [&](const Tensor& x) { return x.defined() ? broadcast_to(x, shape, name) : x; };
  backend_for(a.device()).affine(out, bc(a), bc(s), bc(b), bc(t), bc(c));
  return out;
}

void check_index(const Tensor& index, int64_t size, const char* op) {
  ZG_CHECK(index.dtype() == kInt64, "{}: index must be int64, got {} {}", op,
           dtype_name(index.dtype()), shape_str(index.shape()));
  if (index.numel() == 0) return;
  int64_t lo = reduce(ReduceOp::Min, index, {}, false, op).item<int64_t>();
  int64_t hi = reduce(ReduceOp::Max, index, {}, false, op).item<int64_t>();
  ZG_CHECK(lo >= 0 && hi < size,
           "{}: index out of range: values span [{}, {}] for a dim of size {}", op, lo, hi, size);
}

// A 0-d tensor as a one-element 1-d view.
static Tensor as_1d(const Tensor& t) { return as_strided(t, {1}, {1}, t.storage_offset()); }

static void check_gather_shapes(const Tensor& self, int64_t d, const Tensor& index,
                                const char* op) {
  check_same_device(self, index, op);
  ZG_CHECK(index.dim() == self.dim(), "{}: index {} must have the same rank as input {}", op,
           shape_str(index.shape()), shape_str(self.shape()));
  for (int64_t i = 0; i < self.dim(); ++i)
    ZG_CHECK(i == d || index.size(i) <= self.size(i), "{}: index {} larger than input {} at dim {}",
             op, shape_str(index.shape()), shape_str(self.shape()), i);
  check_index(index, self.dim() == 0 ? 1 : self.size(d), op);
}

Tensor gather(const Tensor& in, int64_t dim, const Tensor& index) {
  int64_t d = wrap_dim(dim, in.dim(), "gather");
  check_gather_shapes(in, d, index, "gather");
  Tensor out = make(index.shape(), in.dtype(), in.device());
  if (in.dim() == 0)  // the kernel indexes strides[d]: give it 1-element 1-d views
    backend_for(in.device()).gather(as_1d(out), as_1d(in), 0, as_1d(index));
  else
    backend_for(in.device()).gather(out, in, d, index);
  return out;
}

Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  int64_t d = wrap_dim(dim, self.dim(), "scatter_add");
  check_gather_shapes(self, d, index, "scatter_add");
  check_same_dtype(self, src, "scatter_add");
  // Stricter than torch (which allows a smaller index): every src element is scattered.
  ZG_CHECK(src.shape() == index.shape(),
           "scatter_add: src {} and index {} must have the same shape", shape_str(src.shape()),
           shape_str(index.shape()));
  Tensor out = contiguous_copy(self);
  if (self.dim() == 0)
    backend_for(self.device()).scatter_add(as_1d(out), 0, as_1d(index), as_1d(src));
  else
    backend_for(self.device()).scatter_add(out, d, index, src);
  return out;
}

}  // namespace zg::raw
