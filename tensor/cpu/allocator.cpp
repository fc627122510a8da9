#include "tensor/cpu/allocator.h"

#include <cstdlib>

#include <cstring>

#include "tensor/block_cache.h"
#include "tensor/cpu/cpu_backend.h"

namespace zg::cpu {

namespace {

BlockCache& cache() {
  // Leaked on purpose: storages may die after static teardown.
  static BlockCache* c = [] {
    const char* env = std::getenv("ZEROGEN_CPU_CACHE_MB");
    size_t limit = (env ? std::strtoull(env, nullptr, 10) : 1024) << 20;
    return new BlockCache([](size_t n) { return std::aligned_alloc(64, n); }, std::free,
                          size_t(64) << 10, 64, limit);
  }();
  return *c;
}

}  // namespace

void* alloc(size_t nbytes) { return cache().alloc(nbytes); }
void release(void* p, size_t nbytes) { cache().release(p, nbytes); }
void empty_cache() { cache().empty(); }
size_t cached_bytes() { return cache().cached_bytes(); }

}  // namespace zg::cpu

namespace zg {

void* CpuBackend::allocate(size_t nbytes) {
  void* p = cpu::alloc(nbytes);
  ZG_CHECK(p, "cpu: out of memory allocating {} bytes", nbytes);
  return p;
}
void CpuBackend::release(void* p, size_t nbytes) { cpu::release(p, nbytes); }
void CpuBackend::copy_from_host(void* dst, const void* src, size_t n) { std::memcpy(dst, src, n); }
void CpuBackend::copy_to_host(void* dst, const void* src, size_t n) { std::memcpy(dst, src, n); }

}  // namespace zg
