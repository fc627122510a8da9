/// \file
/// Element types and devices. Three dtypes cover the library: float32 for training,
/// float64 for gradcheck and derivation checks, int64 for labels and indices.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tensor/error.h"

namespace zg {

enum class DType : uint8_t { Float32, Float64, Int64 };
inline constexpr DType kFloat32 = DType::Float32;
inline constexpr DType kFloat64 = DType::Float64;
inline constexpr DType kInt64 = DType::Int64;
inline constexpr DType kFloat = kFloat32;
inline constexpr DType kDouble = kFloat64;
inline constexpr DType kLong = kInt64;

inline constexpr size_t element_size(DType t) { return t == kFloat32 ? 4 : 8; }
inline constexpr bool is_floating(DType t) { return t != kInt64; }
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

template <class T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() {
  return kFloat32;
}
template <>
constexpr DType dtype_of<double>() {
  return kFloat64;
}
template <>
constexpr DType dtype_of<int64_t>() {
  return kInt64;
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
inline constexpr std::string_view device_name(Device d) {
  return d.type == DeviceType::CPU ? "cpu" : "cuda";
}

}  // namespace zg
