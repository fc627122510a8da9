/// \file
/// A flat, ref-counted buffer of bytes on one device. Views share it; the version counter
/// counts in-place writes so autograd can tell when a tensor it saved was modified.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

#include "tensor/dtype.h"

namespace zg {

struct Storage {
  Storage(size_t nbytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data = nullptr;
  size_t nbytes = 0;
  Device device;
  uint64_t version = 0;
};

}  // namespace zg
