// 64-byte aligned buffers: one cache line, and the width of an AVX-512 register, so that kernels may
// use aligned loads on tensor data and packed panels never straddle lines at their start.
#pragma once
#include <cstddef>
#include <memory>
#include <new>

namespace convkit {

constexpr std::size_t kAlignment = 64;

// Kernel scratch and packed panels. Blocks of kScratchMapBytes and up come from the shared mapping
// cache (runtime/mapping_cache.h), so the column buffers, Winograd/FFT tiles and GEMM panels that
// every call of a layer needs again are not faulted in afresh each time (measured with the conv
// bench: see aligned.cc). Smaller ones are malloc'ed. Either way a 64-byte header before the
// block records how to free it. Throws std::bad_alloc.
void* aligned_malloc(std::size_t bytes);
void aligned_free(void* p) noexcept;

struct AlignedDeleter {
  void operator()(void* p) const noexcept { aligned_free(p); }
};
template <typename T>
using AlignedPtr = std::unique_ptr<T[], AlignedDeleter>;

template <typename T>
AlignedPtr<T> aligned_array(std::size_t n) {
  return AlignedPtr<T>(static_cast<T*>(aligned_malloc(n * sizeof(T))));
}

}  // namespace convkit
