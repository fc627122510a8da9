// Loader for the torch reference values in tests/fixtures/core_ops.txt (written by
// tests/fixtures/make_fixtures.py). One tensor per line:
//   name dtype ndim size_0 ... size_{ndim-1} value_0 value_1 ...
#pragma once
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "zerogen.h"

namespace zg::test {

class Fixtures {
 public:
  explicit Fixtures(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open fixture file " + path);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      std::istringstream ls(line);
      std::string name, dtype, word;
      int64_t ndim = 0;
      ls >> name >> dtype >> ndim;
      Shape shape(ndim);
      for (auto& s : shape) ls >> s;
      std::vector<double> values;
      std::vector<int64_t> ints;
      while (ls >> word) {
        if (dtype == "int64")
          ints.push_back(std::stoll(word));
        else
          values.push_back(std::strtod(word.c_str(), nullptr));  // reads inf, -inf, nan
      }
      size_t count = dtype == "int64" ? ints.size() : values.size();
      if (numel_of(shape) != static_cast<int64_t>(count))
        throw std::runtime_error("fixture " + name + ": value count does not match its shape");
      Shape flat{static_cast<int64_t>(count)};  // from_vector's {} means 1-D; reshape after
      Tensor t;
      if (dtype == "int64")
        t = from_vector(ints, flat);
      else if (dtype == "float64")
        t = from_vector(values, flat);
      else if (dtype == "float32")
        t = from_vector(std::vector<float>(values.begin(), values.end()), flat);
      else
        throw std::runtime_error("fixture " + name + ": unknown dtype " + dtype);
      tensors_[name] = t.reshape(shape);
    }
  }

  // A fresh copy of the named tensor (tests may write to it).
  Tensor operator()(const std::string& name) const {
    auto it = tensors_.find(name);
    if (it == tensors_.end()) throw std::runtime_error("no fixture named " + name);
    return it->second.clone();
  }
  size_t size() const { return tensors_.size(); }

 private:
  std::map<std::string, Tensor> tensors_;
};

// The torch reference values, loaded once.
inline const Fixtures& torch_ref() {
  static const Fixtures fixtures(std::string(ZEROGEN_FIXTURES) + "/core_ops.txt");
  return fixtures;
}

// Elementwise |got - want| <= atol + rtol·|want|, with equal shapes and dtypes; NaN matches
// NaN and an infinity matches the same infinity. Reports the first mismatch.
inline bool close_to(const Tensor& got, const Tensor& want, double rtol, double atol) {
  if (got.shape() != want.shape() || got.dtype() != want.dtype()) {
    MESSAGE("shape/dtype mismatch: got ", shape_str(got.shape()), " ", dtype_name(got.dtype()),
            ", want ", shape_str(want.shape()), " ", dtype_name(want.dtype()));
    return false;
  }
  auto g = got.to_vector<double>(), e = want.to_vector<double>();
  for (size_t i = 0; i < g.size(); ++i) {
    bool ok = (std::isnan(g[i]) && std::isnan(e[i])) || g[i] == e[i] ||
              std::abs(g[i] - e[i]) <= atol + rtol * std::abs(e[i]);
    if (!ok) {
      MESSAGE(fmt::format("element {}: got {:.17g}, want {:.17g}", i, g[i], e[i]));
      return false;
    }
  }
  return true;
}

// Tolerances: float64 results agree with torch to a few ulps of the inputs' magnitude.
inline bool close64(const Tensor& got, const Tensor& want) {
  return close_to(got, want, 1e-12, 1e-13);
}
// A float32 result against the exact (float64) answer for its float32 inputs: ~8 ulps.
inline bool close32(const Tensor& got, const Tensor& want64) {
  if (got.dtype() != kFloat32) {
    MESSAGE("expected a float32 result, got ", dtype_name(got.dtype()));
    return false;
  }
  return close_to(got.to(kFloat64), want64, 1e-6, 1e-7);
}
inline bool exact(const Tensor& got, const Tensor& want) { return close_to(got, want, 0, 0); }

}  // namespace zg::test
