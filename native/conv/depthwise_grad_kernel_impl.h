// Template bodies of the depthwise gradient row kernels (depthwise_grad_kernels.h), instantiated per
// ISA with a vector-traits type V from simd_traits.h. Internal linkage only (anonymous namespace).
#pragma once
#include "conv/depthwise_grad_kernels.h"
#include "conv/simd_traits.h"

namespace convkit {
namespace {

// The loops over the register block carry `#pragma GCC unroll` so GCC unrolls them before scalar
// replacement of aggregates (otherwise the accumulators stay a stack array reloaded around every
// kernel row; see direct_kernel_impl.h). dgrad on the 56x56x128 case, 2 threads: 1.2-1.5 -> 1.0 ms.

// ---- input gradient ----

// P pixels of one phase, j0 .. j0+P-1 (dx pixel iw = ph + j*stride, out points at pixel j0, pixels
// ostep apart), channels [c0, c0 + NV*W) (TAIL: `rem` of them). The phase's taps are
// kw = kw0 + t*kstep (t < nk); tap t of pixel j reads dy column j + off0 - t*offstep.
// FULL: every tap of every pixel reads a column inside [0, OW); otherwise P == 1 and the taps are
// checked one by one.
template <class V, int P, int NV, bool TAIL, bool FULL>
inline void dwd_block(const float* const* rows, std::size_t R, std::size_t KW, std::size_t kw0, std::size_t kstep,
                      std::size_t nk, long off0, long offstep, std::size_t OW, std::size_t ldy, const float* w,
                      std::size_t ldw, std::size_t c0, int rem, std::size_t j0, float* out, std::ptrdiff_t ostep) {
  constexpr int VW = V::W;
  typename V::T acc[P][NV];
  #pragma GCC unroll 16
  for (int p = 0; p < P; ++p)
    #pragma GCC unroll 16
    for (int j = 0; j < NV; ++j) acc[p][j] = V::zero();
  for (std::size_t r = 0; r < R; ++r) {
    if (!rows[r]) continue;
    const float* wr = w + r * KW * ldw + c0;
    for (std::size_t t = 0; t < nk; ++t) {
      const long ow = (long)j0 + off0 - (long)t * offstep;
      if (!FULL && (ow < 0 || ow >= (long)OW)) continue;
      const float* wk = wr + (kw0 + t * kstep) * ldw;
      typename V::T wv[NV];
      #pragma GCC unroll 16
      for (int j = 0; j < NV; ++j) wv[j] = TAIL ? V::loadn(wk + j * VW, rem - j * VW) : V::load(wk + j * VW);
      const float* q0 = rows[r] + (std::ptrdiff_t)ow * (std::ptrdiff_t)ldy + (std::ptrdiff_t)c0;
      #pragma GCC unroll 16
      for (int p = 0; p < P; ++p)
        #pragma GCC unroll 16
        for (int j = 0; j < NV; ++j) {
          const float* q = q0 + p * ldy + j * VW;
          acc[p][j] = V::fma(TAIL ? V::loadn(q, rem - j * VW) : V::load(q), wv[j], acc[p][j]);
        }
    }
  }
  #pragma GCC unroll 16
  for (int p = 0; p < P; ++p)
    #pragma GCC unroll 16
    for (int j = 0; j < NV; ++j) {
      float* o = out + p * ostep + c0 + j * VW;
      if (TAIL)
        V::storen(o, acc[p][j], rem - j * VW);
      else
        V::store(o, acc[p][j]);
    }
}

template <class V, int BP, int NV, bool FULL>
inline void dwd_pixels(const float* const* rows, std::size_t R, std::size_t KW, std::size_t kw0, std::size_t kstep,
                       std::size_t nk, long off0, long offstep, std::size_t OW, std::size_t ldy, const float* w,
                       std::size_t ldw, std::size_t nc, std::size_t j0, float* out, std::ptrdiff_t ostep) {
  constexpr int CW = NV * V::W;
  std::size_t c0 = 0;
  for (; c0 + CW <= nc; c0 += CW)
    dwd_block<V, BP, NV, false, FULL>(rows, R, KW, kw0, kstep, nk, off0, offstep, OW, ldy, w, ldw, c0, CW, j0, out,
                                      ostep);
  if (c0 < nc)
    dwd_block<V, BP, NV, true, FULL>(rows, R, KW, kw0, kstep, nk, off0, offstep, OW, ldy, w, ldw, c0, (int)(nc - c0),
                                     j0, out, ostep);
}

inline std::size_t dwg_gcd(std::size_t a, std::size_t b) {
  while (b) {
    const std::size_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

template <class V, int P, int NV>
void dwd_row(const float* const* rows, std::size_t R, std::size_t KW, std::size_t OW, std::size_t ldy, const float* w,
             std::size_t ldw, std::size_t nc, std::size_t W, std::size_t stride, std::size_t dil, std::size_t pad,
             float* dx, std::size_t ldx) {
  // kw*dil mod stride repeats with period kstep = stride / gcd(dil, stride), so a phase's taps are
  // an arithmetic progression starting below kstep, and tap t+1 reads offstep = kstep*dil/stride
  // columns left of tap t.
  const std::size_t kstep = stride / dwg_gcd(dil, stride);
  const long offstep = (long)(kstep * dil / stride);
  const std::ptrdiff_t ostep = (std::ptrdiff_t)(stride * ldx);
  for (std::size_t ph = 0; ph < stride && ph < W; ++ph) {
    const std::size_t target = (ph + pad) % stride;
    std::size_t kw0 = KW, nk = 0;
    for (std::size_t kw = 0; kw < kstep && kw < KW; ++kw)
      if ((kw * dil) % stride == target) {
        kw0 = kw;
        break;
      }
    if (kw0 < KW) nk = (KW - 1 - kw0) / kstep + 1;
    // Exact division (kw0*dil = ph + pad mod stride); the numerator may be negative.
    const long off0 = kw0 < KW ? ((long)(ph + pad) - (long)(kw0 * dil)) / (long)stride : 0;
    const std::size_t J = (W - ph + stride - 1) / stride;  // pixels of this phase
    // Interior: j + off0 - t*offstep in [0, OW) for every t < nk.
    std::size_t lo = 0, hi = J;
    if (nk > 0) {
      const long need = (long)(nk - 1) * offstep - off0;  // j >= need
      lo = need > 0 ? (std::size_t)need : 0;
      const long top = (long)OW - off0;  // j < top
      hi = top > 0 ? ck_min((std::size_t)top, J) : 0;
    }
    if (lo > J) lo = J;
    if (hi < lo) hi = lo;
    float* base = dx + ph * ldx;
    std::size_t j = 0;
    for (; j < lo; ++j)
      dwd_pixels<V, 1, NV, false>(rows, R, KW, kw0, kstep, nk, off0, offstep, OW, ldy, w, ldw, nc, j, base + j * ostep,
                                  ostep);
    for (; j + P <= hi; j += P)
      dwd_pixels<V, P, NV, true>(rows, R, KW, kw0, kstep, nk, off0, offstep, OW, ldy, w, ldw, nc, j, base + j * ostep,
                                 ostep);
    for (; j < hi; ++j)
      dwd_pixels<V, 1, NV, true>(rows, R, KW, kw0, kstep, nk, off0, offstep, OW, ldy, w, ldw, nc, j, base + j * ostep,
                                 ostep);
    for (; j < J; ++j)
      dwd_pixels<V, 1, NV, false>(rows, R, KW, kw0, kstep, nk, off0, offstep, OW, ldy, w, ldw, nc, j, base + j * ostep,
                                  ostep);
  }
}

// ---- weight gradient ----

// First output column whose tap kw reads inside the row: ow*stride - pad + kw*dil >= 0.
inline std::size_t dww_lo(std::size_t kw, std::size_t stride, std::size_t dil, std::size_t pad) {
  const long a = (long)pad - (long)(kw * dil);
  return a <= 0 ? 0 : ((std::size_t)a + stride - 1) / stride;
}
// One past the last output column whose tap kw reads inside the row: ow*stride - pad + kw*dil <= W-1.
inline std::size_t dww_hi(std::size_t kw, std::size_t W, std::size_t OW, std::size_t stride, std::size_t dil,
                          std::size_t pad) {
  const long b = (long)W - 1 + (long)pad - (long)(kw * dil);
  return b < 0 ? 0 : ck_min((std::size_t)b / stride + 1, OW);
}

// Taps k0 .. k0+nkb-1 (nkb <= KB) of input row xr against dy row dy, channels [c0, c0 + NV*W)
// (TAIL: `rem`), accumulated into dwr[kw*ldw + c].
template <class V, int KB, int NV, bool TAIL>
inline void dww_chunk(const float* xr, std::size_t k0, int nkb, std::size_t W, std::size_t ldx, const float* dy,
                      std::size_t ldy, std::size_t OW, std::size_t stride, std::size_t dil, std::size_t pad,
                      std::size_t c0, int rem, float* dwr, std::size_t ldw) {
  constexpr int VW = V::W;
  typename V::T acc[KB][NV];
  #pragma GCC unroll 16
  for (int k = 0; k < KB; ++k)
    #pragma GCC unroll 16
    for (int j = 0; j < NV; ++j) acc[k][j] = V::zero();
  // A tap's valid columns shrink from the left and the right as kw grows (both bounds are
  // non-increasing in kw), so [lo of the first tap, hi of the last) is valid for the whole chunk
  // and [lo of the last, hi of the first) bounds every pixel that any tap reads.
  const std::size_t klast = k0 + (std::size_t)nkb - 1;
  const std::size_t ulo = dww_lo(klast, stride, dil, pad), uhi = dww_hi(k0, W, OW, stride, dil, pad);
  std::size_t ilo = ck_min(dww_lo(k0, stride, dil, pad), OW), ihi = dww_hi(klast, W, OW, stride, dil, pad);
  if (ihi < ilo) ihi = ilo;
  const std::ptrdiff_t tstep = (std::ptrdiff_t)(dil * ldx);
  auto pixel = [&](std::size_t ow, bool check) {
    typename V::T dv[NV];
    const float* dq = dy + ow * ldy + c0;
    #pragma GCC unroll 16
    for (int j = 0; j < NV; ++j) dv[j] = TAIL ? V::loadn(dq + j * VW, rem - j * VW) : V::load(dq + j * VW);
    const long col0 = (long)(ow * stride) - (long)pad + (long)(k0 * dil);
    const float* xq = xr + col0 * (std::ptrdiff_t)ldx + (std::ptrdiff_t)c0;
    #pragma GCC unroll 16
    for (int k = 0; k < KB; ++k) {
      if (k >= nkb) break;
      if (check) {
        const long col = col0 + (long)(k * dil);
        if (col < 0 || col >= (long)W) continue;
      }
      #pragma GCC unroll 16
      for (int j = 0; j < NV; ++j) {
        const float* q = xq + k * tstep + j * VW;
        acc[k][j] = V::fma(TAIL ? V::loadn(q, rem - j * VW) : V::load(q), dv[j], acc[k][j]);
      }
    }
  };
  for (std::size_t ow = ulo; ow < ilo; ++ow) pixel(ow, true);
  for (std::size_t ow = ilo; ow < ihi; ++ow) pixel(ow, false);
  for (std::size_t ow = ihi > ulo ? ihi : ulo; ow < uhi; ++ow) pixel(ow, true);
  // A constant trip count (KB) with an early exit, not k < nkb: a runtime index into acc would keep
  // the whole accumulator array in memory.
  #pragma GCC unroll 16
  for (int k = 0; k < KB; ++k) {
    if (k >= nkb) break;
    #pragma GCC unroll 16
    for (int j = 0; j < NV; ++j) {
      float* o = dwr + (k0 + (std::size_t)k) * ldw + c0 + j * VW;
      if (TAIL)
        V::storen(o, V::add(V::loadn(o, rem - j * VW), acc[k][j]), rem - j * VW);
      else
        V::store(o, V::add(V::load(o), acc[k][j]));
    }
  }
}

template <class V, int KB, int NV>
void dww_row(const float* const* rows, std::size_t R, std::size_t KW, std::size_t W, std::size_t ldx, const float* dy,
             std::size_t ldy, std::size_t nc, std::size_t OW, std::size_t stride, std::size_t dil, std::size_t pad,
             float* dw, std::size_t ldw) {
  constexpr int CW = NV * V::W;
  for (std::size_t r = 0; r < R; ++r) {
    if (!rows[r]) continue;
    float* dwr = dw + r * KW * ldw;
    for (std::size_t k0 = 0; k0 < KW; k0 += KB) {
      const int nkb = (int)ck_min(KB, KW - k0);
      std::size_t c0 = 0;
      for (; c0 + CW <= nc; c0 += CW)
        dww_chunk<V, KB, NV, false>(rows[r], k0, nkb, W, ldx, dy, ldy, OW, stride, dil, pad, c0, CW, dwr, ldw);
      if (c0 < nc)
        dww_chunk<V, KB, NV, true>(rows[r], k0, nkb, W, ldx, dy, ldy, OW, stride, dil, pad, c0, (int)(nc - c0), dwr,
                                   ldw);
    }
  }
}

// ---- bias gradient ----

template <class V, int NV>
void dwb_row_sum(const float* dy, std::size_t OW, std::size_t ldy, std::size_t nc, float* sum) {
  constexpr int VW = V::W, CW = NV * VW;
  for (std::size_t c0 = 0; c0 < nc; c0 += CW) {
    const int rem = (int)ck_min(CW, nc - c0);
    typename V::T acc[NV];
    #pragma GCC unroll 16
    for (int j = 0; j < NV; ++j) acc[j] = V::loadn(sum + c0 + j * VW, rem - j * VW);
    if (rem == CW) {
      for (std::size_t ow = 0; ow < OW; ++ow)
        #pragma GCC unroll 16
        for (int j = 0; j < NV; ++j) acc[j] = V::add(acc[j], V::load(dy + ow * ldy + c0 + j * VW));
    } else {
      for (std::size_t ow = 0; ow < OW; ++ow)
        #pragma GCC unroll 16
        for (int j = 0; j < NV; ++j) acc[j] = V::add(acc[j], V::loadn(dy + ow * ldy + c0 + j * VW, rem - j * VW));
    }
    #pragma GCC unroll 16
    for (int j = 0; j < NV; ++j) V::storen(sum + c0 + j * VW, acc[j], rem - j * VW);
  }
}

}  // namespace
}  // namespace convkit
