/// \file
/// A cache of freed memory blocks in size classes, shared by the devices' allocators.
///
/// Training loops allocate the same sizes step after step. Handing a freed block out again
/// saves the system call and, on the CPU, the page faults of fresh memory; on a GPU it saves
/// cudaMalloc/cudaFree, which synchronise the device. Sizes from `min_cached` up are rounded to
/// one of 8 classes per power of two (<= 12.5% waste) and kept, up to `limit` bytes in all;
/// smaller ones are rounded to `granule` and go straight to the system.
#pragma once
#include <cstddef>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace zg {

class BlockCache {
 public:
  using SystemAlloc = void* (*)(size_t);  ///< nullptr when out of memory
  using SystemFree = void (*)(void*);
  BlockCache(SystemAlloc sys_alloc, SystemFree sys_free, size_t min_cached, size_t granule,
             size_t limit);

  /// A block of at least nbytes; nullptr when the system is out of memory even after the
  /// cache was given back.
  void* alloc(size_t nbytes);
  void release(void* p, size_t nbytes);  ///< nbytes as passed to alloc
  void empty();                          ///< returns every cached block to the system
  size_t cached_bytes();
  size_t size_class(size_t n) const;

 private:
  SystemAlloc sys_alloc_;
  SystemFree sys_free_;
  size_t min_cached_, granule_, limit_;
  std::mutex mu_;
  std::unordered_map<size_t, std::vector<void*>> free_blocks_;  // by size class
  size_t bytes_ = 0;
};

}  // namespace zg
