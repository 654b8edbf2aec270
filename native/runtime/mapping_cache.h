// Anonymous page mappings for large blocks, with a bounded cache of freed ones.
//
// Shared by tensor storage (tensor_memory.cc) and kernel scratch (aligned.cc): both allocate the
// same large sizes call after call (a training step, a batch of inference), and a fresh mapping
// costs a page fault per 4 KiB on first touch, which the kernel serialises across threads. A
// freed mapping is kept (up to CONVKIT_ALLOC_CACHE_MB in all, default 64; 0 disables the cache)
// and handed to the next request of about its size; the block freed longest ago is unmapped first.
#pragma once
#include <cstddef>
#include <cstdint>

namespace convkit {

// True where mappings are available (POSIX); elsewhere callers use malloc.
bool mapping_supported();

struct Mapping {
  void* p;          // page aligned; 2 MiB aligned for a fresh mapping of 4 MiB or more (huge pages)
  std::size_t len;  // >= the requested bytes, a whole number of pages
};
// Whether fresh mappings of 4 MiB or more are 2 MiB aligned and advised for huge pages
// (mapping_cache.cc; CONVKIT_HUGEPAGES=0 turns it off).
bool mapping_huge_pages();
// A mapping of at least `bytes`: a cached one (old contents; at most a quarter larger) or a fresh
// one (zero-filled). `recycled` says which. Throws std::bad_alloc.
Mapping mapping_acquire(std::size_t bytes, bool* recycled);
// Returns a mapping to the cache, or to the system when the cache cannot hold it.
void mapping_release(Mapping m) noexcept;

struct MappingCacheStats {
  std::size_t cached_bytes;
  std::uint64_t hits;
};
MappingCacheStats mapping_cache_stats();
// Unmaps every cached mapping.
void mapping_cache_clear();

}  // namespace convkit
