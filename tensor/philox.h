/// \file
/// Philox4x32-10 (Salmon et al. 2011), the counter-based generator behind every random draw:
/// one definition for the CPU and for the CUDA kernels (plain C++, callable from device code
/// when nvcc compiles it), so both devices draw the same stream from a seed.
#pragma once
#include <cstdint>

#ifdef __CUDACC__
#define ZG_HOST_DEVICE __host__ __device__
#else
#define ZG_HOST_DEVICE
#endif

namespace zg {

/// Four 32-bit words of one Philox block.
struct PhiloxBlock {
  uint32_t word[4];
  ZG_HOST_DEVICE uint32_t operator[](int i) const { return word[i]; }
};

/// The block for one counter under one key (ten rounds).
ZG_HOST_DEVICE inline PhiloxBlock philox4x32(uint64_t counter, uint64_t key) {
  constexpr uint32_t kM0 = 0xD2511F53, kM1 = 0xCD9E8D57, kW0 = 0x9E3779B9, kW1 = 0xBB67AE85;
  uint32_t c0 = static_cast<uint32_t>(counter), c1 = static_cast<uint32_t>(counter >> 32);
  uint32_t c2 = 0, c3 = 0;
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    uint64_t p0 = static_cast<uint64_t>(kM0) * c0, p1 = static_cast<uint64_t>(kM1) * c2;
    uint32_t hi0 = p0 >> 32, lo0 = static_cast<uint32_t>(p0);
    uint32_t hi1 = p1 >> 32, lo1 = static_cast<uint32_t>(p1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += kW0;
    k1 += kW1;
  }
  return {{c0, c1, c2, c3}};
}

/// Uniform in (0, 1] with 53 random bits, from a 64-bit draw (never 0, so log() is safe).
ZG_HOST_DEVICE inline double uniform_from_bits(uint32_t hi, uint32_t lo) {
  uint64_t bits = (static_cast<uint64_t>(hi) << 32 | lo) >> 11;
  return (static_cast<double>(bits) + 1.0) * 0x1.0p-53;
}

}  // namespace zg
