// AVX2+FMA instantiation (16 ymm registers) of the row-vectorised direct-convolution kernels, with
// an 8x8 in-register transpose for the row block -> NHWC step.
#include "conv/rows_kernel_impl.h"

namespace convkit {
namespace {

// 8x8 transpose: unpack pairs of rows, shuffle pairs of pairs, then swap 128-bit halves.
void transpose8(__m256 r[8]) {
  __m256 t[8], s[8];
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int h = 0; h < 2; ++h) {
    __m256 *a = t + 4 * h, *o = s + 4 * h;
    o[0] = _mm256_shuffle_ps(a[0], a[2], 0x44);
    o[1] = _mm256_shuffle_ps(a[0], a[2], 0xEE);
    o[2] = _mm256_shuffle_ps(a[1], a[3], 0x44);
    o[3] = _mm256_shuffle_ps(a[1], a[3], 0xEE);
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = _mm256_permute2f128_ps(s[i], s[i + 4], 0x20);
    r[i + 4] = _mm256_permute2f128_ps(s[i], s[i + 4], 0x31);
  }
}

// Few channels (rows <= 7, dst rows contiguous): 8 NHWC pixels are 8*K consecutive floats, K
// vectors; lane q of output vector j is channel e % K of pixel e / K (e = 8j + q), gathered by one
// in-lane-crossing permute and one blend per source row.
struct Interleave8 {
  alignas(32) int idx[8][8][8] = {};        // [K][j][q] = (8j + q) / K
  alignas(32) int sel[8][8][8][8] = {};     // [K][j][k][q] = -1 where (8j + q) % K == k
  constexpr Interleave8() {
    for (int K = 1; K < 8; ++K)
      for (int j = 0; j < K; ++j)
        for (int q = 0; q < 8; ++q) {
          int e = 8 * j + q;
          idx[K][j][q] = e / K;
          sel[K][j][e % K][q] = -1;
        }
  }
};
constexpr Interleave8 kI8{};

void interleave_avx2(const float* src, std::size_t lds, std::size_t K, std::size_t cols, float* dst) {
  for (std::size_t c0 = 0; c0 < cols; c0 += 8) {
    const int nel = (int)(ck_min(8, cols - c0) * K);
    __m256 v[7];
    for (std::size_t k = 0; k < K; ++k) v[k] = _mm256_loadu_ps(src + k * lds + c0);
    float* out = dst + c0 * K;
    for (std::size_t j = 0; j < K; ++j) {
      const __m256i ix = _mm256_load_si256((const __m256i*)kI8.idx[K][j]);
      __m256 o = _mm256_setzero_ps();
      for (std::size_t k = 0; k < K; ++k)
        o = _mm256_blendv_ps(o, _mm256_permutevar8x32_ps(v[k], ix),
                             _mm256_castsi256_ps(_mm256_load_si256((const __m256i*)kI8.sel[K][j][k])));
      const int n = nel - 8 * (int)j;
      if (n >= 8)
        _mm256_storeu_ps(out + 8 * j, o);
      else if (n > 0)
        VAvx2::storen(out + 8 * j, o, n);
    }
  }
}

void transpose_avx2(const float* src, std::size_t lds, std::size_t rows, std::size_t cols, float* dst,
                    std::size_t ldd) {
  if (rows < 8 && ldd == rows) return interleave_avx2(src, lds, rows, cols, dst);
  for (std::size_t r0 = 0; r0 < rows; r0 += 8) {
    const int nr = (int)ck_min(8, rows - r0);
    for (std::size_t c0 = 0; c0 < cols; c0 += 8) {
      const std::size_t nc = ck_min(8, cols - c0);
      __m256 r[8];
      for (int i = 0; i < 8; ++i) r[i] = i < nr ? _mm256_loadu_ps(src + (r0 + i) * lds + c0) : _mm256_setzero_ps();
      transpose8(r);
      for (std::size_t j = 0; j < nc; ++j) {
        if (nr == 8)
          _mm256_storeu_ps(dst + (c0 + j) * ldd + r0, r[j]);
        else
          VAvx2::storen(dst + (c0 + j) * ldd + r0, r[j], nr);
      }
    }
  }
}

}  // namespace

const RowsKernels& rows_kernels_avx2() {
  static const RowsKernels k = make_rows_kernels<VAvx2>(16, &transpose_avx2);
  return k;
}
}  // namespace convkit
