// In-place updates for optimizers and initialisers. They record nothing, so they refuse
// tensors that require grad while grad mode is on, and bump the storage version so a
// backward that needs the old values reports it instead of computing with the new ones.
#include "autograd/node.h"
#include "tensor/generator.h"
#include "tensor/raw.h"

namespace zg {

namespace {

// Runs kernel(out, broadcast operands) with out = self when that is safe (no operand
// aliases self in another layout), else into a temporary that is then copied into self.
template <class Kernel>
Tensor& update(Tensor& self, const std::vector<Tensor>& operands, const char* op, Kernel kernel) {
  std::vector<Tensor> ins;
  bool direct = true;
  for (const Tensor& o : operands) {
    raw::check_same_dtype(self, o, op);
    ZG_CHECK(broadcast_shapes(self.shape(), o.shape(), op) == self.shape(),
             "{}: operand {} does not broadcast to the in-place target {}", op,
             shape_str(o.shape()), shape_str(self.shape()));
    ins.push_back(raw::broadcast_to(o, self.shape(), op));
    bool shares = o.impl().storage == self.impl().storage;
    direct &= !shares || (ins.back().strides() == self.strides() &&
                          o.storage_offset() == self.storage_offset());
  }
  check_inplace(self, op);
  if (direct) {
    kernel(self, ins);
  } else {
    Tensor tmp = raw::make(self.shape(), self.dtype(), self.device());
    kernel(tmp, ins);
    raw::copy_into(self, tmp, op);
  }
  return self;
}

Tensor scalar_like(double v, const Tensor& t) {
  return scalar_tensor(v, TensorOptions(t.dtype()).device(t.device()));
}

}  // namespace

Tensor& Tensor::add_(const Tensor& other, double alpha) {
  return update(*this, {other}, "add_", [&](const Tensor& out, const std::vector<Tensor>& in) {
    backend_for(device()).binary(BinaryOp::Add, out, *this, in[0], alpha);
  });
}
Tensor& Tensor::add_(double v) { return add_(scalar_like(v, *this)); }
Tensor& Tensor::mul_(const Tensor& other) {
  return update(*this, {other}, "mul_", [&](const Tensor& out, const std::vector<Tensor>& in) {
    backend_for(device()).binary(BinaryOp::Mul, out, *this, in[0], 1.0);
  });
}
Tensor& Tensor::mul_(double v) { return mul_(scalar_like(v, *this)); }
Tensor& Tensor::div_(const Tensor& other) {
  raw::check_floating(*this, "div_");
  return update(*this, {other}, "div_", [&](const Tensor& out, const std::vector<Tensor>& in) {
    backend_for(device()).binary(BinaryOp::Div, out, *this, in[0], 1.0);
  });
}
Tensor& Tensor::addcmul_(const Tensor& t1, const Tensor& t2, double value) {
  return update(*this, {t1, t2}, "addcmul_", [&](const Tensor& out, const std::vector<Tensor>& in) {
    backend_for(device()).ternary(TernaryOp::Addcmul, out, *this, in[0], in[1], value);
  });
}
Tensor& Tensor::addcdiv_(const Tensor& t1, const Tensor& t2, double value) {
  raw::check_floating(*this, "addcdiv_");
  return update(*this, {t1, t2}, "addcdiv_", [&](const Tensor& out, const std::vector<Tensor>& in) {
    backend_for(device()).ternary(TernaryOp::Addcdiv, out, *this, in[0], in[1], value);
  });
}
Tensor& Tensor::copy_(const Tensor& src) {
  // copy_ converts dtypes, so it skips update()'s dtype check.
  ZG_CHECK(broadcast_shapes(shape(), src.shape(), "copy_") == shape(),
           "copy_: source {} does not broadcast to the target {}", shape_str(src.shape()),
           shape_str(shape()));
  check_inplace(*this, "copy_");
  Tensor from = src.impl().storage == impl().storage ? raw::contiguous_copy(src) : src;
  raw::copy_into(*this, from, "copy_");
  return *this;
}
Tensor& Tensor::fill_(double v) {
  check_inplace(*this, "fill_");
  backend_for(device()).fill(*this, v);
  return *this;
}
Tensor& Tensor::uniform_(double from, double to, Generator* gen) {
  raw::check_floating(*this, "uniform_");
  Generator& g = gen ? *gen : default_generator();
  Tensor r = raw::make(shape(), dtype(), device());
  backend_for(device()).uniform(r, g.seed(), g.advance(numel()), from, to);
  return copy_(r);
}
Tensor& Tensor::normal_(double mean, double std, Generator* gen) {
  raw::check_floating(*this, "normal_");
  Generator& g = gen ? *gen : default_generator();
  Tensor r = raw::make(shape(), dtype(), device());
  backend_for(device()).normal(r, g.seed(), g.advance(numel()), mean, std);
  return copy_(r);
}

}  // namespace zg
