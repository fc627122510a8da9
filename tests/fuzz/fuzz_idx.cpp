// libFuzzer target: IDX parsing (raw, and gzip'd — inflate runs on fuzzer bytes too).
//
// zg::Error is the expected answer to a bad file and is caught; a crash, a sanitizer report,
// another exception, or an accepted file whose data size disagrees with its dims is a
// finding. Builds from data/idx.cpp alone (+ fmt, zlib).
#include <cstdint>

#include "data/idx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    zg::data::IdxArray a = zg::data::parse_idx(data, size, "fuzz.idx");
    uint64_t n = 1;
    for (int64_t d : a.dims) {
      if (d <= 0) __builtin_trap();
      n *= static_cast<uint64_t>(d);
    }
    if (a.dims.empty() || a.dims.size() > 4 || n != a.data.size()) __builtin_trap();
  } catch (const zg::Error&) {
  }
  return 0;
}
