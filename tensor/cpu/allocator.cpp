#include "tensor/cpu/allocator.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace zg::cpu {

namespace {

constexpr size_t kMinCached = size_t(64) << 10;

// Rounds n up to 64 bytes below kMinCached, else to one of 8 classes per power of two.
size_t size_class(size_t n) {
  if (n < kMinCached) return (std::max<size_t>(n, 1) + 63) / 64 * 64;
  int top = 63 - __builtin_clzll(n);
  size_t step = size_t(1) << (top - 3);
  return (n + step - 1) / step * step;
}

struct Cache {
  std::mutex mu;
  std::unordered_map<size_t, std::vector<void*>> free_blocks;  // by size class
  size_t bytes = 0;
  size_t limit;
  Cache() {
    const char* env = std::getenv("ZEROGEN_CPU_CACHE_MB");
    limit = (env ? std::strtoull(env, nullptr, 10) : 1024) << 20;
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mu);
    for (auto& [size, blocks] : free_blocks)
      for (void* p : blocks) std::free(p);
    free_blocks.clear();
    bytes = 0;
  }
};

Cache& cache() {
  static Cache* c = new Cache;  // leaked on purpose: storages may die after static teardown
  return *c;
}

}  // namespace

void* alloc(size_t nbytes) {
  const size_t size = size_class(nbytes);
  if (size >= kMinCached) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mu);
    auto it = c.free_blocks.find(size);
    if (it != c.free_blocks.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      c.bytes -= size;
      return p;
    }
  }
  void* p = std::aligned_alloc(64, size);
  if (!p && cached_bytes() > 0) {  // out of memory: give the cache back and retry once
    empty_cache();
    p = std::aligned_alloc(64, size);
  }
  return p;
}

void release(void* p, size_t nbytes) {
  if (!p) return;
  const size_t size = size_class(nbytes);
  if (size >= kMinCached) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mu);
    if (c.bytes + size <= c.limit) {
      c.free_blocks[size].push_back(p);
      c.bytes += size;
      return;
    }
  }
  std::free(p);
}

void empty_cache() { cache().clear(); }

size_t cached_bytes() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  return c.bytes;
}

}  // namespace zg::cpu
