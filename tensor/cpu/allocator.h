/// \file
/// Host memory for CPU storages, with a cache of freed large blocks.
///
/// A fresh large block from malloc is fresh mmap'd memory: the first write to each of its
/// pages is a page fault, and for op outputs of a few hundred KiB those faults can cost more
/// than the op itself (a 256x256 sgemm output: ~0.7 ms of faults for ~0.3 ms of compute).
/// Training loops allocate the same sizes step after step, so freed blocks of >= 64 KiB are
/// kept in size classes (<= 12.5% rounding) and handed out again already faulted in. The
/// cache holds at most ZEROGEN_CPU_CACHE_MB MiB (default 1024; 0 disables it); a block freed
/// beyond that goes back to the system.
#pragma once
#include <cstddef>

namespace zg::cpu {

void* alloc(size_t nbytes);            ///< 64-byte aligned; nullptr when out of memory
void release(void* p, size_t nbytes);  ///< nbytes as passed to alloc
void empty_cache();                    ///< returns every cached block to the system
size_t cached_bytes();

}  // namespace zg::cpu
