// Input makers shared by the gradcheck suites: float64 leaves that require grad, kept away
// from the points where the op under test is not differentiable.
#pragma once
#include <doctest/doctest.h>

#include "tests/test_util.h"
#include "zerogen.h"

namespace zg::test {

using autograd::gradcheck;
using autograd::gradgradcheck;
using Inputs = std::vector<Tensor>;

inline Tensor leaf(Tensor t) {
  t.requires_grad_();
  return t;
}

// N(0, 1) values.
inline Tensor rnd(const Shape& shape, Generator& gen) { return leaf(randn(shape, gen, kFloat64)); }

// Uniform values in [lo, hi).
inline Tensor uni(const Shape& shape, Generator& gen, double lo, double hi) {
  return leaf(rand(shape, gen, kFloat64) * (hi - lo) + lo);
}

// N(0, 1) values pushed at least `gap` away from zero (for relu, abs, 1/x, ...).
inline Tensor away(const Shape& shape, Generator& gen, double gap = 0.25) {
  Tensor t = randn(shape, gen, kFloat64);
  return leaf(t + t.sign() * gap);
}

// A non-contiguous leaf: the transpose of a fresh contiguous [m, n] tensor, itself the leaf.
// gradcheck nudges its storage elements in place, so it is checked in its own layout.
inline Tensor transposed_leaf(const Tensor& values) {
  Tensor t = values.detach().t();
  REQUIRE_FALSE(t.is_contiguous());
  return leaf(t);
}

inline Tensor values(std::initializer_list<double> v, const Shape& shape) {
  return leaf(tensor(v, kFloat64).reshape(shape));
}

}  // namespace zg::test
