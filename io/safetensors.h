/// \file
/// safetensors checkpoints: the format Python's `safetensors` reads and writes.
///
/// Layout (https://github.com/huggingface/safetensors, "Format"): an 8-byte little-endian
/// header length N, N bytes of JSON {name: {"dtype", "shape", "data_offsets": [begin, end]},
/// optional "__metadata__": {str: str}} padded with spaces to a multiple of 8, then the data
/// buffer; offsets are relative to the buffer's start. We chose it over a home-made format so
/// that checkpoints and sample tensors can be opened from Python/NumPy for outside evaluation.
///
/// Reading is split in two: parse_safetensors_header() validates everything (it needs no
/// Tensor, so the fuzzer builds from a handful of files), then parse_safetensors() copies the
/// validated byte ranges into tensors. Every defect is a zg::Error naming the file, what is
/// wrong and, where it applies, the byte offset in the file.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace zg::io {

struct Safetensors {
  TensorDict tensors;
  std::map<std::string, std::string> metadata;
};

/// Writes atomically (`<path>.tmp.<pid>`, fsync, rename over path, fsync the directory).
/// Tensors may be non-contiguous views (contiguous copies are written); dtypes F32, F64, I64.
void save_safetensors(const std::string& path, const TensorDict& tensors,
                      const std::map<std::string, std::string>& metadata = {});
Safetensors load_safetensors(const std::string& path);
/// Parses an in-memory file; `name` (the path) is used in error messages.
Safetensors parse_safetensors(const uint8_t* data, size_t size, const std::string& name);

// ---- the validated header, without tensors (used by parse_safetensors and the fuzzer) ------
struct SafetensorsEntry {
  std::string name;
  DType dtype = kFloat32;
  Shape shape;
  uint64_t begin = 0, end = 0;  ///< byte range relative to the data buffer
};
struct SafetensorsHeader {
  std::vector<SafetensorsEntry> entries;  ///< in name order
  std::map<std::string, std::string> metadata;
  uint64_t data_start = 0;  ///< 8 + N: file offset of the data buffer
};
/// Guarantees on return: every range lies inside the buffer, has length numel × element
/// size, the ranges do not overlap and cover the buffer exactly (the spec forbids holes).
SafetensorsHeader parse_safetensors_header(const uint8_t* data, size_t size,
                                           const std::string& name);

/// The largest header accepted, as in the Python library.
inline constexpr uint64_t kSafetensorsMaxHeader = 100'000'000;

}  // namespace zg::io
