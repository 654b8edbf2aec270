// Max pooling with 2x2 windows at stride 2 that tile the input exactly (no padding, in = 2 * out:
// LeNet's, VGG's and most CNNs' pools), channels-last. Template bodies; V from conv/simd_traits.h.
//
// Output row R (R over N * OD * OH) reads input rows 2R and 2R + 1, each W * C contiguous floats,
// and writes OW * C = W * C / 2 floats of y (forward) or both input rows of dx (backward: every dx
// element is written, the windows being disjoint and covering the input). The window of output
// pixel ow holds taps a = (2R, 2ow), b = (2R, 2ow + 1), c = (2R + 1, 2ow), d = (2R + 1, 2ow + 1), in
// the window order of pool_kernel_impl.h: max = V::max(V::max(V::max(a, b), c), d) (maxps keeps its
// second operand on NaN and on +0/-0 ties, so the fold order fixes the bits), and the gradient goes
// to the first tap equal to the max (TensorFlow's and PyTorch's tie rule), stored as 0 + dy (0
// elsewhere), times [max > 0] when the ReLU's gradient is fused: bit for bit the general kernels.
//
// The general row kernels vectorise over channels, so LeNet's C = 6 filled 6 (or, paired, 12) of 16
// lanes behind masked loads and stores and pointer lists per pixel: 145 us for LeNet-5's first pool
// backward at batch 64 with the data in cache. With AVX-512 the 2x2 kernel below instead runs flat
// over the row's W * C floats, 16 lanes at a time, whatever C is: lane i belongs to input pixel
// i / C, an even pixel (kw = 0) or an odd one (kw = 1); its window partner is the lane i + C or
// i - C, loaded with two masked loads (never outside the row, W being even). Both lanes of a pair
// compute the same max; the even lanes are compressed into y, and each lane routes the gradient of
// its own tap, dy being spread over the lanes with one two-source permute.
#pragma once
#include "conv/simd_traits.h"
#include "pool/pool_mask.h"

