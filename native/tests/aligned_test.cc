// Kernel scratch (runtime/aligned.h): alignment and usable size for small and mapped blocks, reuse
// of freed large blocks through the shared mapping cache, and concurrent use from several threads.
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "runtime/aligned.h"
#include "runtime/mapping_cache.h"
#include "runtime/tensor_memory.h"
#include "tests/test_util.h"

using namespace convkit;

int main() {
  // Every size is 64-byte aligned and writable to its last byte (ASan checks the malloc'ed ones).
  for (std::size_t bytes : {0u, 1u, 63u, 64u, 65u, 4096u, 262143u, 262144u, 262145u, 5000001u}) {
    auto* p = static_cast<unsigned char*>(aligned_malloc(bytes));
    CK_CHECK(reinterpret_cast<std::uintptr_t>(p) % kAlignment == 0);
    if (bytes) {
      std::memset(p, 0xab, bytes);
      CK_CHECK(p[bytes - 1] == 0xab);
    }
    aligned_free(p);
  }
  aligned_free(nullptr);

#if !defined(__SANITIZE_ADDRESS__)
  if (mapping_supported()) {
    // A large block freed and asked for again comes back from the cache: no new mapping, no page
    // faults; its old contents are not cleared (scratch is always written before it is read).
    mapping_cache_clear();
    const std::size_t n = 3u << 20;
    auto* a = static_cast<float*>(aligned_malloc(n));
    a[0] = 42.f;
    aligned_free(a);
    CK_CHECK(mapping_cache_stats().cached_bytes >= n);
    const auto hits = mapping_cache_stats().hits;
    auto* b = static_cast<float*>(aligned_malloc(n));
    CK_CHECK(b == a && b[0] == 42.f);
    CK_CHECK(mapping_cache_stats().hits == hits + 1);
    aligned_free(b);
    // A fresh mapping of 4 MiB or more starts on a 2 MiB boundary (huge pages), keeps its exact
    // length (only whole 2 MiB pages inside it are advised, nothing is added) and is usable to
    // its last byte; one of 4 MiB less a page is an ordinary mapping of that length.
    if (mapping_huge_pages()) {
      for (std::size_t len : {std::size_t{4} << 20, (std::size_t{5} << 20) + 4096, (std::size_t{4} << 20) - 4096}) {
        mapping_cache_clear();
        bool recycled = true;
        Mapping m = mapping_acquire(len, &recycled);
        CK_CHECK(!recycled && m.len == len);
        const bool huge = len >= (std::size_t{4} << 20);
        CK_CHECK(!huge || reinterpret_cast<std::uintptr_t>(m.p) % (std::size_t{2} << 20) == 0);
        auto* bytes = static_cast<unsigned char*>(m.p);
        std::memset(bytes, 0x5a, len);
        CK_CHECK(bytes[0] == 0x5a && bytes[len - 1] == 0x5a);
        mapping_release(m);
      }
    }
    // The cache is the tensors' one: releasing tensor memory clears scratch too.
    tensor_cache_release();
    CK_CHECK(mapping_cache_stats().cached_bytes == 0);
  }
#endif

  // Threads allocating and freeing mixed sizes at once (the pool's workers do this in kernels).
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([t] {
      for (int i = 0; i < 200; ++i) {
        std::size_t bytes = (i % 3 == 0) ? (1u << 20) + 64u * static_cast<unsigned>(t) : 1000u + static_cast<unsigned>(i);
        auto* p = static_cast<unsigned char*>(aligned_malloc(bytes));
        p[0] = p[bytes - 1] = static_cast<unsigned char>(i);
        CK_CHECK(p[0] == p[bytes - 1]);
        aligned_free(p);
      }
    });
  for (auto& th : ts) th.join();
  CK_CHECK(mapping_cache_stats().cached_bytes <= (std::size_t)64 << 20);
  return test::finish("aligned_test");
}
