#include "runtime/aligned.h"

#include <cstdint>
#include <cstdlib>
#include <new>

#include "runtime/mapping_cache.h"

namespace convkit {
namespace {

// Below this, malloc's own free lists already reuse blocks without touching the OS; above it,
// glibc's dynamic mmap threshold hands big blocks back to the kernel on free (and, off the main
// thread, non-main arenas shrink their heaps with madvise), so the next call faults them in again:
// the conv bench counted ~250 minor faults per 3x3 VGG conv on a libuv thread.
// Under AddressSanitizer everything goes through malloc, which ASan instruments for overflows.
#if defined(__SANITIZE_ADDRESS__)
constexpr std::size_t kScratchMapBytes = SIZE_MAX;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr std::size_t kScratchMapBytes = SIZE_MAX;
#else
constexpr std::size_t kScratchMapBytes = 256 * 1024;
#endif
#else
constexpr std::size_t kScratchMapBytes = 256 * 1024;
#endif

// Sits in the 64 bytes before every block.
struct Header {
  void* base;           // malloc'ed pointer, or the mapping
  std::size_t map_len;  // mapping length, 0 for malloc'ed blocks
};
static_assert(sizeof(Header) <= kAlignment, "header must fit the alignment pad");

}  // namespace

void* aligned_malloc(std::size_t bytes) {
  const std::size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  if (rounded >= kScratchMapBytes && mapping_supported()) {
    bool recycled = false;
    Mapping m = mapping_acquire(rounded + kAlignment, &recycled);
    auto* h = static_cast<Header*>(m.p);
    h->base = m.p;
    h->map_len = m.len;
    return static_cast<char*>(m.p) + kAlignment;
  }
  void* raw = std::malloc(rounded + 2 * kAlignment);
  if (!raw) throw std::bad_alloc();
  auto a = (reinterpret_cast<std::uintptr_t>(raw) + kAlignment + kAlignment - 1) & ~(std::uintptr_t{kAlignment} - 1);
  auto* h = reinterpret_cast<Header*>(a - kAlignment);
  h->base = raw;
  h->map_len = 0;
  return reinterpret_cast<void*>(a);
}

void aligned_free(void* p) noexcept {
  if (!p) return;
  const Header h = *reinterpret_cast<Header*>(static_cast<char*>(p) - kAlignment);
  if (h.map_len) mapping_release(Mapping{h.base, h.map_len});
  else std::free(h.base);
}

}  // namespace convkit