namespace convkit {
namespace {

// Per output pixel, channel blocks of V::W lanes (masked tail). Any C; scalar and AVX2, and AVX-512
// for C >= 16 (full vectors already).
template <class V>
void p22_fwd_pixels(const float* x, std::size_t W, std::size_t C, std::size_t R0, std::size_t R1, float* y) {
  const std::size_t L = W * C, OW = W / 2;
  for (std::size_t R = R0; R < R1; ++R) {
    const float* r0 = x + 2 * R * L;
    const float* r1 = r0 + L;
    float* yr = y + R * OW * C;
    for (std::size_t ow = 0; ow < OW; ++ow)
      for (std::size_t c = 0; c < C; c += V::W) {
        const int k = static_cast<int>(ck_min(V::W, C - c));
        const std::size_t o = 2 * ow * C + c;
        typename V::T m = V::max(V::loadn(r0 + o, k), V::loadn(r0 + o + C, k));
        m = V::max(V::max(m, V::loadn(r1 + o, k)), V::loadn(r1 + o + C, k));
        V::storen(yr + ow * C + c, m, k);
      }
  }
}

template <class V>
void p22_back_pixels(const float* x, const float* dy, float* dx, std::size_t W, std::size_t C, std::size_t R0,
                     std::size_t R1, bool relu) {
  using Mk = PoolMask<V>;
  const std::size_t L = W * C, OW = W / 2;
  for (std::size_t R = R0; R < R1; ++R) {
    const float* r0 = x + 2 * R * L;
    const float* r1 = r0 + L;
    float* d0 = dx + 2 * R * L;
    float* d1 = d0 + L;
    const float* g = dy + R * OW * C;
    for (std::size_t ow = 0; ow < OW; ++ow)
      for (std::size_t c = 0; c < C; c += V::W) {
        const int k = static_cast<int>(ck_min(V::W, C - c));
        const std::size_t o = 2 * ow * C + c;
        const typename V::T a = V::loadn(r0 + o, k), b = V::loadn(r0 + o + C, k);
        const typename V::T cc = V::loadn(r1 + o, k), d = V::loadn(r1 + o + C, k);
        const typename V::T m = V::max(V::max(V::max(a, b), cc), d);
        const typename V::T gr = V::loadn(g + ow * C + c, k);
        const typename Mk::M ta = Mk::eq(a, m);
        typename Mk::M served = ta;
        const typename Mk::M tb = Mk::and_not(Mk::eq(b, m), served);
        served = Mk::either(served, tb);
        const typename Mk::M tc = Mk::and_not(Mk::eq(cc, m), served);
        served = Mk::either(served, tc);
        const typename Mk::M td = Mk::and_not(Mk::eq(d, m), served);
        typename V::T va = Mk::add_masked(V::zero(), gr, ta), vb = Mk::add_masked(V::zero(), gr, tb);
        typename V::T vc = Mk::add_masked(V::zero(), gr, tc), vd = Mk::add_masked(V::zero(), gr, td);
        if (relu) {
          const typename V::T f = Mk::relu_factor(m);
          va = V::mul(va, f), vb = V::mul(vb, f), vc = V::mul(vc, f), vd = V::mul(vd, f);
        }
        V::storen(d0 + o, va, k), V::storen(d0 + o + C, vb, k);
        V::storen(d1 + o, vc, k), V::storen(d1 + o + C, vd, k);
      }
  }
}

template <class V>
void p22_fwd(const float* x, std::size_t W, std::size_t C, std::size_t R0, std::size_t R1, float* y) {
  p22_fwd_pixels<V>(x, W, C, R0, R1, y);
}

template <class V>
void p22_back(const float* x, const float* dy, float* dx, std::size_t W, std::size_t C, std::size_t R0,
              std::size_t R1, bool relu) {
  p22_back_pixels<V>(x, dy, dx, W, C, R0, R1, relu);
}

#if defined(__AVX512F__)
// The flat lane layout of one row, for C < 16. Chunk j covers row floats [16j, 16j + 16). Its lanes'
// pixels i / C and so its masks repeat every P = 2C / gcd(16, 2C) chunks (P <= 15), each period
// spanning 8P output floats; a row is chunks of these P patterns (the last one masked to the row).
struct P22Layout {
  std::size_t C, L, P;
  __mmask16 odd[16];      // lanes of odd input pixels (tap kw = 1)
  __m512i idx[16];        // lane -> its output float (dy / y index) minus q0[j], for permutex2var
  std::size_t q0[16];     // least output float of the chunk's lanes
  std::size_t yfirst[16]; // output float of the first even lane
};

inline void p22_layout(std::size_t W, std::size_t C, P22Layout* t) {
  t->C = C, t->L = W * C;
  std::size_t g = 16, b = 2 * C;
  while (b) {
    const std::size_t r = g % b;
    g = b, b = r;
  }
  t->P = 2 * C / g;
  for (std::size_t j = 0; j < t->P; ++j) {
    alignas(64) int id[16];
    unsigned odd = 0;
    const std::size_t i0 = 16 * j;
    // q(i) = (i / 2C) * C + i % C; the least over the chunk is its first pair's first output float
    // (odd lanes after lane 0 may map below q(i0)), the largest at most q0 + 29 (C < 16).
    const std::size_t q0 = (i0 / (2 * C)) * C;
    std::size_t yf = ~std::size_t(0);
    for (int l = 0; l < 16; ++l) {
      const std::size_t i = i0 + (std::size_t)l, q = (i / (2 * C)) * C + i % C;
      id[l] = static_cast<int>(q - q0);
      if ((i / C) & 1)
        odd |= 1u << l;
      else if (yf == ~std::size_t(0))
        yf = q;
    }
    t->odd[j] = static_cast<__mmask16>(odd);
    t->idx[j] = _mm512_load_si512(id);
    t->q0[j] = q0;
    t->yfirst[j] = yf;  // every chunk has an even lane: 16 > C
  }
}

// One chunk: taps a, b, c, d per lane (a / b swapped on odd lanes, so a is always kw = 0), the max.
inline void p22_chunk(const float* r0, const float* r1, std::size_t i0, std::size_t C, __mmask16 valid,
                      __mmask16 odd, __m512* a, __m512* b, __m512* c, __m512* d, __m512* m) {
  const __mmask16 even = static_cast<__mmask16>(valid & ~odd), oddv = static_cast<__mmask16>(valid & odd);
  const __m512 own0 = _mm512_maskz_loadu_ps(valid, r0 + i0), own1 = _mm512_maskz_loadu_ps(valid, r1 + i0);
  // Partner taps: i + C on even lanes, i - C on odd lanes (both inside the row: W is even).
  const __m512 p0 = _mm512_mask_loadu_ps(_mm512_maskz_loadu_ps(even, r0 + i0 + C), oddv, r0 + i0 - C);
  const __m512 p1 = _mm512_mask_loadu_ps(_mm512_maskz_loadu_ps(even, r1 + i0 + C), oddv, r1 + i0 - C);
  *a = _mm512_mask_blend_ps(odd, own0, p0);
  *b = _mm512_mask_blend_ps(odd, p0, own0);
  *c = _mm512_mask_blend_ps(odd, own1, p1);
  *d = _mm512_mask_blend_ps(odd, p1, own1);
  *m = _mm512_max_ps(_mm512_max_ps(_mm512_max_ps(*a, *b), *c), *d);
}

template <>
void p22_fwd<VAvx512>(const float* x, std::size_t W, std::size_t C, std::size_t R0, std::size_t R1, float* y) {
  if (C >= 16) return p22_fwd_pixels<VAvx512>(x, W, C, R0, R1, y);
  P22Layout t;
  p22_layout(W, C, &t);
  const std::size_t L = t.L, OL = L / 2;
  for (std::size_t R = R0; R < R1; ++R) {
    const float* r0 = x + 2 * R * L;
    const float* r1 = r0 + L;
    float* yr = y + R * OL;
    for (std::size_t i0 = 0, j = 0, shift = 0; i0 < L; i0 += 16) {
      const __mmask16 valid = L - i0 >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (L - i0)) - 1);
      __m512 a, b, c, d, m;
      p22_chunk(r0, r1, i0, C, valid, t.odd[j], &a, &b, &c, &d, &m);
      const __mmask16 even = static_cast<__mmask16>(valid & ~t.odd[j]);
      const int n = __builtin_popcount(even);
      // Compress in a register and store (the memory form of vcompressps is microcoded on Zen).
      _mm512_mask_storeu_ps(yr + shift + t.yfirst[j], static_cast<__mmask16>((1u << n) - 1),
                            _mm512_maskz_compress_ps(even, m));
      if (++j == t.P) j = 0, shift += 8 * t.P;
    }
  }
}

