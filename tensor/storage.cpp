#include "tensor/storage.h"

#include "tensor/backend.h"

namespace zg {

// Each device's memory comes from its backend (both cache freed blocks: tensor/block_cache.h).
Storage::Storage(size_t nbytes_, Device device_) : nbytes(nbytes_), device(device_) {
  data = backend_for(device).allocate(nbytes);
}

Storage::~Storage() { backend_for(device).release(data, nbytes); }

}  // namespace zg
