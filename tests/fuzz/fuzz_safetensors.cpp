// libFuzzer target: safetensors header validation on arbitrary bytes.
//
// zg::Error is the expected answer to a bad file and is caught; anything else — a crash, an
// ASan/UBSan report, another exception escaping, or an accepted header that breaks the
// guarantees parse_safetensors_header documents — is a finding. The tensor copy that
// parse_safetensors does after validation is mirrored with plain buffers, so the fuzzer
// builds from io/safetensors_header.cpp and tensor/shape.cpp alone (no BLAS, no OpenMP).
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "io/safetensors.h"

static void require(bool ok) {
  if (!ok) __builtin_trap();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  zg::io::SafetensorsHeader h;
  try {
    h = zg::io::parse_safetensors_header(data, size, "fuzz.safetensors");
  } catch (const zg::Error&) {
    return 0;
  }
  require(h.data_start >= 8 && h.data_start <= size &&
          (h.data_start - 8) <= zg::io::kSafetensorsMaxHeader);
  const uint64_t buffer = size - h.data_start;
  uint64_t covered = 0;
  for (size_t i = 0; i < h.entries.size(); ++i) {
    const auto& e = h.entries[i];
    if (i > 0) require(h.entries[i - 1].name < e.name);  // name order, no duplicates
    require(e.name != "__metadata__");
    uint64_t numel = 1;
    for (int64_t s : e.shape) {
      require(s >= 0);
      numel *= static_cast<uint64_t>(s);  // cannot overflow: validated
    }
    require(e.begin <= e.end && e.end <= buffer);
    require(e.end - e.begin == numel * zg::element_size(e.dtype));
    covered += e.end - e.begin;
    // What parse_safetensors does next: copy the range out.
    std::vector<uint8_t> copy(e.end - e.begin);
    if (!copy.empty()) std::memcpy(copy.data(), data + h.data_start + e.begin, copy.size());
  }
  require(covered == buffer);  // no holes, no overlaps (they would make covered differ)
  return 0;
}
