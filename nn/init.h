/// \file
/// Parameter initialisation, as torch.nn.init: every function fills a tensor in place (with
/// gradient recording off) and returns it. Defaults of the layers match PyTorch's, so a
/// zerogen model and its PyTorch twin start from the same distribution.
#pragma once
#include <string>
#include <utility>

#include "tensor/generator.h"
#include "tensor/tensor.h"

namespace zg::nn::init {

/// (fan_in, fan_out) of a weight: [out, in] for Linear, [out, in/groups, kh, kw] for Conv.
std::pair<int64_t, int64_t> fan_in_and_fan_out(const Tensor& weight);
/// The gain PyTorch uses for "linear", "conv2d", "sigmoid", "tanh", "relu", "leaky_relu", "selu".
double calculate_gain(const std::string& nonlinearity, double param = 0.01);

Tensor uniform_(Tensor t, double lo = 0.0, double hi = 1.0, Generator* gen = nullptr);
Tensor normal_(Tensor t, double mean = 0.0, double std = 1.0, Generator* gen = nullptr);
Tensor constant_(Tensor t, double value);
Tensor zeros_(Tensor t);
Tensor ones_(Tensor t);
/// U(−b, b) with b = gain·√(3 / fan), fan = fan_in (mode "fan_in") or fan_out.
Tensor kaiming_uniform_(Tensor t, double a = 0.0, const std::string& mode = "fan_in",
                        const std::string& nonlinearity = "leaky_relu", Generator* gen = nullptr);
Tensor kaiming_normal_(Tensor t, double a = 0.0, const std::string& mode = "fan_in",
                       const std::string& nonlinearity = "leaky_relu", Generator* gen = nullptr);
/// U(−b, b) with b = gain·√(6 / (fan_in + fan_out)).
Tensor xavier_uniform_(Tensor t, double gain = 1.0, Generator* gen = nullptr);
Tensor xavier_normal_(Tensor t, double gain = 1.0, Generator* gen = nullptr);

}  // namespace zg::nn::init
