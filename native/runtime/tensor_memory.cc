#include "runtime/tensor_memory.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <unordered_map>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#define CONVKIT_HAVE_MMAP 1
#endif

namespace convkit {
namespace {

// Why not aligned_alloc: glibc serves a 64-byte aligned request by over-allocating and splitting,
// so a freed block is slightly too small to serve the next request of the same size. With small
// allocations (Node's finalizer records) landing after each block, the heap then grows by the full
// block size on every alloc/free cycle until the GC runs (measured: +4 MB RSS per disposed 4 MB
// tensor). So:
//  - blocks >= kMmapBytes come from mmap (page aligned);
//  - smaller blocks are malloc(bytes + 64) aligned by hand, so a freed block fits the next
//    request of the same size exactly.
//
// Freed mappings are kept in a small cache instead of going straight back to the OS. A fresh
// mapping costs one page fault per 4 KiB on first touch, and the kernel serialises those faults:
// measured, relu over a fresh 1.2 MB output took 340 us on 1 or 2 threads (3.5 GB/s), almost all
// of it faulting, against ~40 us into a warm block. Training and batched inference allocate the
// same sizes step after step, so an exact-size hit is the common case. The cache is bounded
// (kDefaultCacheBytes, or CONVKIT_ALLOC_CACHE_MB; 0 disables it) and evicts the block freed longest
// ago, so RSS above the live tensors never exceeds that bound.
constexpr std::size_t kMmapBytes = 256 * 1024;
constexpr std::size_t kDefaultCacheBytes = 64u << 20;
// A cached mapping may serve a request up to this much smaller (waste bounded to 1/4).
constexpr std::size_t kReuseSlackDiv = 4;

std::size_t page_round(std::size_t bytes) {
  constexpr std::size_t kPage = 4096;
  return (bytes + kPage - 1) / kPage * kPage;
}

struct Entry {
  std::size_t bytes;     // requested size (what the stats count)
  std::size_t map_len;   // length of the mapping (mmap'ed blocks only)
  std::uint64_t id;
  void* raw;  // what to pass to free(), or the mapping (for mmap'ed blocks)
  bool mapped;
};

struct Cached {
  void* p;
  std::uint64_t seq;  // free order, for evicting the oldest
};

void raw_free(const Entry& e) {
#ifdef CONVKIT_HAVE_MMAP
  if (e.mapped) {
    munmap(e.raw, e.map_len);
    return;
  }
#endif
  std::free(e.raw);
}

struct Registry {
  std::mutex mutex;
  std::unordered_map<void*, Entry> live;
  std::size_t live_bytes = 0;
  std::size_t peak_bytes = 0;
  std::uint64_t next_id = 1;
  // Freed mappings by length.
  std::multimap<std::size_t, Cached> cache;
  std::size_t cached_bytes = 0;
  std::size_t cache_limit = kDefaultCacheBytes;
  std::uint64_t free_seq = 0;
  std::uint64_t cache_hits = 0;
};

std::size_t cache_limit_from_env() {
  const char* v = std::getenv("CONVKIT_ALLOC_CACHE_MB");
  if (!v || !*v) return kDefaultCacheBytes;
  char* end = nullptr;
  unsigned long long mb = std::strtoull(v, &end, 10);
  if (end == v || *end != '\0' || mb > (1ull << 20)) return kDefaultCacheBytes;
  return static_cast<std::size_t>(mb) << 20;
}

Registry& registry() {
  // Leaked on purpose: finalizers of worker_threads may run during process teardown, after static
  // destructors would have destroyed it.
  static Registry* r = [] {
    auto* reg = new Registry();
    reg->cache_limit = cache_limit_from_env();
    return reg;
  }();
  return *r;
}

#ifdef CONVKIT_HAVE_MMAP
// Unmaps cached blocks, oldest first, until at most `keep` bytes stay cached. Caller holds the lock.
void trim_cache(Registry& r, std::size_t keep) {
  while (r.cached_bytes > keep && !r.cache.empty()) {
    auto oldest = r.cache.begin();
    for (auto it = r.cache.begin(); it != r.cache.end(); ++it)
      if (it->second.seq < oldest->second.seq) oldest = it;
    munmap(oldest->second.p, oldest->first);
    r.cached_bytes -= oldest->first;
    r.cache.erase(oldest);
  }
}

// A cached mapping of at least `len` bytes and at most len + len/kReuseSlackDiv, or nullptr.
// Caller holds the lock.
void* take_cached(Registry& r, std::size_t len, std::size_t* got_len) {
  auto it = r.cache.lower_bound(len);
  if (it == r.cache.end() || it->first > len + len / kReuseSlackDiv) return nullptr;
  void* p = it->second.p;
  *got_len = it->first;
  r.cached_bytes -= it->first;
  r.cache.erase(it);
  ++r.cache_hits;
  return p;
}
#endif

void* raw_alloc(Registry& r, std::size_t bytes, bool zero, Entry* e) {
  e->bytes = bytes;
  e->map_len = 0;
#ifdef CONVKIT_HAVE_MMAP
  if (bytes >= kMmapBytes) {
    const std::size_t len = page_round(bytes);
    std::size_t got = 0;
    void* p = nullptr;
    {
      std::lock_guard<std::mutex> lk(r.mutex);
      p = take_cached(r, len, &got);
    }
    if (p) {
      // A recycled block holds old data; a fresh mapping is zero already.
      if (zero) std::memset(p, 0, bytes);
    } else {
      p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) throw std::bad_alloc();
      got = len;
    }
    e->raw = p;
    e->map_len = got;
    e->mapped = true;
    return p;
  }
#else
  (void)r;
#endif
  void* raw = zero ? std::calloc(1, bytes + 64) : std::malloc(bytes + 64);
  if (!raw) throw std::bad_alloc();
  e->raw = raw;
  e->mapped = false;
  auto a = (reinterpret_cast<std::uintptr_t>(raw) + 63) & ~static_cast<std::uintptr_t>(63);
  return reinterpret_cast<void*>(a);
}

// Returns a freed block to the cache (mappings that fit) or to the system. Caller holds the lock.
void release_block(Registry& r, const Entry& e) {
#ifdef CONVKIT_HAVE_MMAP
  if (e.mapped && r.cache_limit >= e.map_len) {
    r.cache.emplace(e.map_len, Cached{e.raw, ++r.free_seq});
    r.cached_bytes += e.map_len;
    trim_cache(r, r.cache_limit);
    return;
  }
#endif
  raw_free(e);
}

bool erase_and_free(Registry& r, std::unordered_map<void*, Entry>::iterator it) {
  Entry e = it->second;
  r.live_bytes -= e.bytes;
  r.live.erase(it);
  release_block(r, e);
  return true;
}

}  // namespace

