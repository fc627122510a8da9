// Shared by the tests/optim suites: the torch reference trajectories of
// tests/fixtures/optim.txt (made by make_optim_fixtures.py), float32 ulp distances, and a
// copy of CHECK_ZG_ERROR from tests/tensor/test_errors.cpp (kept here so the two folders can
// be merged independently; the lead may move both into tests/test_util.h).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "tests/check_error.h"
#include "tests/tensor/fixtures.h"
#include "tests/test_util.h"

namespace zg::test {

inline const Fixtures& optim_ref() {
  static const Fixtures fixtures(std::string(ZEROGEN_FIXTURES) + "/optim.txt");
  return fixtures;
}

// Distance in units in the last place between two float32 values (0 when equal, huge
// across NaN or a sign change away from zero).
inline int64_t ulp_distance(float a, float b) {
  auto key = [](float x) {
    int32_t i;
    std::memcpy(&i, &x, sizeof i);
    return i < 0 ? int64_t{INT32_MIN} - i : int64_t{i};  // monotonic in x
  };
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b) ? 0 : INT64_MAX;
  return std::abs(key(a) - key(b));
}

// The largest ulp distance between two float32 tensors of the same shape.
inline int64_t max_ulps(const Tensor& a, const Tensor& b) {
  REQUIRE(a.dtype() == kFloat32);
  REQUIRE(b.dtype() == kFloat32);
  REQUIRE(a.shape() == b.shape());
  auto va = a.to_vector<float>(), vb = b.to_vector<float>();
  int64_t m = 0;
  for (size_t i = 0; i < va.size(); ++i) m = std::max(m, ulp_distance(va[i], vb[i]));
  return m;
}

// max |a − b| / max(|b|, floor) over the elements: a relative error that does not blow up
// on elements near zero (floor ~ the typical magnitude of the tensor's elements).
inline double max_rel_error(const Tensor& a, const Tensor& b, double floor) {
  REQUIRE(a.shape() == b.shape());
  auto va = a.to_vector<double>(), vb = b.to_vector<double>();
  double m = 0;
  for (size_t i = 0; i < va.size(); ++i)
    m = std::max(m, std::abs(va[i] - vb[i]) / std::max(std::abs(vb[i]), floor));
  return m;
}

}  // namespace zg::test
