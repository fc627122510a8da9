#include "tensor/storage.h"

#include "tensor/cpu/allocator.h"

namespace zg {

// Host memory comes from tensor/cpu/allocator (a cache of freed large blocks); its
// 64-byte alignment keeps AVX-512 loads aligned and rows off shared cache lines.
Storage::Storage(size_t nbytes_, Device device_) : nbytes(nbytes_), device(device_) {
  ZG_CHECK(device.type == DeviceType::CPU, "Storage: device {} is not built into this zerogen",
           device_name(device));
  data = cpu::alloc(nbytes);
  if (!data) throw Error(fmt::format("Storage: out of memory allocating {} bytes", nbytes));
}

Storage::~Storage() { cpu::release(data, nbytes); }

}  // namespace zg
