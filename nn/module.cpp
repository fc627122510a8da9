#include "nn/module.h"

#include <fmt/format.h>

#include <set>

#include "autograd/grad_mode.h"
#include "tensor/error.h"

namespace zg::nn {

Tensor Module::forward(const Tensor&) {
  ZG_CHECK(false, "{}: this module has no single-input forward(x)", name_);
  return {};
}

void Module::check_new_name(const std::string& name, const char* what) const {
  ZG_CHECK(!name.empty() && name.find('.') == std::string::npos,
           "{}: {} name '{}' must be non-empty and contain no '.'", name_, what, name);
  auto taken = [&](const auto& list) {
    for (const auto& [n, _] : list)
      if (n == name) return true;
    return false;
  };
  ZG_CHECK(!taken(params_) && !taken(buffers_) && !taken(children_),
           "{}: the name '{}' is already registered", name_, name);
}

Tensor Module::register_parameter(const std::string& name, Tensor value, bool requires_grad) {
  check_new_name(name, "parameter");
  ZG_CHECK(value.defined(), "{}: parameter '{}' is undefined", name_, name);
  // A parameter is a leaf: detach so it owns no history from whatever initialised it.
  Tensor p = value.detach();
  if (requires_grad) p.requires_grad_();
  params_.emplace_back(name, p);
  return p;
}

Tensor Module::register_buffer(const std::string& name, Tensor value) {
  check_new_name(name, "buffer");
  ZG_CHECK(value.defined(), "{}: buffer '{}' is undefined", name_, name);
  Tensor b = value.detach();
  buffers_.emplace_back(name, b);
  return b;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> module) {
  check_new_name(name, "submodule");
  ZG_CHECK(module != nullptr, "{}: submodule '{}' is empty", name_, name);
  children_.emplace_back(name, std::move(module));
}

static void collect(const Module& m, const std::string& prefix, bool recurse, bool buffers,
                    Named<Tensor>& out, const Named<Tensor>& own) {
  for (const auto& [n, t] : own) out.emplace_back(prefix + n, t);
  if (!recurse) return;
  for (const auto& [n, child] : m.named_children()) {
    auto sub = buffers ? child->named_buffers(true) : child->named_parameters(true);
    for (auto& [sn, t] : sub) out.emplace_back(prefix + n + "." + sn, t);
  }
}

Named<Tensor> Module::named_parameters(bool recurse) const {
  Named<Tensor> out;
  collect(*this, "", recurse, false, out, params_);
  return out;
}

Named<Tensor> Module::named_buffers(bool recurse) const {
  Named<Tensor> out;
  collect(*this, "", recurse, true, out, buffers_);
  return out;
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& [_, t] : named_parameters(recurse)) out.push_back(t);
  return out;
}

Named<std::shared_ptr<Module>> Module::named_modules(const std::string& prefix) {
  Named<std::shared_ptr<Module>> out{{prefix, shared_from_this()}};
  for (auto& [n, child] : children_) {
    auto sub = child->named_modules(prefix.empty() ? n : prefix + "." + n);
    out.insert(out.end(), sub.begin(), sub.end());
  }
  return out;
}

int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

TensorDict Module::state_dict() const {
  TensorDict dict;
  for (auto& [n, t] : named_parameters()) dict[n] = t.detach();
  for (auto& [n, t] : named_buffers()) dict[n] = t;
  return dict;
}

void Module::load_state_dict(const TensorDict& dict, bool strict) {
  Named<Tensor> mine = named_parameters();
  Named<Tensor> bufs = named_buffers();
  mine.insert(mine.end(), bufs.begin(), bufs.end());
  std::set<std::string> seen;
  std::vector<std::string> missing, unexpected;
  for (auto& [n, t] : mine) {
    seen.insert(n);
    auto it = dict.find(n);
    if (it == dict.end()) {
      missing.push_back(n);
      continue;
    }
    ZG_CHECK(it->second.shape() == t.shape(),
             "{}.load_state_dict: '{}' has shape {} in the state dict but {} in the module", name_,
             n, shape_str(it->second.shape()), shape_str(t.shape()));
  }
  for (auto& [n, _] : dict)
    if (!seen.count(n)) unexpected.push_back(n);
  ZG_CHECK(!strict || (missing.empty() && unexpected.empty()),
           "{}.load_state_dict: missing keys [{}], unexpected keys [{}]", name_,
           fmt::join(missing, ", "), fmt::join(unexpected, ", "));
  NoGradGuard no_grad;
  for (auto& [n, t] : mine) {
    auto it = dict.find(n);
    if (it != dict.end()) t.copy_(it->second);
  }
}

void Module::train(bool on) {
  training_ = on;
  on_train(on);
  for (auto& [_, child] : children_) child->train(on);
}

void Module::zero_grad() {
  for (auto& p : parameters()) p.set_grad({});
}

template <class F>
void Module::for_each_tensor(F&& f) {
  for (auto& [_, t] : params_) f(t);
  for (auto& [_, t] : buffers_) f(t);
  for (auto& [_, child] : children_) child->for_each_tensor(f);
}

// Points t's handle at new data, so every copy of the handle (the layer's member, the
// optimizer's list) sees the converted tensor. Only leaves get here.
static void replace_data(Tensor& t, const Tensor& value) {
  TensorImpl& impl = t.impl();
  const TensorImpl& v = value.impl();
  impl.storage = v.storage;
  impl.shape = v.shape;
  impl.strides = v.strides;
  impl.offset = v.offset;
  impl.dtype = v.dtype;
  t.set_grad({});
}

void Module::to(DType dtype) {
  ZG_CHECK(is_floating(dtype), "{}.to: modules convert to a floating dtype, not {}", name_,
           dtype_name(dtype));
  for_each_tensor([&](Tensor& t) {
    if (t.is_floating_point() && t.dtype() != dtype) replace_data(t, t.detach().to(dtype));
  });
}

void Module::to(Device device) {
  for_each_tensor([&](Tensor& t) {
    if (t.device() != device) replace_data(t, t.detach().to(device));
  });
}

static std::string with_commas(int64_t n) {
  std::string s = std::to_string(n), out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i > 0 && (s.size() - i) % 3 == 0) out += ',';
    out += s[i];
  }
  return out;
}

void Module::repr_into(std::string& out, int indent) const {
  out += fmt::format("{}({}", name_, extra_repr());
  if (!children_.empty()) {
    out += "\n";
    for (const auto& [n, child] : children_) {
      out += fmt::format("{:{}}({}): ", "", indent + 2, n);
      child->repr_into(out, indent + 2);
      out += "\n";
    }
    out += fmt::format("{:{}}", "", indent);
  }
  out += ")";
  if (int64_t n = num_parameters(); n > 0) out += fmt::format("  # {} params", with_commas(n));
}

std::string Module::repr() const {
  std::string out;
  repr_into(out, 0);
  return out;
}

}  // namespace zg::nn
