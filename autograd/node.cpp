#include "autograd/node.h"

#include <atomic>

#include "tensor/raw.h"

namespace zg {

static std::atomic<uint64_t> next_sequence{0};

static Tensor alias(const Tensor& t) {
  return raw::as_strided(t, t.shape(), t.strides(), t.storage_offset());
}

static AutogradMeta& meta(const Tensor& t) {
  auto& m = t.impl().autograd;
  if (!m) m = std::make_shared<AutogradMeta>();
  return *m;
}

Node::~Node() {
  // Drop what this node holds on its inputs, and move out the input nodes only this node
  // keeps alive; then do the same for those, one at a time, so each dies with no children.
  std::vector<std::shared_ptr<Node>> dying;
  auto release = [&dying](Node& n) {
    n.backward = nullptr;  // its captured inputs may hold the same nodes as `next`
    n.saved_output = Tensor();
    for (auto& child : n.next)
      if (child && child.use_count() == 1) dying.push_back(std::move(child));
    n.next.clear();
  };
  release(*this);
  while (!dying.empty()) {
    std::shared_ptr<Node> n = std::move(dying.back());
    dying.pop_back();
    release(*n);
  }
}

Tensor Node::output() {
  ZG_CHECK(saved_output.defined(), "{}: backward asked for an output that was not saved", name);
  Tensor out = alias(saved_output);
  if (GradMode::is_enabled()) {
    AutogradMeta& m = meta(out);
    m.requires_grad = true;
    m.grad_fn = shared_from_this();
  }
  return out;
}

bool any_requires_grad(const std::vector<Tensor>& tensors) {
  for (const Tensor& t : tensors)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

std::shared_ptr<Node> gradient_edge(const Tensor& t) {
  if (!t.defined() || !t.requires_grad()) return nullptr;
  AutogradMeta& m = *t.impl().autograd;
  if (m.grad_fn) return m.grad_fn;
  if (!m.grad_accumulator) {
    auto acc = std::make_shared<Node>();
    acc->name = "AccumulateGrad";
    acc->accumulator = true;
    acc->leaf = t.impl().autograd;
    acc->input_shapes = {t.shape()};
    acc->sequence = next_sequence++;
    m.grad_accumulator = acc;
  }
  return m.grad_accumulator;
}

Tensor record(Tensor out, const char* name, const std::vector<Tensor>& inputs,
              Node::BackwardFn backward, bool saves_output, const std::vector<Tensor>& saved) {
  if (!GradMode::is_enabled() || !any_requires_grad(inputs)) return out;
  auto node = std::make_shared<Node>();
  node->name = name;
  node->backward = std::move(backward);
  for (const Tensor& in : inputs) {
    node->next.push_back(gradient_edge(in));
    node->input_shapes.push_back(in.defined() ? in.shape() : Shape{});
    if (in.defined()) node->versions.emplace_back(in.impl().storage, in.impl().storage->version);
  }
  for (const Tensor& t : saved)
    if (t.defined()) node->versions.emplace_back(t.impl().storage, t.impl().storage->version);
  node->sequence = next_sequence++;  // after gradient_edge(), so inputs are always older
  if (saves_output) {
    node->saved_output = alias(out);
    node->versions.emplace_back(out.impl().storage, out.impl().storage->version);
  }
  // `out` may be a view sharing another tensor's impl fields; give it its own metadata.
  if (out.impl().autograd) out = alias(out);
  AutogradMeta& m = meta(out);
  m.requires_grad = true;
  m.grad_fn = std::move(node);
  return out;
}

void check_inplace(const Tensor& t, const char* op) {
  ZG_CHECK(!(GradMode::is_enabled() && t.requires_grad()),
           "{}: in-place write to a tensor {} that requires grad; wrap the update in "
           "zg::NoGradGuard or use the out-of-place op",
           op, shape_str(t.shape()));
  for (int64_t i = 0; i < t.dim(); ++i)
    ZG_CHECK(t.strides()[i] != 0 || t.shape()[i] <= 1,
             "{}: in-place write to an expanded tensor {} (several elements share memory); "
             "clone() it first",
             op, shape_str(t.shape()));
  ++t.impl().storage->version;
}

// ---- the Tensor methods that belong to autograd -----------------------------------------

bool Tensor::requires_grad() const {
  const auto& m = impl().autograd;
  return m && m->requires_grad;
}

Tensor& Tensor::requires_grad_(bool on) {
  ZG_CHECK(is_leaf() || on,
           "requires_grad_: cannot turn off gradients of a non-leaf tensor {}; use detach()",
           shape_str(shape()));
  ZG_CHECK(!on || is_floating_point(),
           "requires_grad_: only floating-point tensors can require gradients, got {} {}",
           dtype_name(dtype()), shape_str(shape()));
  meta(*this).requires_grad = on;
  return *this;
}

const Tensor& Tensor::grad() const {
  static const Tensor undefined;
  const auto& m = impl().autograd;
  return m ? m->grad : undefined;
}

void Tensor::set_grad(const Tensor& g) const {
  ZG_CHECK(!g.defined() || g.shape() == shape(), "set_grad: gradient {} for a tensor {}",
           shape_str(g.shape()), shape_str(shape()));
  meta(*this).grad = g;
}

std::shared_ptr<Node> Tensor::grad_fn() const {
  const auto& m = impl().autograd;
  return m ? m->grad_fn : nullptr;
}

bool Tensor::is_leaf() const { return grad_fn() == nullptr; }

void Tensor::retain_grad() const {
  ZG_CHECK(requires_grad(), "retain_grad: tensor {} does not require grad", shape_str(shape()));
  if (auto fn = grad_fn()) fn->retained = impl().autograd;
}

Tensor Tensor::detach() const { return alias(*this); }

}  // namespace zg