template <>
void p22_back<VAvx512>(const float* x, const float* dy, float* dx, std::size_t W, std::size_t C, std::size_t R0,
                       std::size_t R1, bool relu) {
  if (C >= 16) return p22_back_pixels<VAvx512>(x, dy, dx, W, C, R0, R1, relu);
  P22Layout t;
  p22_layout(W, C, &t);
  const std::size_t L = t.L, OL = L / 2;
  const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.f);
  for (std::size_t R = R0; R < R1; ++R) {
    const float* r0 = x + 2 * R * L;
    const float* r1 = r0 + L;
    float* d0 = dx + 2 * R * L;
    float* d1 = d0 + L;
    const float* gr = dy + R * OL;
    for (std::size_t i0 = 0, j = 0, shift = 0; i0 < L; i0 += 16) {
      const __mmask16 valid = L - i0 >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (L - i0)) - 1);
      const __mmask16 odd = t.odd[j];
      __m512 a, b, c, d, m;
      p22_chunk(r0, r1, i0, C, valid, odd, &a, &b, &c, &d, &m);
      // dy of each lane's output pixel: the lanes need output floats q0 .. q0 + 29 at most.
      const std::size_t q0 = shift + t.q0[j], left = OL - q0;
      const __mmask16 lo = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
      const __mmask16 hi = left >= 32 ? (__mmask16)0xFFFF : left <= 16 ? (__mmask16)0 : (__mmask16)((1u << (left - 16)) - 1);
      const __m512 g = _mm512_permutex2var_ps(_mm512_maskz_loadu_ps(lo, gr + q0), t.idx[j],
                                              _mm512_maskz_loadu_ps(hi, gr + q0 + 16));
      const __mmask16 ta = _mm512_cmp_ps_mask(a, m, _CMP_EQ_OQ);
      const __mmask16 tb = static_cast<__mmask16>(_mm512_cmp_ps_mask(b, m, _CMP_EQ_OQ) & ~ta);
      const __mmask16 tc = static_cast<__mmask16>(_mm512_cmp_ps_mask(c, m, _CMP_EQ_OQ) & ~(ta | tb));
      const __mmask16 td = static_cast<__mmask16>(_mm512_cmp_ps_mask(d, m, _CMP_EQ_OQ) & ~(ta | tb | tc));
      // Each lane stores its own tap: kw = 0 (a, c) on even lanes, kw = 1 (b, d) on odd ones.
      const __mmask16 s0 = static_cast<__mmask16>((ta & ~odd) | (tb & odd));
      const __mmask16 s1 = static_cast<__mmask16>((tc & ~odd) | (td & odd));
      __m512 v0 = _mm512_maskz_add_ps(s0, zero, g), v1 = _mm512_maskz_add_ps(s1, zero, g);
      if (relu) {
        const __m512 f = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(m, zero, _CMP_GT_OQ), one);
        v0 = _mm512_mul_ps(v0, f), v1 = _mm512_mul_ps(v1, f);
      }
      if (valid == 0xFFFF) {
        _mm512_storeu_ps(d0 + i0, v0), _mm512_storeu_ps(d1 + i0, v1);
      } else {
        _mm512_mask_storeu_ps(d0 + i0, valid, v0), _mm512_mask_storeu_ps(d1 + i0, valid, v1);
      }
      if (++j == t.P) j = 0, shift += 8 * t.P;
    }
  }
}
#endif

}  // namespace
}  // namespace convkit
