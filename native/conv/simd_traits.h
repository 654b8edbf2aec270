// Vector traits for the convolution and pooling kernels: one template body per kernel, instantiated
// once per ISA in the *_avx512.cc / *_avx2.cc / *_scalar.cc files (each compiled with its own flags).
//
// Everything here has internal linkage (anonymous namespace) and uses no std:: functions, so an
// AVX-512 instantiation can never be picked by the linker for a baseline caller (the ODR trap of
// compiling the same inline function with different -m flags).
#pragma once
#include <cstddef>
#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace convkit {
namespace {

inline std::size_t ck_min(std::size_t a, std::size_t b) { return a < b ? a : b; }

struct VScalar {
  using T = float;
  static constexpr int W = 1;
  static T zero() { return 0.f; }
  static T bcast(float x) { return x; }
  static T load(const float* p) { return *p; }
  static T loadn(const float* p, int n) { return n > 0 ? *p : 0.f; }
  static T loadn2(const float* p0, const float*, int n) { return n > 0 ? *p0 : 0.f; }  // 2n <= 1: never used
  static void store(float* p, T v) { *p = v; }
  static void storen(float* p, T v, int n) {
    if (n > 0) *p = v;
  }
  static void stream(float* p, T v) { *p = v; }  // no non-temporal scalar store worth having
  static T fma(T a, T b, T c) { return a * b + c; }
  static T add(T a, T b) { return a + b; }
  static T sub(T a, T b) { return a - b; }
  static T mul(T a, T b) { return a * b; }
  static T max(T a, T b) { return a > b ? a : b; }
};

#if defined(__AVX2__)
struct VAvx2 {
  using T = __m256;
  static constexpr int W = 8;
  static T zero() { return _mm256_setzero_ps(); }
  static T bcast(float x) { return _mm256_set1_ps(x); }
  static T load(const float* p) { return _mm256_loadu_ps(p); }
  static __m256i mask(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static T loadn(const float* p, int n) { return _mm256_maskload_ps(p, mask(n)); }
  // Lanes [0, n) from p0 and [n, 2n) from p1 (2n <= W), the rest zero; masked lanes are not read.
  static T loadn2(const float* p0, const float* p1, int n) {
    const __m256i hi = _mm256_andnot_si256(mask(n), mask(2 * n));
    return _mm256_or_ps(loadn(p0, n), _mm256_maskload_ps(p1 - n, hi));
  }
  static void store(float* p, T v) { _mm256_storeu_ps(p, v); }
  static void storen(float* p, T v, int n) { _mm256_maskstore_ps(p, mask(n), v); }
  // Non-temporal store (no read-for-ownership of the line; p 32-byte aligned).
  static void stream(float* p, T v) { _mm256_stream_ps(p, v); }
  static T fma(T a, T b, T c) { return _mm256_fmadd_ps(a, b, c); }
  static T add(T a, T b) { return _mm256_add_ps(a, b); }
  static T sub(T a, T b) { return _mm256_sub_ps(a, b); }
  static T mul(T a, T b) { return _mm256_mul_ps(a, b); }
  static T max(T a, T b) { return _mm256_max_ps(a, b); }
};
#endif

#if defined(__AVX512F__)
struct VAvx512 {
  using T = __m512;
  static constexpr int W = 16;
  static T zero() { return _mm512_setzero_ps(); }
  static T bcast(float x) { return _mm512_set1_ps(x); }
  static T load(const float* p) { return _mm512_loadu_ps(p); }
  static __mmask16 mask(int n) { return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1); }
  static T loadn(const float* p, int n) { return _mm512_maskz_loadu_ps(mask(n), p); }
  // Lanes [0, n) from p0 and [n, 2n) from p1 (2n <= W), the rest zero; masked lanes are not read.
  static T loadn2(const float* p0, const float* p1, int n) {
    return _mm512_mask_loadu_ps(loadn(p0, n), (__mmask16)(mask(2 * n) & ~mask(n)), p1 - n);
  }
  static void store(float* p, T v) { _mm512_storeu_ps(p, v); }
  static void storen(float* p, T v, int n) { _mm512_mask_storeu_ps(p, mask(n), v); }
  // Non-temporal store (no read-for-ownership of the line; p 64-byte aligned).
  static void stream(float* p, T v) { _mm512_stream_ps(p, v); }
  static T fma(T a, T b, T c) { return _mm512_fmadd_ps(a, b, c); }
  static T add(T a, T b) { return _mm512_add_ps(a, b); }
  static T sub(T a, T b) { return _mm512_sub_ps(a, b); }
  static T mul(T a, T b) { return _mm512_mul_ps(a, b); }
  static T max(T a, T b) { return _mm512_max_ps(a, b); }
};
#endif

}  // namespace
}  // namespace convkit
