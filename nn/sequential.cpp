#include "nn/sequential.h"

namespace zg::nn {

Tensor SequentialImpl::forward(const Tensor& x) {
  Tensor h = x;
  for (auto& layer : layers_) h = layer->forward(h);
  return h;
}

}  // namespace zg::nn
