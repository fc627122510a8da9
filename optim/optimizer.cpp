#include "optim/optimizer.h"

#include <cmath>
#include <set>

#include "autograd/grad_mode.h"
#include "tensor/error.h"

namespace zg::optim {

namespace {

bool is_scalar_of(const Tensor& t, DType dtype) { return t.dim() == 0 && t.dtype() == dtype; }

// "<i>.<name>" → (i, name); false when the key has no such form.
bool split_key(const std::string& key, size_t& index, std::string& name) {
  size_t dot = key.find('.');
  if (dot == 0 || dot == std::string::npos) return false;
  index = 0;
  for (size_t k = 0; k < dot; ++k) {
    if (key[k] < '0' || key[k] > '9' || index > 1'000'000'000) return false;
    index = index * 10 + static_cast<size_t>(key[k] - '0');
  }
  name = key.substr(dot + 1);
  return std::to_string(index) == key.substr(0, dot);  // "01.x" would never be looked up
}

}  // namespace

Optimizer::Optimizer(std::vector<Tensor> params, double lr) : params_(std::move(params)) {
  ZG_CHECK(!params_.empty(), "Optimizer: the parameter list is empty");
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    ZG_CHECK(p.defined(), "Optimizer: parameter {} is an undefined tensor", i);
    ZG_CHECK(p.is_floating_point(), "Optimizer: parameter {} {} is {}, not floating point", i,
             shape_str(p.shape()), dtype_name(p.dtype()));
    ZG_CHECK(p.requires_grad() && p.is_leaf(),
             "Optimizer: parameter {} {} must be a leaf tensor that requires grad", i,
             shape_str(p.shape()));
    // Listed twice, a parameter would be updated twice per step.
    for (size_t j = 0; j < i; ++j)
      ZG_CHECK(!params_[j].is_same(p), "Optimizer: parameters {} and {} are the same tensor", j, i);
  }
  state_.resize(params_.size());
  set_lr(lr);
}

Optimizer::~Optimizer() = default;

void Optimizer::set_lr(double lr) {
  ZG_CHECK(std::isfinite(lr) && lr >= 0, "Optimizer: learning rate {} is not a finite value >= 0",
           lr);
  lr_ = lr;
}

void Optimizer::step() {
  NoGradGuard no_grad;
  // Check every gradient before touching any parameter, so a bad one leaves the model as it was.
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& g = params_[i].grad();
    if (!g.defined()) continue;
    ZG_CHECK(g.dtype() == params_[i].dtype() && g.shape() == params_[i].shape(),
             "{}::step: parameter {} is {} {} but its gradient is {} {}", name(), i,
             dtype_name(params_[i].dtype()), shape_str(params_[i].shape()), dtype_name(g.dtype()),
             shape_str(g.shape()));
  }
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor g = params_[i].grad();
    if (g.defined()) update(i, params_[i], g);
  }
  ++steps_;
}

void Optimizer::zero_grad(bool set_to_none) {
  NoGradGuard no_grad;
  for (const Tensor& p : params_) {
    if (set_to_none) {
      p.set_grad(Tensor());
    } else if (Tensor g = p.grad(); g.defined()) {
      g.zero_();
    }
  }
}

TensorDict Optimizer::state_dict() const {
  TensorDict d;
  d["step"] = scalar_tensor(static_cast<double>(steps_), kInt64);
  d["lr"] = scalar_tensor(lr_, kFloat64);
  for (const auto& [key, value] : option_values())
    d["options." + key] = scalar_tensor(value, kFloat64);
  for (size_t i = 0; i < state_.size(); ++i)
    for (const auto& [key, t] : state_[i]) d[std::to_string(i) + "." + key] = t.detach().clone();
  return d;
}

void Optimizer::load_state_dict(const TensorDict& dict) {
  const char* op = name();
  auto find = [&](const std::string& key) -> const Tensor& {
    auto it = dict.find(key);
    ZG_CHECK(it != dict.end() && it->second.defined(), "{}::load_state_dict: no entry \"{}\"", op,
             key);
    return it->second;
  };

  const Tensor& step = find("step");
  ZG_CHECK(is_scalar_of(step, kInt64) && step.item<int64_t>() >= 0,
           "{}::load_state_dict: \"step\" must be an int64 scalar >= 0, got {} {}", op,
           dtype_name(step.dtype()), shape_str(step.shape()));
  const Tensor& lr = find("lr");
  ZG_CHECK(is_scalar_of(lr, kFloat64),
           "{}::load_state_dict: \"lr\" must be a float64 scalar, got {} {}", op,
           dtype_name(lr.dtype()), shape_str(lr.shape()));
  double new_lr = lr.item<double>();
  ZG_CHECK(std::isfinite(new_lr) && new_lr >= 0, "{}::load_state_dict: \"lr\" is {}", op, new_lr);

  for (const auto& [key, value] : option_values()) {
    const Tensor& t = find("options." + key);
    ZG_CHECK(is_scalar_of(t, kFloat64),
             "{}::load_state_dict: \"options.{}\" must be a float64 scalar", op, key);
    ZG_CHECK(t.item<double>() == value,
             "{}::load_state_dict: the state was saved with {} = {} but this optimizer has {} = {}",
             op, key, t.item<double>(), key, value);
  }

  // Per parameter: all of its buffers or none, each shaped like the parameter (or a counter).
  std::vector<TensorDict> state(params_.size());
  const std::vector<Buffer> spec = buffers();
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    size_t present = 0;
    for (const Buffer& b : spec) present += dict.count(std::to_string(i) + "." + b.name);
    if (present == 0) continue;
    for (const Buffer& b : spec) {
      std::string key = std::to_string(i) + "." + b.name;
      ZG_CHECK(dict.count(key), "{}::load_state_dict: parameter {} has some state but no \"{}\"",
               op, i, key);
      const Tensor& t = find(key);
      if (b.like_param) {
        ZG_CHECK(t.shape() == p.shape() && t.dtype() == p.dtype(),
                 "{}::load_state_dict: \"{}\" is {} {} but parameter {} is {} {}", op, key,
                 dtype_name(t.dtype()), shape_str(t.shape()), i, dtype_name(p.dtype()),
                 shape_str(p.shape()));
        Tensor copy = empty_like(p);
        copy.copy_(t);
        state[i][b.name] = copy;
      } else {
        ZG_CHECK(is_scalar_of(t, kInt64) && t.item<int64_t>() >= 0,
                 "{}::load_state_dict: \"{}\" must be an int64 scalar >= 0, got {} {}", op, key,
                 dtype_name(t.dtype()), shape_str(t.shape()));
        state[i][b.name] = t.detach().clone();
      }
    }
  }

  // Anything else is a name this optimizer does not know — most likely the state of another
  // model or optimizer, which must not load silently.
  for (const auto& [key, t] : dict) {
    if (key == "step" || key == "lr") continue;
    bool known = false;
    for (const auto& option : option_values()) known |= key == "options." + option.first;
    size_t index = 0;
    std::string buffer;
    if (!known && split_key(key, index, buffer)) {
      ZG_CHECK(
          index < params_.size(),
          "{}::load_state_dict: \"{}\" is for parameter {} but this optimizer has {} parameters",
          op, key, index, params_.size());
      for (const Buffer& b : spec) known |= b.name == buffer;
    }
    ZG_CHECK(known, "{}::load_state_dict: unexpected entry \"{}\"", op, key);
  }

  state_ = std::move(state);
  lr_ = new_lr;
  steps_ = step.item<int64_t>();
}

}  // namespace zg::optim
