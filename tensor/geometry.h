/// \file
/// The layout of an N-operand strided loop, shared by every device: one pointer per operand
/// and byte strides per dim, with the dims that are laid out back to back in every operand
/// merged, so a contiguous tensor becomes one long row. Devices differ only in how they walk it.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "tensor/tensor.h"

namespace zg {

template <size_t N>
struct Geometry {
  std::vector<int64_t> shape;                   ///< coalesced, size-1 dims dropped
  std::array<std::vector<int64_t>, N> strides;  ///< bytes, per operand
  std::array<char*, N> base;
  int64_t numel = 1;
};

/// Operands must all have `shape` (broadcast operands as stride-0 views).
template <size_t N>
Geometry<N> make_geometry(const Shape& shape, const std::array<const Tensor*, N>& ops) {
  Geometry<N> g;
  for (size_t k = 0; k < N; ++k) {
    const Tensor& t = *ops[k];
    g.base[k] = static_cast<char*>(t.impl().storage->data) +
                t.storage_offset() * static_cast<int64_t>(element_size(t.dtype()));
  }
  g.numel = numel_of(shape);
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    bool merge = !g.shape.empty();
    for (size_t k = 0; k < N && merge; ++k) {
      int64_t es = element_size(ops[k]->dtype());
      merge = g.strides[k].back() == ops[k]->strides()[d] * es * shape[d];
    }
    if (merge) {
      g.shape.back() *= shape[d];
      for (size_t k = 0; k < N; ++k)
        g.strides[k].back() = ops[k]->strides()[d] * int64_t(element_size(ops[k]->dtype()));
    } else {
      g.shape.push_back(shape[d]);
      for (size_t k = 0; k < N; ++k)
        g.strides[k].push_back(ops[k]->strides()[d] * int64_t(element_size(ops[k]->dtype())));
    }
  }
  if (g.shape.empty()) {
    g.shape.push_back(1);
    for (size_t k = 0; k < N; ++k) g.strides[k].push_back(0);
  }
  return g;
}

}  // namespace zg
