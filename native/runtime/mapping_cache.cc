#include "runtime/mapping_cache.h"

#include <cstdint>
#include <cstdlib>
#include <map>
#include <mutex>
#include <new>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#define CONVKIT_HAVE_MMAP 1
#endif

namespace convkit {
namespace {

constexpr std::size_t kDefaultCacheBytes = 64u << 20;
// A cached mapping may serve a request up to this much smaller (waste bounded to 1/4).
constexpr std::size_t kReuseSlackDiv = 4;
constexpr std::size_t kPage = 4096;

struct Cached {
  void* p;
  std::uint64_t seq;  // free order, for evicting the oldest
};

struct Cache {
  std::mutex mutex;
  std::multimap<std::size_t, Cached> blocks;  // by length
  std::size_t cached_bytes = 0;
  std::size_t limit = kDefaultCacheBytes;
  std::uint64_t seq = 0;
  std::uint64_t hits = 0;
};

std::size_t limit_from_env() {
  const char* v = std::getenv("CONVKIT_ALLOC_CACHE_MB");
  if (!v || !*v) return kDefaultCacheBytes;
  char* end = nullptr;
  unsigned long long mb = std::strtoull(v, &end, 10);
  if (end == v || *end != '\0' || mb > (1ull << 20)) return kDefaultCacheBytes;
  return static_cast<std::size_t>(mb) << 20;
}

Cache& cache() {
  // Leaked on purpose: finalizers of worker_threads may free tensors during process teardown,
  // after static destructors would have destroyed it.
  static Cache* c = [] {
    auto* x = new Cache();
    x->limit = limit_from_env();
    return x;
  }();
  return *c;
}

#ifdef CONVKIT_HAVE_MMAP
// Large blocks (weights, Winograd/FFT transforms, arenas, big tensors) are placed on 2 MiB
// boundaries and marked MADV_HUGEPAGE, so that under THP's default "madvise" mode the kernel backs
// them with 2 MiB pages: a model streaming its ~50 MB of weights per batch-1 inference otherwise
// touches ~12k 4 KiB pages per call, far past the L2 TLB's reach (a few thousand entries), and
// every new page costs a page walk. Only whole 2 MiB pages inside the block are advised, so no
// physical memory is added. CONVKIT_HUGEPAGES=0 turns it off (for A/B measurements).
constexpr std::size_t kHuge = 2u << 20;
constexpr std::size_t kHugeMinBytes = 4u << 20;

// A mapping of `len` bytes starting on a 2 MiB boundary: over-map by 2 MiB, unmap the slack.
Mapping map_huge(std::size_t len) {
  void* raw = mmap(nullptr, len + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto base = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t start = (base + kHuge - 1) & ~(std::uintptr_t{kHuge} - 1);
  if (start > base) munmap(raw, start - base);
  const std::uintptr_t end = start + len, raw_end = base + len + kHuge;
  if (raw_end > end) munmap(reinterpret_cast<void*>(end), raw_end - end);
  void* p = reinterpret_cast<void*>(start);
#ifdef MADV_HUGEPAGE
  madvise(p, len / kHuge * kHuge, MADV_HUGEPAGE);  // advice only: ignored where THP is off
#endif
  return Mapping{p, len};
}

// Unmaps cached blocks, oldest first, until at most `keep` bytes stay cached. Caller holds the lock.
void trim(Cache& c, std::size_t keep) {
  while (c.cached_bytes > keep && !c.blocks.empty()) {
    auto oldest = c.blocks.begin();
    for (auto it = c.blocks.begin(); it != c.blocks.end(); ++it)
      if (it->second.seq < oldest->second.seq) oldest = it;
    munmap(oldest->second.p, oldest->first);
    c.cached_bytes -= oldest->first;
    c.blocks.erase(oldest);
  }
}
#endif

}  // namespace

bool mapping_huge_pages() {
#ifdef CONVKIT_HAVE_MMAP
  static const bool on = [] {
    const char* v = std::getenv("CONVKIT_HUGEPAGES");
    return !(v && v[0] == '0' && v[1] == '\0');
  }();
  return on;
#else
  return false;
#endif
}

bool mapping_supported() {
#ifdef CONVKIT_HAVE_MMAP
  return true;
#else
  return false;
#endif
}

Mapping mapping_acquire(std::size_t bytes, bool* recycled) {
#ifdef CONVKIT_HAVE_MMAP
  const std::size_t len = (bytes + kPage - 1) / kPage * kPage;
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lk(c.mutex);
    auto it = c.blocks.lower_bound(len);
    if (it != c.blocks.end() && it->first <= len + len / kReuseSlackDiv) {
      Mapping m{it->second.p, it->first};
      c.cached_bytes -= it->first;
      c.blocks.erase(it);
      ++c.hits;
      *recycled = true;
      return m;
    }
  }
  *recycled = false;
  if (len >= kHugeMinBytes && mapping_huge_pages()) return map_huge(len);
  void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  return Mapping{p, len};
#else
  (void)bytes;
  (void)recycled;
  throw std::bad_alloc();
#endif
}

void mapping_release(Mapping m) noexcept {
#ifdef CONVKIT_HAVE_MMAP
  Cache& c = cache();
  std::lock_guard<std::mutex> lk(c.mutex);
  if (c.limit >= m.len) {
    c.blocks.emplace(m.len, Cached{m.p, ++c.seq});
    c.cached_bytes += m.len;
    trim(c, c.limit);
    return;
  }
  munmap(m.p, m.len);
#else
  (void)m;
#endif
}

MappingCacheStats mapping_cache_stats() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lk(c.mutex);
  return MappingCacheStats{c.cached_bytes, c.hits};
}

void mapping_cache_clear() {
#ifdef CONVKIT_HAVE_MMAP
  Cache& c = cache();
  std::lock_guard<std::mutex> lk(c.mutex);
  trim(c, 0);
#endif
}

}  // namespace convkit
