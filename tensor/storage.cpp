#include "tensor/storage.h"

#include <cstdlib>
#include <new>

namespace zg {

// 64-byte alignment keeps AVX-512 loads aligned and rows off shared cache lines.
Storage::Storage(size_t nbytes_, Device device_) : nbytes(nbytes_), device(device_) {
  ZG_CHECK(device.type == DeviceType::CPU, "Storage: device {} is not built into this zerogen",
           device_name(device));
  size_t rounded = (std::max<size_t>(nbytes, 1) + 63) / 64 * 64;
  data = std::aligned_alloc(64, rounded);
  if (!data) throw Error(fmt::format("Storage: out of memory allocating {} bytes", nbytes));
}

Storage::~Storage() { std::free(data); }

}  // namespace zg
