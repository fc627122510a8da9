/// \file
/// Seedable, counter-based random numbers (Philox4x32-10, tensor/philox.h).
///
/// Element i of a draw is a pure function of (seed, offset + i), so the stream is the same
/// whatever the thread count or device, and a generator's whole state is two integers.
#pragma once
#include <cstdint>

#include "tensor/philox.h"

namespace zg {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) : seed_(seed) {}
  void manual_seed(uint64_t seed) {
    seed_ = seed;
    offset_ = 0;
  }
  uint64_t seed() const { return seed_; }
  uint64_t offset() const { return offset_; }
  void set_state(uint64_t seed, uint64_t offset) {
    seed_ = seed;
    offset_ = offset;
  }
  /// Reserves n counters and returns the first.
  uint64_t advance(uint64_t n) {
    uint64_t o = offset_;
    offset_ += n;
    return o;
  }

 private:
  uint64_t seed_;
  uint64_t offset_ = 0;
};

Generator& default_generator();
void manual_seed(uint64_t seed);

}  // namespace zg
