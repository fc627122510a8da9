/// \file
/// Element types and devices. Three dtypes cover the library: float32 for training,
/// float64 for gradcheck and derivation checks, int64 for labels and indices.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tensor/error.h"
#include "tensor/primitives.h"

namespace zg {

inline constexpr std::string_view dtype_name(DType t) {
  switch (t) {
    case kFloat32:
      return "float32";
    case kFloat64:
      return "float64";
    case kInt64:
      return "int64";
  }
  return "?";
}

/// Calls f(T{}) with T the C++ type of `t`: the one switch every kernel dispatches through.
template <class F>
decltype(auto) visit_dtype(DType t, F&& f) {
  switch (t) {
    case kFloat32:
      return f(float{});
    case kFloat64:
      return f(double{});
    case kInt64:
      return f(int64_t{});
  }
  throw Error("unknown dtype");
}

enum class DeviceType : uint8_t { CPU, CUDA };
struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;
  bool operator==(const Device&) const = default;
};
inline constexpr Device kCPU{DeviceType::CPU, 0};
inline constexpr Device kCUDA{DeviceType::CUDA, 0};
/// A second CPU device: the CPU backend, but a device of its own, so mixing it with kCPU is
/// an error as mixing kCPU and kCUDA is, and host code must .to(kCPU) it before reading its
/// data. Tests run a trainer on it to check that every tensor stays on the device asked
/// for, which no test could check on a machine without a GPU otherwise.
inline constexpr Device kCPU1{DeviceType::CPU, 1};
/// "cpu", "cuda", or with a non-zero index "cpu:1".
inline std::string device_name(Device d) {
  std::string name = d.type == DeviceType::CPU ? "cpu" : "cuda";
  return d.index == 0 ? name : name + ":" + std::to_string(d.index);
}
/// The inverse of device_name ("cuda:0" too); throws zg::Error naming the text otherwise.
Device parse_device(const std::string& text);

}  // namespace zg
