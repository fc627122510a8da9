#include "tensor/format.h"

#include <algorithm>
#include <cmath>

#include "tensor/raw.h"

namespace zg {

namespace {

constexpr int64_t kEdge = 3;  // entries shown at each end of an elided dim

struct Printer {
  const std::vector<double>& values;
  const Shape& shape;
  bool integer, elide;
  int width;
  std::string out;

  std::string number(double v) const {
    if (integer) return fmt::format("{}", static_cast<int64_t>(v));
    return fmt::format("{:.4f}", v);
  }
  // Prints the sub-tensor of dim `d` starting at flat position `base` with row stride `step`.
  void print(size_t d, int64_t base, int64_t indent) {
    if (shape.empty()) {
      out += number(values[0]);
      return;
    }
    int64_t n = shape[d], step = numel_of(Shape(shape.begin() + d + 1, shape.end()));
    out += '[';
    for (int64_t i = 0; i < n; ++i) {
      if (elide && n > 2 * kEdge && i == kEdge) {
        out += d + 1 == shape.size() ? "..., " : fmt::format("...,\n{:{}}", "", indent + 1);
        i = n - kEdge;
      }
      if (d + 1 == shape.size())
        out += fmt::format("{:>{}}", number(values[base + i]), width);
      else
        print(d + 1, base + i * step, indent + 1);
      if (i + 1 < n)
        out += d + 1 == shape.size()
                   ? ", "
                   : fmt::format(",{}{:{}}", std::string(shape.size() - d - 1, '\n'), "", indent + 1);
    }
    out += ']';
  }
};

}  // namespace

std::string to_string(const Tensor& t) {
  if (!t.defined()) return "tensor(undefined)";
  std::vector<double> values = t.to(kCPU).to_vector<double>();
  bool integer = t.dtype() == kInt64;
  int width = 1;
  for (double v : values)
    width = std::max<int>(width, integer ? fmt::format("{}", int64_t(v)).size()
                                         : fmt::format("{:.4f}", v).size());
  Printer p{values, t.shape(), integer, t.numel() > 1000, width, "tensor("};
  p.print(0, 0, 7);
  p.out += fmt::format(", shape={}, dtype={}", shape_str(t.shape()), dtype_name(t.dtype()));
  if (t.device() != kCPU) p.out += fmt::format(", device={}", device_name(t.device()));
  if (t.requires_grad()) p.out += ", requires_grad";
  return p.out + ")";
}

}  // namespace zg
