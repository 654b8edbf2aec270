// Lane masks for the max-pooling gradient, one specialisation per vector type of
// conv/simd_traits.h (kept here, beside their only user, rather than widening the shared traits).
//
// The gradient of a max goes to the first window row holding the maximum (TensorFlow's and
// PyTorch's tie rule). Vectorised: after the max m is known, walk the rows in order with a mask of
// lanes already served; row i takes the lanes where x_i == m and not yet served.
#pragma once
#include "conv/simd_traits.h"

namespace convkit {
namespace {

template <class V>
struct PoolMask;

template <>
struct PoolMask<VScalar> {
  using M = bool;
  static M none() { return false; }
  static M eq(float a, float b) { return a == b; }
  static M and_not(M a, M b) { return a && !b; }  // a & ~b
  static M either(M a, M b) { return a || b; }
  static float add_masked(float acc, float v, M m) { return m ? acc + v : acc; }
  static float relu_factor(float m) { return m > 0.f ? 1.f : 0.f; }  // [m > 0], as a float
};

#if defined(__AVX2__)
template <>
struct PoolMask<VAvx2> {
  using M = __m256;
  static M none() { return _mm256_setzero_ps(); }
  static M eq(__m256 a, __m256 b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
  static M and_not(M a, M b) { return _mm256_andnot_ps(b, a); }
  static M either(M a, M b) { return _mm256_or_ps(a, b); }
  static __m256 add_masked(__m256 acc, __m256 v, M m) { return _mm256_add_ps(acc, _mm256_and_ps(v, m)); }
  static __m256 relu_factor(__m256 m) {
    return _mm256_and_ps(_mm256_cmp_ps(m, _mm256_setzero_ps(), _CMP_GT_OQ), _mm256_set1_ps(1.f));
  }
};
#endif

#if defined(__AVX512F__)
template <>
struct PoolMask<VAvx512> {
  using M = __mmask16;
  static M none() { return 0; }
  static M eq(__m512 a, __m512 b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
  static M and_not(M a, M b) { return static_cast<M>(a & ~b); }
  static M either(M a, M b) { return static_cast<M>(a | b); }
  static __m512 add_masked(__m512 acc, __m512 v, M m) { return _mm512_mask_add_ps(acc, m, acc, v); }
  static __m512 relu_factor(__m512 m) {
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(m, _mm512_setzero_ps(), _CMP_GT_OQ), _mm512_set1_ps(1.f));
  }
};
#endif

}  // namespace
}  // namespace convkit
