#include "nn/init.h"

#include <cmath>

#include "autograd/grad_mode.h"
#include "tensor/error.h"

namespace zg::nn::init {

std::pair<int64_t, int64_t> fan_in_and_fan_out(const Tensor& w) {
  ZG_CHECK(w.dim() >= 2, "init: fan in and fan out need a weight with 2 or more dims, got {}",
           shape_str(w.shape()));
  int64_t receptive = 1;
  for (int64_t d = 2; d < w.dim(); ++d) receptive *= w.size(d);
  return {w.size(1) * receptive, w.size(0) * receptive};
}

double calculate_gain(const std::string& nl, double param) {
  if (nl == "linear" || nl == "conv1d" || nl == "conv2d" || nl == "conv3d" || nl == "sigmoid")
    return 1.0;
  if (nl == "tanh") return 5.0 / 3.0;
  if (nl == "relu") return std::sqrt(2.0);
  if (nl == "leaky_relu") return std::sqrt(2.0 / (1.0 + param * param));
  if (nl == "selu") return 3.0 / 4.0;
  ZG_CHECK(false, "init::calculate_gain: unknown nonlinearity '{}'", nl);
  return 0.0;
}

Tensor uniform_(Tensor t, double lo, double hi, Generator* gen) {
  NoGradGuard g;
  t.uniform_(lo, hi, gen);
  return t;
}
Tensor normal_(Tensor t, double mean, double std, Generator* gen) {
  NoGradGuard g;
  t.normal_(mean, std, gen);
  return t;
}
Tensor constant_(Tensor t, double value) {
  NoGradGuard g;
  t.fill_(value);
  return t;
}
Tensor zeros_(Tensor t) { return constant_(std::move(t), 0.0); }
Tensor ones_(Tensor t) { return constant_(std::move(t), 1.0); }

static double kaiming_std(const Tensor& t, double a, const std::string& mode,
                          const std::string& nonlinearity) {
  ZG_CHECK(mode == "fan_in" || mode == "fan_out",
           "init::kaiming: mode must be fan_in or fan_out, got '{}'", mode);
  auto [fan_in, fan_out] = fan_in_and_fan_out(t);
  double fan = static_cast<double>(mode == "fan_in" ? fan_in : fan_out);
  return calculate_gain(nonlinearity, a) / std::sqrt(fan);
}

Tensor kaiming_uniform_(Tensor t, double a, const std::string& mode, const std::string& nl,
                        Generator* gen) {
  double bound = std::sqrt(3.0) * kaiming_std(t, a, mode, nl);
  return uniform_(std::move(t), -bound, bound, gen);
}
Tensor kaiming_normal_(Tensor t, double a, const std::string& mode, const std::string& nl,
                       Generator* gen) {
  double std = kaiming_std(t, a, mode, nl);
  return normal_(std::move(t), 0.0, std, gen);
}

Tensor xavier_uniform_(Tensor t, double gain, Generator* gen) {
  auto [fan_in, fan_out] = fan_in_and_fan_out(t);
  double bound = gain * std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  return uniform_(std::move(t), -bound, bound, gen);
}
Tensor xavier_normal_(Tensor t, double gain, Generator* gen) {
  auto [fan_in, fan_out] = fan_in_and_fan_out(t);
  double std = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
  return normal_(std::move(t), 0.0, std, gen);
}

}  // namespace zg::nn::init
