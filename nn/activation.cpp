#include "nn/activation.h"

#include <fmt/format.h>

namespace zg::nn {

std::string LeakyReLUImpl::extra_repr() const {
  return fmt::format("negative_slope={}", negative_slope);
}

}  // namespace zg::nn
