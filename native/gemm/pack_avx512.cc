// Packing routines for the avx512 micro-kernel (MR=14, NR=32, see gemm_config.cc); this file is
// compiled with the avx512 flags.
//
// B and transposed A go through the generic copies of pack_impl.h: their source rows are already
// the panel's rows (NR or MR contiguous floats per k), so the copies are wide moves.
// Row-major A is a transpose (panel layout dst[k*14 + i] from rows a[i*lda + k]); the generic
// loop does it one float at a time, which measured 3.9% of a 1024^3 product on one thread (perf,
// Zen 5; pack_b 2.9%). Here it is done 16 k at a time with registers: load the 14 rows' next 16
// floats (zmm each; rows 14 and 15 are zero), transpose the 16x16 block in four shuffle stages
// (32-bit unpack, 64-bit unpack, two 128-bit lane shuffles), and store column kk of the block --
// the 14 values of step k0+kk -- as a 14-lane masked store at dst[(k0+kk)*14]. The 16 stores of a
// block fill dst[k0*14 .. k0*14+224) contiguously, so the writes stream.
#include <immintrin.h>

#include "gemm/microkernel.h"
#include "gemm/pack_impl.h"

namespace convkit::gemm {
namespace {

constexpr int kMR = 14;

// In-place transpose of a 16x16 float block held as 16 rows r[0..15].
inline void transpose16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 16; i += 2) {  // interleave 32-bit elements of row pairs
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {  // interleave 64-bit pairs of rows i, i+2 (and i+1, i+3)
    r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
    r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
    r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
    r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
  }
  // Now r[4q + j] holds, in 128-bit lane L, elements (row 4q..4q+3, column 4L + j') for the
  // j-th of the 4 columns of that lane. Gather lane L of the four quads into one row.
  for (int j = 0; j < 4; ++j) {
    const __m512 a = _mm512_shuffle_f32x4(r[j], r[4 + j], 0x88);       // lanes 0,2 of r[j], r[4+j]
    const __m512 b = _mm512_shuffle_f32x4(r[j], r[4 + j], 0xDD);       // lanes 1,3
    const __m512 c = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0x88);
    const __m512 d = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0xDD);
    t[j] = _mm512_shuffle_f32x4(a, c, 0x88);       // lane 0 of each quad: columns 0..3
    t[8 + j] = _mm512_shuffle_f32x4(a, c, 0xDD);   // lane 2: columns 8..11
    t[4 + j] = _mm512_shuffle_f32x4(b, d, 0x88);   // lane 1: columns 4..7
    t[12 + j] = _mm512_shuffle_f32x4(b, d, 0xDD);  // lane 3: columns 12..15
  }
  for (int i = 0; i < 16; ++i) r[i] = t[i];
}

// One strip of mr <= 14 rows of row-major A, kc columns, into a 14-wide panel.
void pack_a_rows14(std::size_t mr, std::size_t kc, const float* src, std::size_t lda, float* dst) {
  const __mmask16 m14 = 0x3FFF;
  std::size_t k0 = 0;
  for (; k0 < kc; k0 += 16) {
    const std::size_t kn = kc - k0 < 16 ? kc - k0 : 16;
    const __mmask16 kmask = static_cast<__mmask16>(kn == 16 ? 0xFFFFu : (1u << kn) - 1u);
    __m512 r[16];
    for (std::size_t i = 0; i < 16; ++i)
      r[i] = i < mr ? _mm512_maskz_loadu_ps(kmask, src + i * lda + k0) : _mm512_setzero_ps();
    transpose16(r);
    float* d = dst + k0 * kMR;
    for (std::size_t kk = 0; kk < kn; ++kk) _mm512_mask_storeu_ps(d + kk * kMR, m14, r[kk]);
  }
}

}  // namespace

void pack_a_avx512(bool trans, std::size_t mc, std::size_t kc, const float* a, std::size_t lda, float* dst) {
  if (trans) {
    pack_a_impl<kMR>(trans, mc, kc, a, lda, dst);
    return;
  }
  for (std::size_t i0 = 0; i0 < mc; i0 += kMR, dst += kc * kMR)
    pack_a_rows14(mc - i0 < kMR ? mc - i0 : kMR, kc, a + i0 * lda, lda, dst);
}
void pack_b_avx512(bool trans, std::size_t kc, std::size_t nc, const float* b, std::size_t ldb, float* dst) {
  pack_b_impl<32>(trans, kc, nc, b, ldb, dst);
}

}  // namespace convkit::gemm
