// Two output pixels in one vector, for max pooling with few channels: the low half of the vector
// holds pixel a's channels and the high half pixel b's (each masked to k <= H channels), so LeNet's
// C = 6 uses 12 of AVX-512's 16 lanes instead of 6. Lanes are independent in every op the pool
// kernels use (max, compare, masked add), so each pixel's result is bit for bit what the one-pixel
// path computes. H = 0 means no pairing for that vector type (scalar).
#pragma once
#include <cstdint>

#include "conv/simd_traits.h"

namespace convkit {
namespace {

template <class V>
struct PoolPair {
  static constexpr int H = 0;
  static typename V::T load2(const float*, const float*, int) { return V::zero(); }
  static void store2(float*, float*, typename V::T, int) {}
};

#if defined(__AVX2__)
template <>
struct PoolPair<VAvx2> {
  static constexpr int H = 4;
  static __m128i m(int k) { return _mm_cmpgt_epi32(_mm_set1_epi32(k), _mm_setr_epi32(0, 1, 2, 3)); }
  static __m256 load2(const float* a, const float* b, int k) {
    return _mm256_set_m128(_mm_maskload_ps(b, m(k)), _mm_maskload_ps(a, m(k)));
  }
  static void store2(float* a, float* b, __m256 v, int k) {
    _mm_maskstore_ps(a, m(k), _mm256_castps256_ps128(v));
    _mm_maskstore_ps(b, m(k), _mm256_extractf128_ps(v, 1));
  }
};
#endif

#if defined(__AVX512F__) && defined(__AVX512VL__) && defined(__AVX512DQ__)
template <>
struct PoolPair<VAvx512> {
  static constexpr int H = 8;
  static __mmask8 m(int k) { return (__mmask8)((1u << k) - 1); }  // 1 <= k <= 8
  static __m512 load2(const float* a, const float* b, int k) {
    return _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_maskz_loadu_ps(m(k), a)),
                              _mm256_maskz_loadu_ps(m(k), b), 1);
  }
  // The high half is stored with a full-width masked vmovups based 8 floats before b (lanes 8..8+k
  // land on b[0..k)): an extract-then-masked-store is fused by GCC into a masked vextractf32x8 to
  // memory, which faulted on this VM at the end of a buffer although the touched lanes were masked
  // off. Masked vmovups is the form V::storen already relies on.
  static void store2(float* a, float* b, __m512 v, int k) {
    _mm256_mask_storeu_ps(a, m(k), _mm512_castps512_ps256(v));
    float* b8 = reinterpret_cast<float*>(reinterpret_cast<std::uintptr_t>(b) - 8 * sizeof(float));
    _mm512_mask_storeu_ps(b8, static_cast<__mmask16>(static_cast<unsigned>(m(k)) << 8), v);
  }
};
#endif

}  // namespace
}  // namespace convkit
