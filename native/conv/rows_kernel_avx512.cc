// AVX-512 instantiation (32 zmm registers) of the row-vectorised direct-convolution kernels, with a
// 16x16 in-register transpose for the row block -> NHWC step.
#include "conv/rows_kernel_impl.h"

namespace convkit {
namespace {

// 16x16 transpose by recursive block swaps: at scale b (8, 4, 2, 1), rows i and i+b (i & b == 0)
// exchange their off-diagonal b x b blocks inside every 2b-lane chunk
//   row_i = [P | Q], row_{i+b} = [R | S]  ->  row_i = [P | R], row_{i+b} = [Q | S],
// which after all four scales is the transpose (64 two-source permutes for 256 elements).
// Permute indices per scale b = 8, 4, 2, 1, built at compile time (constant-initialised: no
// constructor compiled with AVX-512 flags runs at load time on other CPUs).
struct Transpose16Index {
  alignas(64) int lo[4][16] = {};
  alignas(64) int hi[4][16] = {};
  constexpr Transpose16Index() {
    for (int s = 0, b = 8; b >= 1; ++s, b >>= 1)
      for (int l = 0; l < 16; ++l) {
        int chunk = l / (2 * b) * (2 * b), pos = l % (2 * b);
        lo[s][l] = pos < b ? chunk + pos : 16 + chunk + pos - b;
        hi[s][l] = pos < b ? chunk + b + pos : 16 + chunk + pos;
      }
  }
};
constexpr Transpose16Index kT16{};

template <int S, int B>
inline void transpose16_scale(__m512 r[16]) {
  const __m512i ilo = _mm512_load_si512(kT16.lo[S]), ihi = _mm512_load_si512(kT16.hi[S]);
  for (int i = 0; i < 16; ++i) {
    if (i & B) continue;
    __m512 a = r[i], c = r[i + B];
    r[i] = _mm512_permutex2var_ps(a, ilo, c);
    r[i + B] = _mm512_permutex2var_ps(a, ihi, c);
  }
}

inline void transpose16(__m512 r[16]) {
  transpose16_scale<0, 8>(r);
  transpose16_scale<1, 4>(r);
  transpose16_scale<2, 2>(r);
  transpose16_scale<3, 1>(r);
}

// Few channels (rows <= 7, dst rows contiguous): the NHWC block of 16 pixels is 16*K consecutive
// floats, i.e. K vectors; lane q of output vector j is element e = 16j + q = channel e % K of pixel
// e / K. Output vector j is built by a chain of K-1 two-source permutes: step k merges row k's
// lanes into the vector so far (index 16 + pixel where e % K == k, else keep lane q), which costs
// fewer shuffle-port operations than a 16x16 tile padded with zero rows.
struct Interleave16 {
  alignas(64) int idx[8][8][8][16] = {};  // [K][j][k][q], k = 1..K-1 (k = 1 also takes row 0)
  constexpr Interleave16() {
    for (int K = 2; K < 8; ++K)
      for (int j = 0; j < K; ++j)
        for (int k = 1; k < K; ++k)
          for (int q = 0; q < 16; ++q) {
            int e = 16 * j + q, src = e % K, pix = e / K;
            if (k == 1)
              idx[K][j][k][q] = src == 0 ? pix : 16 + pix;  // from row 0 (a) or row 1 (b)
            else
              idx[K][j][k][q] = src == k ? 16 + pix : q;    // row k (b) or keep (a)
          }
  }
};
constexpr Interleave16 kI16{};

void interleave_avx512(const float* src, std::size_t lds, std::size_t K, std::size_t cols, float* dst) {
  for (std::size_t c0 = 0; c0 < cols; c0 += 16) {
    const int nel = (int)(ck_min(16, cols - c0) * K);
    __m512 v[7];
    for (std::size_t k = 0; k < K; ++k) v[k] = _mm512_loadu_ps(src + k * lds + c0);
    float* out = dst + c0 * K;
    for (std::size_t j = 0; j < K; ++j) {
      __m512 o = v[0];  // K == 1: a plain copy
      if (K > 1) o = _mm512_permutex2var_ps(v[0], _mm512_load_si512(kI16.idx[K][j][1]), v[1]);
      for (std::size_t k = 2; k < K; ++k) o = _mm512_permutex2var_ps(o, _mm512_load_si512(kI16.idx[K][j][k]), v[k]);
      const int n = nel - 16 * (int)j;
      if (n >= 16)
        _mm512_storeu_ps(out + 16 * j, o);
      else if (n > 0)
        _mm512_mask_storeu_ps(out + 16 * j, VAvx512::mask(n), o);
    }
  }
}

// The inverse, NHWC -> planar, for few channels (cols = K <= 7, src pixels contiguous: lds == K),
// used by the weight gradient on dY: 16 pixels are K*16 consecutive floats, i.e. K vectors; lane q
// of output row o is element e = q*K + o, lane e % 16 of vector e / 16. Row o is built by a chain
// of K-1 two-source permutes (step 1 takes vectors 0 and 1, step k >= 2 merges vector k's lanes
// into the row so far): 5 permutes per channel row for LeNet's K = 6 instead of the 16x16 tile's
// 64 for a block whose 16 rows hold 6 useful floats each. Loads stop at the last pixel.
struct Deinterleave16 {
  alignas(64) int idx[8][8][8][16] = {};  // [K][o][k][q], k = 1..K-1
  constexpr Deinterleave16() {
    for (int K = 2; K < 8; ++K)
      for (int o = 0; o < K; ++o)
        for (int k = 1; k < K; ++k)
          for (int q = 0; q < 16; ++q) {
            int e = q * K + o, vec = e / 16, lane = e % 16;
            if (k == 1)
              idx[K][o][k][q] = vec <= 1 ? e : q;              // vectors 0/1 (e < 32), else filled later
            else
              idx[K][o][k][q] = vec == k ? 16 + lane : q;      // vector k (b) or keep (a)
          }
  }
};
constexpr Deinterleave16 kD16{};

void deinterleave_avx512(const float* src, std::size_t rows, std::size_t K, float* dst, std::size_t ldd) {
  for (std::size_t p0 = 0; p0 < rows; p0 += 16) {
    const std::size_t np = ck_min(16, rows - p0);
    const std::size_t nel = np * K;
    const float* s = src + p0 * K;
    __m512 v[7];
    for (std::size_t k = 0; k < K; ++k) {
      const std::size_t have = nel > 16 * k ? nel - 16 * k : 0;
      v[k] = have >= 16 ? _mm512_loadu_ps(s + 16 * k) : _mm512_maskz_loadu_ps(VAvx512::mask((int)have), s + 16 * k);
    }
    for (std::size_t o = 0; o < K; ++o) {
      __m512 r = v[0];  // K == 1: a plain copy
      if (K > 1) r = _mm512_permutex2var_ps(v[0], _mm512_load_si512(kD16.idx[K][o][1]), v[1]);
      for (std::size_t k = 2; k < K; ++k) r = _mm512_permutex2var_ps(r, _mm512_load_si512(kD16.idx[K][o][k]), v[k]);
      if (np == 16)
        _mm512_storeu_ps(dst + o * ldd + p0, r);
      else
        _mm512_mask_storeu_ps(dst + o * ldd + p0, VAvx512::mask((int)np), r);
    }
  }
}

void transpose_avx512(const float* src, std::size_t lds, std::size_t rows, std::size_t cols, float* dst,
                      std::size_t ldd) {
  if (rows < 8 && ldd == rows) return interleave_avx512(src, lds, rows, cols, dst);
  if (cols >= 1 && cols < 8 && lds == cols) return deinterleave_avx512(src, rows, cols, dst, ldd);
  for (std::size_t r0 = 0; r0 < rows; r0 += 16) {
    const int nr = (int)ck_min(16, rows - r0);
    const __mmask16 m = VAvx512::mask(nr);
    for (std::size_t c0 = 0; c0 < cols; c0 += 16) {
      const std::size_t nc = ck_min(16, cols - c0);
      __m512 r[16];
      for (int i = 0; i < 16; ++i) r[i] = i < nr ? _mm512_loadu_ps(src + (r0 + i) * lds + c0) : _mm512_setzero_ps();
      transpose16(r);
      for (std::size_t j = 0; j < nc; ++j) _mm512_mask_storeu_ps(dst + (c0 + j) * ldd + r0, m, r[j]);
    }
  }
}

}  // namespace

const RowsKernels& rows_kernels_avx512() {
  static const RowsKernels k = make_rows_kernels<VAvx512>(32, &transpose_avx512);
  return k;
}
}  // namespace convkit
