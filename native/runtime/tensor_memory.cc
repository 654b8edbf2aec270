#include "runtime/tensor_memory.h"

#include <cstring>
#include <mutex>
#include <unordered_map>

#include "runtime/aligned.h"

namespace convkit {
namespace {

struct Entry {
  std::size_t bytes;
  std::uint64_t id;
};

struct Registry {
  std::mutex mutex;
  std::unordered_map<void*, Entry> live;
  std::size_t live_bytes = 0;
  std::size_t peak_bytes = 0;
  std::uint64_t next_id = 1;
};

Registry& registry() {
  // Leaked on purpose: finalizers of worker_threads may run during process teardown, after static
  // destructors would have destroyed it.
  static Registry* r = new Registry();
  return *r;
}

bool erase_and_free(Registry& r, std::unordered_map<void*, Entry>::iterator it) {
  void* p = it->first;
  r.live_bytes -= it->second.bytes;
  r.live.erase(it);
  aligned_free(p);
  return true;
}

}  // namespace

TensorBlock tensor_alloc(std::size_t bytes, bool zero) {
  void* p = aligned_malloc(bytes);
  if (zero) std::memset(p, 0, bytes);
  Registry& r = registry();
  std::lock_guard<std::mutex> lk(r.mutex);
  std::uint64_t id = r.next_id++;
  try {
    r.live.emplace(p, Entry{bytes, id});
  } catch (...) {
    aligned_free(p);
    throw;
  }
  r.live_bytes += bytes;
  if (r.live_bytes > r.peak_bytes) r.peak_bytes = r.live_bytes;
  return TensorBlock{p, id};
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
  return TensorMemoryStats{r.live_bytes, r.live.size(), r.next_id - 1, r.peak_bytes};
}

}  // namespace convkit
