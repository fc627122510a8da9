// Views and copies: reshape, transpose, expand, narrow, ... and cat/stack.
// A view's backward puts the gradient back into the input's geometry.
#include <numeric>
#include <optional>

#include "autograd/node.h"
#include "tensor/raw.h"

namespace zg {

using Grads = std::vector<Tensor>;

namespace {

Shape infer_shape(Shape shape, int64_t numel, const char* op, const Shape& from) {
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      ZG_CHECK(infer < 0, "{}: only one dim can be -1 in {}", op, shape_str(shape));
      infer = static_cast<int64_t>(i);
    } else {
      ZG_CHECK(shape[i] >= 0, "{}: invalid size in {}", op, shape_str(shape));
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    ZG_CHECK(known != 0 && numel % known == 0, "{}: cannot view {} as {}", op, shape_str(from),
             shape_str(shape));
    shape[infer] = numel / known;
  }
  ZG_CHECK(numel_of(shape) == numel, "{}: shape {} is invalid for a tensor {} of {} elements", op,
           shape_str(shape), shape_str(from), numel);
  return shape;
}

// Strides that view `t` as `shape` without copying, if any (PyTorch's computeStride).
std::optional<Shape> view_strides(const Tensor& t, const Shape& shape) {
  if (t.is_contiguous() || t.numel() <= 1) return contiguous_strides(shape);
  const Shape& os = t.shape();
  const Shape& ot = t.strides();
  Shape ns(shape.size());
  int64_t view_d = static_cast<int64_t>(shape.size()) - 1;
  int64_t base = ot.back(), tensor_numel = 1, view_numel = 1;
  for (int64_t d = t.dim() - 1; d >= 0; --d) {
    tensor_numel *= os[d];
    if (d == 0 || (os[d - 1] != 1 && ot[d - 1] != tensor_numel * base)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        ns[view_d] = view_numel * base;
        view_numel *= shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        base = ot[d - 1];
        tensor_numel = view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return ns;
}

Tensor view_as(const Tensor& x, const Shape& shape, const Shape& strides, int64_t offset,
               const char* name, Node::BackwardFn backward) {
  return record(raw::as_strided(x, shape, strides, offset), name, {x}, std::move(backward));
}

Tensor make_view(const Tensor& x, const Shape& shape, const char* name) {
  auto strides = view_strides(x, shape);
  ZG_CHECK(strides.has_value(), "{}", name);
  return view_as(x, shape, *strides, x.storage_offset(), name,
                 [in = x.shape()](const Tensor& g, Node&) -> Grads { return {g.reshape(in)}; });
}

// The gradient of a strided slice: g placed into zeros of the input's shape.
Tensor slice_backward(const Tensor& g, const Shape& in_shape, int64_t dim, int64_t start,
                      int64_t step) {
  Tensor out = zeros(in_shape, TensorOptions(g.dtype()).device(g.device()));
  Shape strides = out.strides();
  strides[dim] *= step;
  raw::copy_into(raw::as_strided(out, g.shape(), strides, start * out.strides()[dim]), g,
                 "slice_backward");
  return record(out, "SliceBackwardBackward", {g},
                [dim, start, step, n = g.shape()[dim]](const Tensor& gg, Node&) -> Grads {
                  return {gg.slice(dim, start, start + (n - 1) * step + 1, step)};
                });
}

}  // namespace

Tensor Tensor::view(const Shape& s) const {
  Shape shape = infer_shape(s, numel(), "view", this->shape());
  auto strides = view_strides(*this, shape);
  ZG_CHECK(strides.has_value(),
           "view: cannot view a tensor of shape {} and strides {} as {} without a copy; use "
           "reshape()",
           shape_str(this->shape()), shape_str(this->strides()), shape_str(shape));
  return make_view(*this, shape, "ViewBackward");
}

Tensor Tensor::reshape(const Shape& s) const {
  Shape shape = infer_shape(s, numel(), "reshape", this->shape());
  if (shape == this->shape()) return *this;
  if (view_strides(*this, shape)) return make_view(*this, shape, "ViewBackward");
  return contiguous().view(shape);
}

Tensor Tensor::flatten(int64_t start, int64_t end) const {
  if (dim() == 0) return reshape({1});
  int64_t s = wrap_dim(start, dim(), "flatten"), e = wrap_dim(end, dim(), "flatten");
  ZG_CHECK(s <= e, "flatten: start_dim {} after end_dim {}", start, end);
  Shape shape(this->shape().begin(), this->shape().begin() + s);
  shape.push_back(numel_of(Shape(this->shape().begin() + s, this->shape().begin() + e + 1)));
  shape.insert(shape.end(), this->shape().begin() + e + 1, this->shape().end());
  return reshape(shape);
}

Tensor Tensor::transpose(int64_t d0, int64_t d1) const {
  if (dim() == 0) return *this;
  int64_t a = wrap_dim(d0, dim(), "transpose"), b = wrap_dim(d1, dim(), "transpose");
  Shape shape = this->shape(), strides = this->strides();
  std::swap(shape[a], shape[b]);
  std::swap(strides[a], strides[b]);
  return view_as(*this, shape, strides, storage_offset(), "TransposeBackward",
                 [a, b](const Tensor& g, Node&) -> Grads { return {g.transpose(a, b)}; });
}
Tensor Tensor::t() const {
  ZG_CHECK(dim() <= 2, "t: expects a tensor of at most 2 dims, got {}", shape_str(shape()));
  return dim() < 2 ? *this : transpose(0, 1);
}
Tensor Tensor::mT() const {
  ZG_CHECK(dim() >= 2, "mT: expects at least 2 dims, got {}", shape_str(shape()));
  return transpose(-2, -1);
}

Tensor Tensor::permute(const Shape& dims) const {
  ZG_CHECK(static_cast<int64_t>(dims.size()) == dim(), "permute: {} dims given for a tensor {}",
           dims.size(), shape_str(shape()));
  std::vector<bool> used = raw::reduced_dims(dims, dim(), "permute");
  (void)used;
  Shape shape(dim()), strides(dim()), inverse(dim());
  for (int64_t i = 0; i < dim(); ++i) {
    int64_t d = wrap_dim(dims[i], dim(), "permute");
    shape[i] = this->shape()[d];
    strides[i] = this->strides()[d];
    inverse[d] = i;
  }
  return view_as(*this, shape, strides, storage_offset(), "PermuteBackward",
                 [inverse](const Tensor& g, Node&) -> Grads { return {g.permute(inverse)}; });
}

Tensor Tensor::squeeze() const {
  Shape shape, strides;
  for (int64_t i = 0; i < dim(); ++i)
    if (this->shape()[i] != 1)
      shape.push_back(this->shape()[i]), strides.push_back(this->strides()[i]);
  return view_as(*this, shape, strides, storage_offset(), "SqueezeBackward",
                 [in = this->shape()](const Tensor& g, Node&) -> Grads { return {g.reshape(in)}; });
}
Tensor Tensor::squeeze(int64_t d) const {
  if (dim() == 0) return *this;
  d = wrap_dim(d, dim(), "squeeze");
  if (shape()[d] != 1) return *this;
  Shape shape = this->shape(), strides = this->strides();
  shape.erase(shape.begin() + d);
  strides.erase(strides.begin() + d);
  return view_as(*this, shape, strides, storage_offset(), "SqueezeBackward",
                 [in = this->shape()](const Tensor& g, Node&) -> Grads { return {g.reshape(in)}; });
}
Tensor Tensor::unsqueeze(int64_t d) const {
  d = wrap_dim(d, dim() + 1, "unsqueeze");
  Shape shape = this->shape(), strides = this->strides();
  int64_t stride = d < dim() ? strides[d] * shape[d] : 1;
  shape.insert(shape.begin() + d, 1);
  strides.insert(strides.begin() + d, stride);
  return view_as(*this, shape, strides, storage_offset(), "UnsqueezeBackward",
                 [in = this->shape()](const Tensor& g, Node&) -> Grads { return {g.reshape(in)}; });
}

Tensor Tensor::expand(const Shape& s) const {
  Shape shape = s;
  int64_t lead = static_cast<int64_t>(s.size()) - dim();
  ZG_CHECK(lead >= 0, "expand: cannot expand {} to fewer dims {}", shape_str(this->shape()),
           shape_str(s));
  for (int64_t i = lead; i < static_cast<int64_t>(s.size()); ++i)
    if (shape[i] == -1) shape[i] = this->shape()[i - lead];
  for (int64_t n : shape)  // -1 is only allowed for an existing dim
    ZG_CHECK(n >= 0, "expand: invalid size in {} for a tensor {}", shape_str(s),
             shape_str(this->shape()));
  Tensor view = raw::broadcast_to(*this, shape, "expand");
  if (view.is_same(*this)) return *this;
  return record(
      view, "ExpandBackward", {*this},
      [in = this->shape()](const Tensor& g, Node&) -> Grads { return {g.sum_to_size(in)}; });
}

Tensor Tensor::slice(int64_t d, int64_t start, int64_t end, int64_t step) const {
  d = wrap_dim(d, dim(), "slice");
  ZG_CHECK(dim() > 0, "slice: cannot slice a 0-d tensor");
  ZG_CHECK(step >= 1, "slice: step must be >= 1, got {}", step);
  int64_t n = shape()[d];
  if (start < 0) start += n;
  if (end < 0) end += n;
  start = std::clamp<int64_t>(start, 0, n);
  end = std::clamp<int64_t>(end, start, n);
  Shape shape = this->shape(), strides = this->strides();
  shape[d] = (end - start + step - 1) / step;
  strides[d] *= step;
  return view_as(*this, shape, strides, storage_offset() + start * this->strides()[d],
                 "SliceBackward",
                 [in = this->shape(), d, start, step](const Tensor& g, Node&) -> Grads {
                   return {slice_backward(g, in, d, start, step)};
                 });
}

Tensor Tensor::narrow(int64_t d, int64_t start, int64_t length) const {
  ZG_CHECK(dim() > 0, "narrow: cannot narrow a 0-d tensor");
  int64_t w = wrap_dim(d, dim(), "narrow"), n = shape()[w];
  if (start < 0) start += n;
  ZG_CHECK(start >= 0 && length >= 0 && start + length <= n,
           "narrow: range [{}, {}) out of bounds for dim {} of size {} (shape {})", start,
           start + length, w, n, shape_str(shape()));
  return slice(w, start, start + length);
}

Tensor Tensor::select(int64_t d, int64_t index) const {
  ZG_CHECK(dim() > 0, "select: cannot select from a 0-d tensor");
  d = wrap_dim(d, dim(), "select");
  int64_t n = shape()[d];
  ZG_CHECK(index >= -n && index < n,
           "select: index {} out of range for dim {} of size {} (shape {})", index, d, n,
           shape_str(shape()));
  if (index < 0) index += n;
  return narrow(d, index, 1).squeeze(d);
}

std::vector<Tensor> Tensor::split(int64_t size, int64_t d) const {
  ZG_CHECK(dim() > 0, "split: cannot split a 0-d tensor");
  ZG_CHECK(size > 0, "split: split_size must be positive, got {}", size);
  d = wrap_dim(d, dim(), "split");
  std::vector<Tensor> parts;
  for (int64_t s = 0; s < shape()[d]; s += size)
    parts.push_back(narrow(d, s, std::min(size, shape()[d] - s)));
  return parts;
}
std::vector<Tensor> Tensor::chunk(int64_t chunks, int64_t d) const {
  ZG_CHECK(dim() > 0, "chunk: cannot chunk a 0-d tensor");
  ZG_CHECK(chunks > 0, "chunk: chunks must be positive, got {}", chunks);
  int64_t n = shape()[wrap_dim(d, dim(), "chunk")];
  return split(std::max<int64_t>(1, (n + chunks - 1) / chunks), d);
}
std::vector<Tensor> Tensor::unbind(int64_t d) const {
  ZG_CHECK(dim() > 0, "unbind: cannot unbind a 0-d tensor");
  d = wrap_dim(d, dim(), "unbind");
  std::vector<Tensor> parts;
  for (int64_t i = 0; i < shape()[d]; ++i) parts.push_back(select(d, i));
  return parts;
}

// ---- copies --------------------------------------------------------------------------------
Tensor Tensor::clone() const {
  return record(raw::contiguous_copy(*this), "CloneBackward", {*this},
                [](const Tensor& g, Node&) -> Grads { return {g}; });
}
Tensor Tensor::contiguous() const { return is_contiguous() ? *this : clone(); }

Tensor Tensor::to(DType t) const {
  if (t == dtype()) return *this;
  Tensor out = raw::cast(*this, t);
  if (!is_floating(t)) return out;  // integers carry no gradient
  return record(out, "ToBackward", {*this},
                [from = dtype()](const Tensor& g, Node&) -> Grads { return {g.to(from)}; });
}
Tensor Tensor::to(Device d) const {
  if (d == device()) return *this;
  Tensor out = raw::make(shape(), dtype(), d);
  raw::copy_into(out, *this, "to");
  return record(out, "ToDeviceBackward", {*this},
                [from = device()](const Tensor& g, Node&) -> Grads { return {g.to(from)}; });
}

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  ZG_CHECK(!tensors.empty(), "cat: expected a non-empty list of tensors");
  const Tensor& first = tensors[0];
  ZG_CHECK(first.dim() > 0, "cat: zero-dimensional tensor cannot be concatenated");
  int64_t d = wrap_dim(dim, first.dim(), "cat");
  Shape shape = first.shape();
  shape[d] = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    raw::check_same_dtype(first, t, "cat");
    bool same = t.dim() == first.dim();
    for (int64_t k = 0; same && k < t.dim(); ++k) same = k == d || t.shape()[k] == first.shape()[k];
    ZG_CHECK(same, "cat: tensor {} has shape {}, incompatible with {} along dim {}", i,
             shape_str(t.shape()), shape_str(first.shape()), d);
    shape[d] += t.shape()[d];
  }
  Tensor out = raw::make(shape, first.dtype(), first.device());
  Shape sizes;
  for (int64_t i = 0, at = 0; i < static_cast<int64_t>(tensors.size()); ++i) {
    const Tensor& t = tensors[i];
    Tensor region = raw::as_strided(out, t.shape(), out.strides(), at * out.strides()[d]);
    raw::copy_into(region, t, "cat");
    at += t.shape()[d];
    sizes.push_back(t.shape()[d]);
  }
  return record(out, "CatBackward", tensors, [d, sizes](const Tensor& g, Node& self) -> Grads {
    Grads grads;
    for (size_t i = 0, at = 0; i < sizes.size(); at += sizes[i], ++i)
      grads.push_back(self.needs_grad(i) ? g.narrow(d, at, sizes[i]) : Tensor());
    return grads;
  });
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  ZG_CHECK(!tensors.empty(), "stack: expected a non-empty list of tensors");
  int64_t d = wrap_dim(dim, tensors[0].dim() + 1, "stack");
  std::vector<Tensor> parts;
  for (size_t i = 0; i < tensors.size(); ++i) {
    ZG_CHECK(tensors[i].shape() == tensors[0].shape(),
             "stack: tensor {} has shape {}, expected {} like tensor 0", i,
             shape_str(tensors[i].shape()), shape_str(tensors[0].shape()));
    parts.push_back(tensors[i].unsqueeze(d));
  }
  return cat(parts, d);
}

}  // namespace zg