TensorBlock tensor_alloc(std::size_t bytes, bool zero) {
  Registry& r = registry();
  Entry e{};
  void* p = raw_alloc(r, bytes, zero, &e);
  std::lock_guard<std::mutex> lk(r.mutex);
  e.id = r.next_id++;
  try {
    r.live.emplace(p, e);
  } catch (...) {
    release_block(r, e);
    throw;
  }
  r.live_bytes += bytes;
  if (r.live_bytes > r.peak_bytes) r.peak_bytes = r.live_bytes;
  return TensorBlock{p, e.id};
}

bool tensor_free(void* p) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lk(r.mutex);
  auto it = r.live.find(p);
  if (it == r.live.end()) return false;
  return erase_and_free(r, it);
}

bool tensor_release(void* p, std::uint64_t id) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lk(r.mutex);
  auto it = r.live.find(p);
  if (it == r.live.end() || it->second.id != id) return false;
  return erase_and_free(r, it);
}

long long tensor_block_size(void* p) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lk(r.mutex);
  auto it = r.live.find(p);
  return it == r.live.end() ? -1 : static_cast<long long>(it->second.bytes);
}

TensorMemoryStats tensor_memory_stats() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lk(r.mutex);
  return TensorMemoryStats{r.live_bytes, r.live.size(), r.next_id - 1, r.peak_bytes, r.cached_bytes, r.cache_hits};
}

void tensor_cache_release() {
#ifdef CONVKIT_HAVE_MMAP
  Registry& r = registry();
  std::lock_guard<std::mutex> lk(r.mutex);
  trim_cache(r, 0);
#endif
}

}  // namespace convkit
