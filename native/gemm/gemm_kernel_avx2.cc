// AVX2+FMA SGEMM micro-kernel: MR x NR = 6 x 16.
//
// The classic Haswell tile (BLIS haswell sgemm, OpenBLAS): 6 rows x 2 ymm = 12 accumulators, plus
// 2 B vectors and 1 broadcast register = 15 of the 16 ymm registers. Per k step 12 FMAs against
// 2 loads + 6 broadcasts; 12 independent chains cover FMA latency 4-5 x 2 pipes.
// Edges: templates on the row count (1..6) and column vectors (1..2); a partial last vector uses
// vmaskmov loads/stores (only in the MASK instantiation, full tiles use plain loads).
#include <immintrin.h>

#include "gemm/microkernel.h"

namespace convkit::gemm {
namespace {

// exp(x) per lane, Cephes expf (see gemm_kernel_avx512.cc for the derivation).
inline __m256 exp256(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.3f));
  __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500E-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507E-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073E-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894E-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459E-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201E-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.f)));
  // 2^n: n (|n| <= 127 after the clamp) into the exponent field.
  __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

inline __m256 tanh256(__m256 x) {
  const __m256 sign = _mm256_and_ps(x, _mm256_set1_ps(-0.f));
  const __m256 ax = _mm256_xor_ps(x, sign);
  const __m256 z = _mm256_mul_ps(x, x);
  __m256 p = _mm256_set1_ps(-5.70498872745E-3f);
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(2.06390887954E-2f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-5.37397155531E-2f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(1.33314422036E-1f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-3.33332819422E-1f));
  const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), x, x);
  const __m256 e = exp256(_mm256_add_ps(ax, ax));
  __m256 big = _mm256_sub_ps(_mm256_set1_ps(1.f), _mm256_div_ps(_mm256_set1_ps(2.f), _mm256_add_ps(e, _mm256_set1_ps(1.f))));
  big = _mm256_or_ps(big, sign);
  return _mm256_blendv_ps(big, small, _mm256_cmp_ps(ax, _mm256_set1_ps(0.625f), _CMP_LT_OQ));
}

inline __m256 activate(__m256 x, Activation act, float leaky) {
  switch (act) {
    case Activation::none: return x;
    case Activation::relu: return _mm256_max_ps(x, _mm256_setzero_ps());
    case Activation::relu6: return _mm256_min_ps(_mm256_max_ps(x, _mm256_setzero_ps()), _mm256_set1_ps(6.f));
    case Activation::leaky_relu:
      return _mm256_blendv_ps(x, _mm256_mul_ps(x, _mm256_set1_ps(leaky)), _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
    case Activation::sigmoid:
      return _mm256_div_ps(_mm256_set1_ps(1.f), _mm256_add_ps(_mm256_set1_ps(1.f), exp256(_mm256_sub_ps(_mm256_setzero_ps(), x))));
    case Activation::tanh: return tanh256(x);
  }
  return x;
}

template <bool MASK>
inline __m256 load(const float* p, __m256i m) {
  return MASK ? _mm256_maskload_ps(p, m) : _mm256_loadu_ps(p);
}
template <bool MASK>
inline void store(float* p, __m256i m, __m256 x) {
  if (MASK) _mm256_maskstore_ps(p, m, x); else _mm256_storeu_ps(p, x);
}

template <int ROWS, int NV, bool AROW, bool MASK, bool STREAM>
void tile(const MicroTile& t) {
  __m256 acc[ROWS][NV];
  for (int r = 0; r < ROWS; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_setzero_ps();
  const int nlast = t.n - 8 * (NV - 1);  // 1..8
  const __m256i mlast = _mm256_cmpgt_epi32(_mm256_set1_epi32(nlast), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  const __m256i mall = _mm256_set1_epi32(-1);
  const float* b = t.b;
  const std::size_t ldb = t.ldb;
  const float* a = t.a;
  const std::size_t ars = t.a_rs, acs = t.a_cs;
  for (std::size_t k = t.k; k > 0; --k) {
    __m256 bv[NV];
    for (int v = 0; v < NV - 1; ++v) bv[v] = _mm256_loadu_ps(b + 8 * v);
    bv[NV - 1] = load<MASK>(b + 8 * (NV - 1), mlast);
    // B's panel streams from memory on a stream_b tile (microkernel.h); a k step here reads 64
    // bytes of B at most, one line.
    if (STREAM) _mm_prefetch(reinterpret_cast<const char*>(b) + kPrefetchBBytes, _MM_HINT_T0);
#pragma GCC unroll 16
    for (int r = 0; r < ROWS; ++r) {
      const __m256 av = _mm256_broadcast_ss(AROW ? a + r * ars : a + r);
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_fmadd_ps(av, bv[v], acc[r][v]);
    }
    a += acs;
    b += ldb;
  }
  // The accumulators leave the registers once, here: the epilogue below indexes rows/vectors at
  // run time, and if it used acc[][] directly the compiler would keep acc in memory in the K loop.
  alignas(64) float out[ROWS][NV * 8];
#pragma GCC unroll 16
  for (int r = 0; r < ROWS; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) _mm256_store_ps(&out[r][8 * v], acc[r][v]);
  const __m256 alpha = _mm256_set1_ps(t.alpha);
  const __m256 beta = _mm256_set1_ps(t.beta);
  __m256 bias[NV];
  if (t.bias) {
    for (int v = 0; v < NV - 1; ++v) bias[v] = _mm256_loadu_ps(t.bias + 8 * v);
    bias[NV - 1] = load<MASK>(t.bias + 8 * (NV - 1), mlast);
  }
  for (int r = 0; r < ROWS; ++r) {
    float* c = t.c + r * t.ldc;
    for (int v = 0; v < NV; ++v) {
      const __m256i m = v == NV - 1 ? mlast : mall;
      __m256 x = _mm256_mul_ps(_mm256_load_ps(&out[r][8 * v]), alpha);
      if (t.beta != 0.f) x = _mm256_fmadd_ps(beta, v == NV - 1 ? load<MASK>(c + 8 * v, m) : _mm256_loadu_ps(c + 8 * v), x);
      if (t.bias) x = _mm256_add_ps(x, bias[v]);
      if (t.act != Activation::none) x = activate(x, t.act, t.leaky_alpha);
      if (v == NV - 1) store<MASK>(c + 8 * v, m, x); else _mm256_storeu_ps(c + 8 * v, x);
    }
  }
}

template <int ROWS, bool AROW, bool STREAM>
void cols(const MicroTile& t) {
  const bool mask = (t.n & 7) != 0;
  if (t.n > 8) {
    if (mask) tile<ROWS, 2, AROW, true, STREAM>(t); else tile<ROWS, 2, AROW, false, STREAM>(t);
  } else {
    if (mask) tile<ROWS, 1, AROW, true, STREAM>(t); else tile<ROWS, 1, AROW, false, STREAM>(t);
  }
}

template <int ROWS, bool STREAM>
void rows_of(const MicroTile& t) {
  if (t.a_cs == 1 && t.a_rs != 1) cols<ROWS, true, STREAM>(t); else cols<ROWS, false, STREAM>(t);
}

template <int ROWS>
void rows(const MicroTile& t) {
  if (t.stream_b) rows_of<ROWS, true>(t); else rows_of<ROWS, false>(t);
}

using RowFn = void (*)(const MicroTile&);
constexpr RowFn kRows[6] = {rows<1>, rows<2>, rows<3>, rows<4>, rows<5>, rows<6>};

}  // namespace

void micro_avx2(const MicroTile& t) { kRows[t.m - 1](t); }

}  // namespace convkit::gemm
