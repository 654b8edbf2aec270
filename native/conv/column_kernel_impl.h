// Template bodies of the column kernels (see column_kernels.h); V from conv/simd_traits.h.
#pragma once
#include "conv/column_kernels.h"
#include "conv/simd_traits.h"

namespace convkit {
namespace {

// Lanes [lo, hi) of p (0 <= lo <= hi <= W), zeros elsewhere; lanes outside [lo, hi) are not read
// (masked loads suppress faults), so p may point before or past the data for those lanes.
template <class V>
struct RangeLoad;
template <>
struct RangeLoad<VScalar> {
  using M = bool;
  static M make(int lo, int hi) { return lo < hi; }
  static float load(const float* p, M m) { return m ? *p : 0.f; }
  static float load(const float* p, int lo, int hi) { return load(p, make(lo, hi)); }
};
#if defined(__AVX2__) && !defined(__AVX512F__)
template <>
struct RangeLoad<VAvx2> {
  using M = __m256i;
  static M make(int lo, int hi) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_and_si256(_mm256_cmpgt_epi32(lane, _mm256_set1_epi32(lo - 1)),
                            _mm256_cmpgt_epi32(_mm256_set1_epi32(hi), lane));
  }
  static __m256 load(const float* p, M m) { return _mm256_maskload_ps(p, m); }
  static __m256 load(const float* p, int lo, int hi) { return load(p, make(lo, hi)); }
};
#endif
#if defined(__AVX512F__)
template <>
struct RangeLoad<VAvx512> {
  using M = __mmask16;
  static M make(int lo, int hi) { return static_cast<__mmask16>(((1u << hi) - 1u) & ~((1u << lo) - 1u)); }
  static __m512 load(const float* p, M m) { return _mm512_maskz_loadu_ps(m, p); }
  static __m512 load(const float* p, int lo, int hi) { return load(p, make(lo, hi)); }
};
#endif

template <class V>
inline typename V::T load_k(const float* p, int k) {
  return k == V::W ? V::load(p) : V::loadn(p, k);
}
template <class V>
inline void store_k(float* p, typename V::T v, int k) {
  if (k == V::W)
    V::store(p, v);
  else
    V::storen(p, v, k);
}

// o[i] = c[i] for i < n, and o[i] = 0: full vectors, then one masked vector for the tail.
template <class V>
inline void copy_span(float* o, const float* c, std::size_t n) {
  constexpr std::size_t W = static_cast<std::size_t>(V::W);
  std::size_t i = 0;
  for (; i + W <= n; i += W) V::store(o + i, V::load(c + i));
  if (i < n) V::storen(o + i, V::loadn(c + i, static_cast<int>(n - i)), static_cast<int>(n - i));
}
template <class V>
inline void zero_span(float* o, std::size_t n) {
  constexpr std::size_t W = static_cast<std::size_t>(V::W);
  std::size_t i = 0;
  for (; i + W <= n; i += W) V::store(o + i, V::zero());
  if (i < n) V::storen(o + i, V::zero(), static_cast<int>(n - i));
}

// Ungrouped, stride 1 and no dilation along the width: output pixel ow's taps of one (kd, kh) row
// are the L = KW·C floats of the input row starting at pixel ow - pad, so the column row is built
// per output row segment without the general walk's run detection (which cost more than the copy):
// pixels whose taps all lie inside the row copy L floats, the few at the left/right edges copy the
// inside part and zero the rest, and a tap row outside the image is zeros.
template <class V>
void im2col_unit_w(const ColGeom& d, const float* x, std::size_t p0, std::size_t rows, float* col) {
  const std::size_t C = d.C, OW = d.out[2], IW = d.in[2], KW = d.kernel[2], kk = col_taps(d) * C, L = KW * C;
  const long pad = static_cast<long>(d.pad_w);
  for (std::size_t p = p0, end = p0 + rows; p < end;) {
    const std::size_t ow0 = p % OW, seg = ck_min(OW - ow0, end - p);
    const std::size_t q = p / OW, oh = q % d.out[1], od = (q / d.out[1]) % d.out[0];
    const std::size_t n = q / (d.out[1] * d.out[0]);
    float* crow = col + (p - p0) * kk;  // the column row of pixel ow0
    std::size_t run = 0;
    for (std::size_t kd = 0; kd < d.kernel[0]; ++kd) {
      const long sd = d.map[0][od * d.kernel[0] + kd];
      for (std::size_t kh = 0; kh < d.kernel[1]; ++kh, run += L) {
        const long sh = d.map[1][oh * d.kernel[1] + kh];
        float* dst = crow + run;
        if (sd < 0 || sh < 0) {
          for (std::size_t i = 0; i < seg; ++i, dst += kk) zero_span<V>(dst, L);
          continue;
        }
        const float* xrow = x + ((n * d.in[0] + static_cast<std::size_t>(sd)) * d.in[1] + static_cast<std::size_t>(sh)) * IW * C;
        for (std::size_t ow = ow0; ow < ow0 + seg; ++ow, dst += kk) {
          const long iw0 = static_cast<long>(ow) - pad;  // input pixel of tap kw = 0
          if (iw0 >= 0 && iw0 + static_cast<long>(KW) <= static_cast<long>(IW)) {
            copy_span<V>(dst, xrow + static_cast<std::size_t>(iw0) * C, L);
            continue;
          }
          const std::size_t lo = iw0 < 0 ? static_cast<std::size_t>(-iw0) : 0;  // first tap inside
          const long h = static_cast<long>(IW) - iw0;
          const std::size_t hi = h <= 0 ? lo : ck_min(KW, static_cast<std::size_t>(h));  // past the last
          if (lo >= hi) {
            zero_span<V>(dst, L);
            continue;
          }
          zero_span<V>(dst, lo * C);
          copy_span<V>(dst + lo * C, xrow + static_cast<std::size_t>(iw0 + static_cast<long>(lo)) * C, (hi - lo) * C);
          zero_span<V>(dst + hi * C, (KW - hi) * C);
        }
      }
    }
    p += seg;
  }
}

template <class V>
void im2col_rows(const ColGeom& d, const float* x, std::size_t g, std::size_t p0, std::size_t rows, float* col) {
  const std::size_t cg = d.cg, C = d.C, kk = col_taps(d) * cg;
  if (cg == C && d.stride_w == 1 && d.dilation_w == 1) {
    im2col_unit_w<V>(d, x, p0, rows, col);
    return;
  }
  const float* xg = x + g * cg;
  walk_taps(d, p0, rows, [&](std::size_t r, std::size_t t, long s, std::size_t len) {
    float* dst = col + r * kk + t * cg;
    if (s < 0) {
      zero_span<V>(dst, len * cg);
    } else if (cg == C) {
      // Ungrouped: the run's taps are consecutive pixels, so len·C contiguous floats on both sides.
      copy_span<V>(dst, xg + static_cast<std::size_t>(s) * C, len * cg);
    } else {
      for (std::size_t j = 0; j < len; ++j) copy_span<V>(dst + j * cg, xg + (static_cast<std::size_t>(s) + j) * C, cg);
    }
  });
}

// o[i] += c[i] for i < n: full vectors, then one masked vector for the tail.
template <class V>
inline void add_span(float* o, const float* c, std::size_t n) {
  constexpr std::size_t W = static_cast<std::size_t>(V::W);
  std::size_t i = 0;
  for (; i + W <= n; i += W) V::store(o + i, V::add(V::load(o + i), V::load(c + i)));
  if (i < n) {
    const int k = static_cast<int>(n - i);
    V::storen(o + i, V::add(V::loadn(o + i, k), V::loadn(c + i, k)), k);
  }
}

// Ungrouped, stride 1 and no dilation along the width. For one output row segment [ow0, ow0+seg)
// and one (kd, kh) tap row whose input row exists, output pixel ow adds the L = KW·C floats of its
// column run to the dx row at floats [(ow - pad)·C, (ow - pad)·C + L): neighbouring pixels overlap
// by L - C floats. Adding run after run through memory made each load wait on the previous
// pixel's partly overlapping store (no store-to-load forwarding for a misaligned partial overlap).
// Here the dx row is held in NB vector registers (rows of up to NB·W floats: LeNet's 14x6 = 84 is
// 6 AVX-512 or 11 AVX2 vectors): each pixel adds its run to the 2-3 vectors it covers with
// lane-range masked loads from the column, and the row goes to dx once per (segment, tap row).
// Lanes outside [0, IW·C) are never stored (those are taps in the left/right padding).
template <class V, int NB>
void col2im_unit_w(const ColGeom& d, const float* col, std::size_t g, std::size_t p0, std::size_t rows, float* dx) {
  constexpr long W = V::W;
  const std::size_t C = d.C, OW = d.out[2], KW = d.kernel[2], kk = col_taps(d) * C;
  const long L = static_cast<long>(KW * C), Cl = static_cast<long>(C), pad = static_cast<long>(d.pad_w);
  const long rowlen = static_cast<long>(d.in[2] * C);
  float* const dg = dx + g * d.cg;
  // Which lanes of which row vector each pixel of a segment covers depends on the pixel only, not
  // on the tap row: the lane masks are made once per segment (at most kSegPixels pixels; a longer
  // output row is cut into segments, each adding its own partial row) and reused for every
  // (kd, kh), instead of being recomputed per pixel, vector and tap row (that mask arithmetic was
  // a large part of col2im's instructions at LeNet's sizes).
  constexpr std::size_t kSegPixels = 32;
  using RL = RangeLoad<V>;
  typename RL::M masks[kSegPixels][NB];
  bool live[kSegPixels][NB];
  for (std::size_t p = p0, end = p0 + rows; p < end;) {
    const std::size_t ow0 = p % OW, seg = ck_min(ck_min(OW - ow0, end - p), kSegPixels);
    const std::size_t q = p / OW, oh = q % d.out[1], od = (q / d.out[1]) % d.out[0];
    const std::size_t n = q / (d.out[1] * d.out[0]);
    const float* crow = col + (p - p0) * kk;  // the column row of pixel ow0
    // dx floats the segment reaches, clipped to the row.
    const long s0 = (static_cast<long>(ow0) - pad) * Cl, s1 = (static_cast<long>(ow0 + seg) - 1 - pad) * Cl + L;
    const long jlo = s0 > 0 ? s0 : 0, jhi = s1 < rowlen ? s1 : rowlen;
    for (std::size_t i = 0; i < seg; ++i) {
      const long start = (static_cast<long>(ow0 + i) - pad) * Cl;
      for (int b = 0; b < NB; ++b) {
        const long j0 = b * W;
        const long lo = start > j0 ? start - j0 : 0;
        long hi = start + L - j0 < W ? start + L - j0 : W;
        if (hi > rowlen - j0) hi = rowlen - j0;
        live[i][b] = lo < hi;
        masks[i][b] = RL::make(lo < hi ? static_cast<int>(lo) : 0, lo < hi ? static_cast<int>(hi) : 0);
      }
    }
    std::size_t run = 0;
    for (std::size_t kd = 0; kd < d.kernel[0]; ++kd) {
      const long sd = d.map[0][od * d.kernel[0] + kd];
      for (std::size_t kh = 0; kh < d.kernel[1]; ++kh, run += static_cast<std::size_t>(L)) {
        const long sh = d.map[1][oh * d.kernel[1] + kh];
        if (sd < 0 || sh < 0 || jlo >= jhi) continue;
        float* drow = dg + ((n * d.in[0] + static_cast<std::size_t>(sd)) * d.in[1] + static_cast<std::size_t>(sh)) * d.in[2] * C;
        typename V::T acc[NB];
#pragma GCC unroll 16
        for (int b = 0; b < NB; ++b) acc[b] = V::zero();
        const float* src = crow + run;
        for (std::size_t i = 0; i < seg; ++i, src += kk) {
          const float* at = src - (static_cast<long>(ow0 + i) - pad) * Cl;  // lane j of the row: at[j]
#pragma GCC unroll 16
          for (int b = 0; b < NB; ++b)
            if (live[i][b]) acc[b] = V::add(acc[b], RL::load(at + b * W, masks[i][b]));
        }
#pragma GCC unroll 16
        for (int b = 0; b < NB; ++b) {
          const long j0 = b * W;
          if (j0 + W <= jlo || j0 >= jhi) continue;
          const int k = static_cast<int>(rowlen - j0 < W ? rowlen - j0 : W);
          store_k<V>(drow + j0, V::add(load_k<V>(drow + j0, k), acc[b]), k);
        }
      }
    }
    p += seg;
  }
}

// Largest dx row (in vectors) held in registers: leaves room for the loaded slices.
template <class V>
constexpr int col2im_max_row_vectors() {
  return V::W == 1 ? 0 : V::W == 8 ? 12 : 8;
}

template <class V, int NB>
bool col2im_unit_w_dispatch(int nb, const ColGeom& d, const float* col, std::size_t g, std::size_t p0, std::size_t rows,
                            float* dx) {
  if constexpr (NB == 0) {
    return false;
  } else {
    if (nb == NB) {
      col2im_unit_w<V, NB>(d, col, g, p0, rows, dx);
      return true;
    }
    return col2im_unit_w_dispatch<V, NB - 1>(nb, d, col, g, p0, rows, dx);
  }
}

template <class V>
void col2im_rows(const ColGeom& d, const float* col, std::size_t g, std::size_t p0, std::size_t rows, float* dx) {
  const std::size_t cg = d.cg, C = d.C, kk = col_taps(d) * cg;
  if (cg == C && d.stride_w == 1 && d.dilation_w == 1) {
    const std::size_t nb = (d.in[2] * C + V::W - 1) / V::W;
    if (nb <= static_cast<std::size_t>(col2im_max_row_vectors<V>()) &&
        col2im_unit_w_dispatch<V, col2im_max_row_vectors<V>()>(static_cast<int>(nb), d, col, g, p0, rows, dx))
      return;
  }
  float* dg = dx + g * cg;
  walk_taps(d, p0, rows, [&](std::size_t r, std::size_t t, long s, std::size_t len) {
    if (s < 0) return;
    float* o = dg + static_cast<std::size_t>(s) * C;
    const float* c = col + r * kk + t * cg;
    if (cg == C) {
      // Ungrouped: the run's taps are consecutive pixels, so len·C contiguous floats on both sides.
      add_span<V>(o, c, len * cg);
    } else {
      for (std::size_t j = 0; j < len; ++j) add_span<V>(o + j * C, c + j * cg, cg);
    }
  });
}

}  // namespace
}  // namespace convkit
