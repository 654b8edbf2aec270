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

void transpose_avx2(const float* src, std::size_t lds, std::size_t rows, std::size_t cols, float* dst,
                    std::size_t ldd) {
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
