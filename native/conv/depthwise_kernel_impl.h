// Template body of the depthwise row kernel (depthwise_kernels.h), instantiated per ISA with a
// vector-traits type V from simd_traits.h. Internal linkage only (anonymous namespace).
#pragma once
#include "conv/depthwise_kernels.h"
#include "conv/simd_traits.h"

namespace convkit {
namespace {

// The loops over the register block carry `#pragma GCC unroll` so GCC unrolls them before scalar
// replacement of aggregates: otherwise acc[P][NV] stays a stack array, loaded into registers and
// stored back around every kernel row (see direct_kernel_impl.h). 56x56x128 3x3 at batch 8:
// 1 thread 0.94-1.02 -> 0.87-0.89 ms, 2 threads 0.53-0.56 -> 0.46-0.50 ms (minima, chrt -f 50, A/B).

// The register block's start (the bias, or zero, in every pixel) and end (stored, streamed, or
// only the first `rem` channels). Always inlined, so the unrolled loops land in the caller before
// scalar replacement and acc stays in registers.
template <class V, int P, int NV, bool TAIL>
__attribute__((always_inline)) inline void dw_acc_init(typename V::T (&acc)[P][NV], const float* bias, std::size_t c0,
                                                       int rem) {
  constexpr int VW = V::W;
  #pragma GCC unroll 16
  for (int j = 0; j < NV; ++j) {
    typename V::T b = V::zero();
    if (bias) b = TAIL ? V::loadn(bias + c0 + j * VW, rem - j * VW) : V::load(bias + c0 + j * VW);
    #pragma GCC unroll 16
    for (int p = 0; p < P; ++p) acc[p][j] = b;
  }
}

template <class V, int P, int NV, bool TAIL, bool NT>
__attribute__((always_inline)) inline void dw_acc_store(const typename V::T (&acc)[P][NV], float* out, std::size_t ow0,
                                                        std::size_t ldy, std::size_t c0, int rem) {
  constexpr int VW = V::W;
  #pragma GCC unroll 16
  for (int p = 0; p < P; ++p)
    #pragma GCC unroll 16
    for (int j = 0; j < NV; ++j) {
      float* o = out + (ow0 + p) * ldy + c0 + j * VW;
      if (TAIL)
        V::storen(o, acc[p][j], rem - j * VW);
      else if (NT)
        V::stream(o, acc[p][j]);
      else
        V::store(o, acc[p][j]);
    }
}

// P consecutive output pixels starting at ow0, channels [c0, c0 + NV*W) (TAIL: only `rem` of them).
// FULL_ROW: every tap of every pixel lies inside [0, W) (no column checks); otherwise P == 1 and
// the taps are clipped to the row. NT: whole vectors are stored non-temporally (dw_row_stream).
template <class V, int P, int NV, bool TAIL, bool FULL_ROW, bool NT = false>
inline void dw_block(const float* const* rows, std::size_t R, std::size_t KW, std::size_t W, std::size_t ldx,
                     const float* w, std::size_t ldw, const float* bias, std::size_t c0, int rem, std::size_t ow0,
                     std::size_t stride, std::size_t dil, std::size_t pad, float* out, std::size_t ldy) {
  constexpr int VW = V::W;
  typename V::T acc[P][NV];
  dw_acc_init<V, P, NV, TAIL>(acc, bias, c0, rem);
  // Column of tap kw for pixel ow0 + p: ow0*stride - pad + kw*dil + p*stride (may be "negative",
  // so kept signed; FULL_ROW guarantees the range).
  const long col0 = (long)(ow0 * stride) - (long)pad;
  std::size_t kw_lo = 0, kw_hi = KW;
  if (!FULL_ROW) {
    while (kw_lo < KW && col0 + (long)(kw_lo * dil) < 0) ++kw_lo;
    while (kw_hi > kw_lo && col0 + (long)((kw_hi - 1) * dil) >= (long)W) --kw_hi;
  }
  const std::ptrdiff_t pstep = (std::ptrdiff_t)(stride * ldx);
  for (std::size_t r = 0; r < R; ++r) {
    if (!rows[r]) continue;
    const float* wr = w + r * KW * ldw + c0;
    for (std::size_t kw = kw_lo; kw < kw_hi; ++kw) {
      const float* wk = wr + kw * ldw;
      typename V::T wv[NV];
      #pragma GCC unroll 16
      for (int j = 0; j < NV; ++j) wv[j] = TAIL ? V::loadn(wk + j * VW, rem - j * VW) : V::load(wk + j * VW);
      // In range by the clipping above: the pointer never leaves the row.
      const float* xk = rows[r] + ((col0 + (long)(kw * dil)) * (std::ptrdiff_t)ldx + (std::ptrdiff_t)c0);
      #pragma GCC unroll 16
      for (int p = 0; p < P; ++p)
        #pragma GCC unroll 16
        for (int j = 0; j < NV; ++j) {
          const float* q = xk + p * pstep + j * VW;
          acc[p][j] = V::fma(TAIL ? V::loadn(q, rem - j * VW) : V::load(q), wv[j], acc[p][j]);
        }
    }
  }
  dw_acc_store<V, P, NV, TAIL, NT>(acc, out, ow0, ldy, c0, rem);
}

// dw_block for interior pixels of a stride-1, undilated row with a compile-time kernel width KW
// (3 and 5: MobileNet's and EfficientNet's depthwise layers). Written as a sliding window: output
// pixel p's tap kw reads input column p + kw, so a block of P pixels reads only P + KW - 1 columns
// per kernel row, each loaded once and multiplied into the up to KW accumulators that use it, with
// the KW x NV weight vectors of the row held in registers. The generic dw_block above addresses
// every (tap, pixel) by runtime stride/dilation arithmetic and reloads the input per tap: on the
// 56x56x128 3x3 layer its inner loop spent more instructions on addresses (imul, adds, GPRs spilled
// to xmm) than on multiply-adds and ran at ~0.6 FMA per cycle on one thread. Here a column step is
// one pointer add.
template <class V, int P, int NV, int KW, bool TAIL, bool NT = false>
inline void dw_block_s1(const float* const* rows, std::size_t R, std::size_t ldx, const float* w, std::size_t ldw,
                        const float* bias, std::size_t c0, int rem, std::size_t ow0, std::size_t pad, float* out,
                        std::size_t ldy) {
  constexpr int VW = V::W;
  typename V::T acc[P][NV];
  dw_acc_init<V, P, NV, TAIL>(acc, bias, c0, rem);
  // First column this block reads (interior: ow0 >= pad, so never left of the row).
  const std::size_t col0 = ow0 - pad;
  for (std::size_t r = 0; r < R; ++r) {
    if (!rows[r]) continue;
    const float* wr = w + r * KW * ldw + c0;
    typename V::T wv[KW][NV];
    #pragma GCC unroll 16
    for (int kw = 0; kw < KW; ++kw)
      #pragma GCC unroll 16
      for (int j = 0; j < NV; ++j)
        wv[kw][j] = TAIL ? V::loadn(wr + kw * ldw + j * VW, rem - j * VW) : V::load(wr + kw * ldw + j * VW);
    const float* q = rows[r] + col0 * ldx + c0;
    #pragma GCC unroll 32
    for (int m = 0; m < P + KW - 1; ++m, q += ldx) {
      typename V::T xv[NV];
      #pragma GCC unroll 16
      for (int j = 0; j < NV; ++j) xv[j] = TAIL ? V::loadn(q + j * VW, rem - j * VW) : V::load(q + j * VW);
      // Column m feeds pixel p = m - kw through tap kw.
      #pragma GCC unroll 16
      for (int kw = 0; kw < KW; ++kw) {
        const int p = m - kw;
        if (p < 0 || p >= P) continue;
        #pragma GCC unroll 16
        for (int j = 0; j < NV; ++j) acc[p][j] = V::fma(xv[j], wv[kw][j], acc[p][j]);
      }
    }
  }
  dw_acc_store<V, P, NV, TAIL, NT>(acc, out, ow0, ldy, c0, rem);
}

// All channel blocks of P interior pixels through dw_block_s1.
template <class V, int P, int NV, int KW, bool NT = false>
inline void dw_pixels_s1(const float* const* rows, std::size_t R, std::size_t ldx, const float* w, std::size_t ldw,
                         const float* bias, std::size_t nc, std::size_t ow0, std::size_t pad, float* out,
                         std::size_t ldy) {
  constexpr int CW = NV * V::W;
  std::size_t c0 = 0;
  for (; c0 + CW <= nc; c0 += CW)
    dw_block_s1<V, P, NV, KW, false, NT>(rows, R, ldx, w, ldw, bias, c0, CW, ow0, pad, out, ldy);
  if (c0 < nc) dw_block_s1<V, P, NV, KW, true>(rows, R, ldx, w, ldw, bias, c0, (int)(nc - c0), ow0, pad, out, ldy);
}

template <class V, int P, int NV, bool FULL_ROW, int BP, bool NT = false>
inline void dw_pixels(const float* const* rows, std::size_t R, std::size_t KW, std::size_t W, std::size_t ldx,
                      const float* w, std::size_t ldw, const float* bias, std::size_t nc, std::size_t ow0,
                      std::size_t stride, std::size_t dil, std::size_t pad, float* out, std::size_t ldy) {
  constexpr int CW = NV * V::W;
  std::size_t c0 = 0;
  for (; c0 + CW <= nc; c0 += CW)
    dw_block<V, BP, NV, false, FULL_ROW, NT>(rows, R, KW, W, ldx, w, ldw, bias, c0, CW, ow0, stride, dil, pad, out,
                                             ldy);
  if (c0 < nc)
    dw_block<V, BP, NV, true, FULL_ROW>(rows, R, KW, W, ldx, w, ldw, bias, c0, (int)(nc - c0), ow0, stride, dil, pad,
                                        out, ldy);
  (void)P;
}

template <class V, int P, int NV, bool NT = false>
void dw_row(const float* const* rows, std::size_t R, std::size_t KW, std::size_t W, std::size_t ldx, const float* w,
            std::size_t ldw, const float* bias, std::size_t nc, std::size_t OW, std::size_t stride, std::size_t dil,
            std::size_t pad, float* out, std::size_t ldy) {
  // Interior pixels: ow*stride >= pad and ow*stride - pad + (KW-1)*dil <= W-1.
  std::size_t lo = (pad + stride - 1) / stride, hi = 0;
  const long last = (long)W - 1 + (long)pad - (long)((KW - 1) * dil);
  if (last >= 0) hi = (std::size_t)last / stride + 1;
  if (hi > OW) hi = OW;
  if (lo > hi) lo = hi;
  std::size_t ow = 0;
  for (; ow < lo; ++ow)
    dw_pixels<V, P, NV, false, 1>(rows, R, KW, W, ldx, w, ldw, bias, nc, ow, stride, dil, pad, out, ldy);
  if (stride == 1 && dil == 1 && KW == 3)
    for (; ow + P <= hi; ow += P) dw_pixels_s1<V, P, NV, 3, NT>(rows, R, ldx, w, ldw, bias, nc, ow, pad, out, ldy);
  else if (stride == 1 && dil == 1 && KW == 5)
    for (; ow + P <= hi; ow += P) dw_pixels_s1<V, P, NV, 5, NT>(rows, R, ldx, w, ldw, bias, nc, ow, pad, out, ldy);
  else
    for (; ow + P <= hi; ow += P)
      dw_pixels<V, P, NV, true, P, NT>(rows, R, KW, W, ldx, w, ldw, bias, nc, ow, stride, dil, pad, out, ldy);
  for (; ow < hi; ++ow)
    dw_pixels<V, P, NV, true, 1>(rows, R, KW, W, ldx, w, ldw, bias, nc, ow, stride, dil, pad, out, ldy);
  for (; ow < OW; ++ow)
    dw_pixels<V, P, NV, false, 1>(rows, R, KW, W, ldx, w, ldw, bias, nc, ow, stride, dil, pad, out, ldy);
#if defined(__AVX2__) || defined(__AVX512F__)
  // Non-temporal stores are weakly ordered: make them visible before the row is handed on.
  if (NT) _mm_sfence();
#endif
}

}  // namespace
}  // namespace convkit
