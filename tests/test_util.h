// Small helpers shared by the test suites.
#pragma once
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "zerogen.h"

namespace zg::test {

// max |a - b| over all elements (shapes must match); infinity where either holds a NaN, so
// that `max_abs_diff(a, b) < tol` fails on one.
inline double max_abs_diff(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  auto va = a.to_vector<double>(), vb = b.to_vector<double>();
  double m = 0;
  for (size_t i = 0; i < va.size(); ++i) {
    const double d = std::abs(va[i] - vb[i]);
    if (std::isnan(d)) return INFINITY;
    m = std::max(m, d);
  }
  return m;
}

// Winograd (tensor/conv.h) on or off for a scope; on, for any number of channels, so that
// the small test convolutions run through it, with output tile `tile` (0: each conv chooses).
struct ConvWinogradSetting {
  bool saved_on = conv_winograd();
  int64_t saved_min = conv_winograd_min_channels();
  int saved_tile = conv_winograd_tile();
  explicit ConvWinogradSetting(bool on, int tile = 0) {
    set_conv_winograd(on);
    set_conv_winograd_min_channels(1);
    set_conv_winograd_tile(tile);
  }
  ~ConvWinogradSetting() {
    set_conv_winograd(saved_on);
    set_conv_winograd_min_channels(saved_min);
    set_conv_winograd_tile(saved_tile);
  }
};

// Only Winograd's output tile for a scope (0: each conv chooses), the rest as set.
struct WinogradTileSetting {
  int saved = conv_winograd_tile();
  explicit WinogradTileSetting(int tile) { set_conv_winograd_tile(tile); }
  ~WinogradTileSetting() { set_conv_winograd_tile(saved); }
};

inline bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8) {
  if (a.shape() != b.shape()) return false;
  auto va = a.to_vector<double>(), vb = b.to_vector<double>();
  for (size_t i = 0; i < va.size(); ++i)
    if (!(std::abs(va[i] - vb[i]) <= atol + rtol * std::abs(vb[i]))) return false;
  return true;
}

// Every element of `ours` within rtol·|ref| + atol·max(1, max|ref|) of the reference `ref`
// (one failed check naming `what`, the worst difference and the first bad element).
inline void check_close_to_ref(const Tensor& ours, const Tensor& ref, const std::string& what,
                               double rtol, double atol) {
  INFO(what);
  REQUIRE(ours.defined());
  REQUIRE(ours.shape() == ref.shape());
  auto a = ours.to_vector<double>(), b = ref.to_vector<double>();
  double scale = 1.0, worst = 0.0;
  for (double v : b) scale = std::max(scale, std::abs(v));
  size_t bad = 0, where = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    double err = std::abs(a[i] - b[i]), tol = rtol * std::abs(b[i]) + atol * scale;
    if (!(err <= tol)) ++bad, where = i;
    worst = std::max(worst, err);
  }
  INFO("max |diff| = " << worst << "; " << bad << " bad elements, the last " << where << ": "
                       << (bad ? a[where] : 0) << " vs " << (bad ? b[where] : 0));
  CHECK(bad == 0);
}

}  // namespace zg::test
