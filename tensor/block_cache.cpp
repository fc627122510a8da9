#include "tensor/block_cache.h"

#include <algorithm>

namespace zg {

BlockCache::BlockCache(SystemAlloc sys_alloc, SystemFree sys_free, size_t min_cached,
                       size_t granule, size_t limit)
    : sys_alloc_(sys_alloc),
      sys_free_(sys_free),
      min_cached_(min_cached),
      granule_(granule),
      limit_(limit) {}

size_t BlockCache::size_class(size_t n) const {
  n = std::max<size_t>(n, 1);
  if (n < min_cached_) return (n + granule_ - 1) / granule_ * granule_;
  const int top = 63 - __builtin_clzll(n);
  const size_t step = std::max(top > 3 ? size_t(1) << (top - 3) : size_t(1), granule_);
  return (n + step - 1) / step * step;
}

void* BlockCache::alloc(size_t nbytes) {
  const size_t size = size_class(nbytes);
  if (size >= min_cached_) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = free_blocks_.find(size);
    if (it != free_blocks_.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      bytes_ -= size;
      return p;
    }
  }
  void* p = sys_alloc_(size);
  if (!p && cached_bytes() > 0) {  // out of memory: give the cache back and retry once
    empty();
    p = sys_alloc_(size);
  }
  return p;
}

void BlockCache::release(void* p, size_t nbytes) {
  if (!p) return;
  const size_t size = size_class(nbytes);
  if (size >= min_cached_) {
    std::lock_guard<std::mutex> lock(mu_);
    if (bytes_ + size <= limit_) {
      free_blocks_[size].push_back(p);
      bytes_ += size;
      return;
    }
  }
  sys_free_(p);
}

void BlockCache::empty() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [size, blocks] : free_blocks_)
    for (void* p : blocks) sys_free_(p);
  free_blocks_.clear();
  bytes_ = 0;
}

size_t BlockCache::cached_bytes() {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

}  // namespace zg
