// 64-byte aligned buffers: one cache line, and the width of an AVX-512 register, so that kernels may
// use aligned loads on tensor data and packed panels never straddle lines at their start.
#pragma once
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>

namespace convkit {

constexpr std::size_t kAlignment = 64;

inline void* aligned_malloc(std::size_t bytes) {
  std::size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  void* p = std::aligned_alloc(kAlignment, rounded == 0 ? kAlignment : rounded);
  if (!p) throw std::bad_alloc();
  return p;
}
inline void aligned_free(void* p) noexcept { std::free(p); }

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
