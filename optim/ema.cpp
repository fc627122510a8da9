#include "optim/ema.h"

#include <algorithm>

#include "autograd/grad_mode.h"
#include "tensor/error.h"

namespace zg::optim {

EMA::EMA(std::vector<Tensor> params, double decay, bool warmup)
    : params_(std::move(params)), decay_(decay), warmup_(warmup) {
  ZG_CHECK(decay >= 0 && decay <= 1, "EMA: decay {} must lie in [0, 1]", decay);
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    ZG_CHECK(p.defined() && p.is_floating_point(),
             "EMA: tensor {} is undefined or not floating point", i);
    shadow_.push_back(p.detach().clone());
  }
}

double EMA::current_decay() const {
  const double n = static_cast<double>(num_updates_);
  return warmup_ ? std::min(decay_, (1 + n) / (10 + n)) : decay_;
}

void EMA::update() {
  NoGradGuard no_grad;
  const double decay = current_decay();
  for (size_t i = 0; i < params_.size(); ++i) shadow_[i].mul_(decay).add_(params_[i], 1 - decay);
  ++num_updates_;
}

void EMA::copy_to(const std::vector<Tensor>& params) const {
  ZG_CHECK(params.size() == shadow_.size(), "EMA::copy_to: got {} tensors, the EMA tracks {}",
           params.size(), shadow_.size());
  for (size_t i = 0; i < params.size(); ++i)
    ZG_CHECK(params[i].defined() && params[i].shape() == shadow_[i].shape() &&
                 params[i].dtype() == shadow_[i].dtype(),
             "EMA::copy_to: tensor {} is {} {} but its average is {} {}", i,
             params[i].defined() ? dtype_name(params[i].dtype()) : "undefined",
             params[i].defined() ? shape_str(params[i].shape()) : "",
             dtype_name(shadow_[i].dtype()), shape_str(shadow_[i].shape()));
  NoGradGuard no_grad;
  for (size_t i = 0; i < params.size(); ++i) Tensor(params[i]).copy_(shadow_[i]);
}

TensorDict EMA::state_dict() const {
  TensorDict d;
  d["decay"] = scalar_tensor(decay_, kFloat64);
  d["num_updates"] = scalar_tensor(static_cast<double>(num_updates_), kInt64);
  for (size_t i = 0; i < shadow_.size(); ++i) d[std::to_string(i) + ".shadow"] = shadow_[i].clone();
  return d;
}

void EMA::load_state_dict(const TensorDict& dict) {
  ZG_CHECK(dict.size() == shadow_.size() + 2,
           "EMA::load_state_dict: expected {} entries (\"decay\", \"num_updates\" and "
           "\"<i>.shadow\" for {} tensors), got {}",
           shadow_.size() + 2, shadow_.size(), dict.size());
  auto updates = dict.find("num_updates");
  ZG_CHECK(updates != dict.end() && updates->second.defined() && updates->second.dim() == 0 &&
               updates->second.dtype() == kInt64 && updates->second.item<int64_t>() >= 0,
           "EMA::load_state_dict: no non-negative int64 scalar \"num_updates\"");
  auto it = dict.find("decay");
  ZG_CHECK(it != dict.end() && it->second.defined() && it->second.dim() == 0 &&
               it->second.dtype() == kFloat64,
           "EMA::load_state_dict: no float64 scalar \"decay\"");
  ZG_CHECK(it->second.item<double>() == decay_,
           "EMA::load_state_dict: the state was saved with decay = {} but this EMA has {}",
           it->second.item<double>(), decay_);
  std::vector<Tensor> shadow;
  for (size_t i = 0; i < shadow_.size(); ++i) {
    std::string key = std::to_string(i) + ".shadow";
    auto s = dict.find(key);
    ZG_CHECK(s != dict.end() && s->second.defined(), "EMA::load_state_dict: no entry \"{}\"", key);
    const Tensor& t = s->second;
    ZG_CHECK(t.shape() == shadow_[i].shape() && t.dtype() == shadow_[i].dtype(),
             "EMA::load_state_dict: \"{}\" is {} {} but tensor {} is {} {}", key,
             dtype_name(t.dtype()), shape_str(t.shape()), i, dtype_name(shadow_[i].dtype()),
             shape_str(shadow_[i].shape()));
    Tensor copy = empty_like(shadow_[i]);  // on the device of the tensors it averages
    copy.copy_(t.detach());
    shadow.push_back(copy);
  }
  shadow_ = std::move(shadow);
  num_updates_ = updates->second.item<int64_t>();
}

}  // namespace zg::optim
