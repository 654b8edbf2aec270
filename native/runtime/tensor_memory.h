// Tensor storage: 64-byte aligned blocks handed to JavaScript as external ArrayBuffers.
//
// Every live block is in a process-wide registry (all worker_threads share it), keyed by address
// and tagged with a unique id. A block is freed exactly once, by whichever comes first:
//  - tensor_free(p): dispose() in JS, after the binding has detached the ArrayBuffer;
//  - tensor_release(p, id): the ArrayBuffer's finalizer after garbage collection.
// The id makes the late finalizer of an early-freed block harmless even when the allocator has
// reused the same address for a new block.
#pragma once
#include <cstddef>
#include <cstdint>

namespace convkit {

struct TensorBlock {
  void* data;
  std::uint64_t id;
};

// Allocates `bytes` (>= 0) 64-byte aligned, zero-filled if `zero`. Throws std::bad_alloc.
TensorBlock tensor_alloc(std::size_t bytes, bool zero);
// Frees the block at p if it is live; returns false if p is not a live block.
bool tensor_free(void* p);
// Frees the block at p only if it is live with this id (finalizer path).
bool tensor_release(void* p, std::uint64_t id);
// Size in bytes of the live block at p, or -1 if p is not a live block.
long long tensor_block_size(void* p);

struct TensorMemoryStats {
  std::size_t live_bytes;
  std::size_t live_blocks;
  std::uint64_t total_allocations;
  std::size_t peak_bytes;
  std::size_t cached_bytes;     // freed mappings kept for reuse, tensors' and kernel scratch's
  std::uint64_t cache_hits;     // allocations served from that cache (runtime/mapping_cache.h)
};
TensorMemoryStats tensor_memory_stats();
// Returns every cached free mapping (tensor storage and kernel scratch) to the operating system.
void tensor_cache_release();

}  // namespace convkit
