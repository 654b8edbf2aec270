#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "runtime/tensor_memory.h"
#include "tests/test_util.h"

using namespace convkit;

int main() {
  auto base = tensor_memory_stats();
  // Alignment, zero fill, sizes (including 0 bytes).
  for (std::size_t bytes : {0u, 1u, 3u, 64u, 100u, 4096u, 1000003u}) {
    TensorBlock b = tensor_alloc(bytes, true);
    CK_CHECK(reinterpret_cast<std::uintptr_t>(b.data) % 64 == 0);
    CK_CHECK(tensor_block_size(b.data) == static_cast<long long>(bytes));
    const unsigned char* c = static_cast<const unsigned char*>(b.data);
    bool zero = true;
    for (std::size_t i = 0; i < bytes; ++i) zero = zero && c[i] == 0;
    CK_CHECK(zero);
    CK_CHECK(tensor_memory_stats().live_bytes == base.live_bytes + bytes);
    CK_CHECK(tensor_free(b.data));
    CK_CHECK(!tensor_free(b.data));  // double free is refused, not a crash
    CK_CHECK(tensor_block_size(b.data) == -1);
  }
  // The finalizer path never frees a reused address that belongs to a newer block.
  TensorBlock a = tensor_alloc(256, false);
  CK_CHECK(tensor_free(a.data));
  TensorBlock b = tensor_alloc(256, false);
  if (b.data == a.data) CK_CHECK(!tensor_release(a.data, a.id));
  CK_CHECK(tensor_release(b.data, b.id));
  CK_CHECK(!tensor_release(b.data, b.id));
  // Concurrent allocation and release from several threads.
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([] {
      std::vector<TensorBlock> blocks;
      for (int i = 0; i < 2000; ++i) blocks.push_back(tensor_alloc(static_cast<std::size_t>(i % 97) * 4, i % 2));
      for (auto& blk : blocks) CK_CHECK(tensor_release(blk.data, blk.id));
    });
  for (auto& t : ts) t.join();
  // Freed large blocks are cached and recycled: a recycled block asked for zeros is zeroed, and the
  // cache stays within its bound (64 MiB unless CONVKIT_ALLOC_CACHE_MB says otherwise).
  {
    const std::size_t big = 3 * 1000 * 1000 + 17;
    TensorBlock x = tensor_alloc(big, false);
    std::memset(x.data, 0xAB, big);
    CK_CHECK(tensor_free(x.data));
    auto before = tensor_memory_stats();
    TensorBlock y = tensor_alloc(big - 5000, true);  // smaller request may reuse the mapping
    auto after = tensor_memory_stats();
    if (after.cache_hits > before.cache_hits) CK_CHECK(after.cached_bytes < before.cached_bytes);
    const unsigned char* c = static_cast<const unsigned char*>(y.data);
    bool zero = true;
    for (std::size_t i = 0; i < big - 5000; ++i) zero = zero && c[i] == 0;
    CK_CHECK(zero);
    CK_CHECK(reinterpret_cast<std::uintptr_t>(y.data) % 64 == 0);
    CK_CHECK(tensor_free(y.data));
    // Far more than the bound passes through; what stays cached never exceeds it.
    std::vector<TensorBlock> many;
    for (int i = 0; i < 40; ++i) many.push_back(tensor_alloc((std::size_t)(1 + i % 7) << 20, false));
    for (auto& blk : many) CK_CHECK(tensor_free(blk.data));
    CK_CHECK(tensor_memory_stats().cached_bytes <= (std::size_t)64 << 20);
    CK_CHECK(tensor_memory_stats().cached_bytes > 0);
    tensor_cache_release();
    CK_CHECK(tensor_memory_stats().cached_bytes == 0);
  }
  auto end = tensor_memory_stats();
  CK_CHECK(end.live_bytes == base.live_bytes);
  CK_CHECK(end.live_blocks == base.live_blocks);
  return test::finish("tensor_memory_test");
}
