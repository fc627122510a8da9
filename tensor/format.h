/// \file
/// fmt support: fmt::print("{}", t) prints values like torch, then shape, dtype and grad info.
/// Tensors with more than 1000 elements show the first and last 3 entries of each dim.
#pragma once
#include <fmt/format.h>

#include <string>

#include "tensor/tensor.h"

namespace zg {
std::string to_string(const Tensor& t);
}

// Hidden from Doxygen: it cannot place a specialisation in fmt's namespace, which it never reads.
/// \cond
template <>
struct fmt::formatter<zg::Tensor> : fmt::formatter<std::string> {
  template <class Ctx>
  auto format(const zg::Tensor& t, Ctx& ctx) const {
    return fmt::formatter<std::string>::format(zg::to_string(t), ctx);
  }
};
/// \endcond
