// Template bodies of the direct-convolution micro-kernels (see direct_kernels.h), instantiated per
// ISA with a vector-traits type V from simd_traits.h. Internal linkage only (anonymous namespace).
#pragma once
#include "conv/direct_kernels.h"
#include "conv/simd_traits.h"

namespace convkit {
namespace {

// Every loop over the register block (pixels p, vectors j, channels c) carries `#pragma GCC unroll`:
// GCC otherwise unrolls them only late (cunroll), after scalar replacement of aggregates has run,
// so the accumulator array acc[P][NV] stayed a stack array that loop-invariant motion loaded into
// zmm registers and stored back around every tap's channel loop, zero-filled by `rep stos` and
// re-read through failed store forwarding (21% of the 7x7/2 stem's kernel samples outside the
// inner loop). Unrolled early they are registers throughout: stem single thread 12.2 -> 9.9 ms,
// AlexNet 9.7 -> 8.75 ms (CPU-time minima, chrt -f 50, interleaved A/B, session 6).

template <class V, int P, int NV, bool TAIL>
void direct_tile(std::size_t T, std::size_t cin, const float* const* ptrs, const float* w, std::size_t ldw,
                 std::size_t wtap, std::size_t nco, std::size_t np, float* const* outs, const float* bias) {
  constexpr int W = V::W;
  typename V::T acc[P][NV];
  #pragma GCC unroll 16
  for (int j = 0; j < NV; ++j) {
    typename V::T b = V::zero();
    if (bias) b = TAIL ? V::loadn(bias + j * W, (int)nco - j * W) : V::load(bias + j * W);
    #pragma GCC unroll 16
    for (int p = 0; p < P; ++p) acc[p][j] = b;
  }
  for (std::size_t t = 0; t < T; ++t) {
    const float* q[P];
    #pragma GCC unroll 16
    for (int p = 0; p < P; ++p) q[p] = ptrs[t * P + p];
    const float* wt = w + t * wtap;
    for (std::size_t c = 0; c < cin; ++c) {
      const float* wc = wt + c * ldw;
      typename V::T wv[NV];
      #pragma GCC unroll 16
      for (int j = 0; j < NV; ++j) wv[j] = TAIL ? V::loadn(wc + j * W, (int)nco - j * W) : V::load(wc + j * W);
      #pragma GCC unroll 16
      for (int p = 0; p < P; ++p) {
        typename V::T x = V::bcast(q[p][c]);
        #pragma GCC unroll 16
        for (int j = 0; j < NV; ++j) acc[p][j] = V::fma(x, wv[j], acc[p][j]);
      }
    }
  }
  #pragma GCC unroll 16
  for (int p = 0; p < P; ++p) {
    if ((std::size_t)p >= np) break;
    #pragma GCC unroll 16
    for (int j = 0; j < NV; ++j) {
      if (TAIL)
        V::storen(outs[p] + j * W, acc[p][j], (int)nco - j * W);
      else
        V::store(outs[p] + j * W, acc[p][j]);
    }
  }
}

// direct_tile for an interior block of exactly P pixels, addressed by tap offsets (direct_kernels.h).
template <class V, int P, int NV, bool TAIL>
void direct_tile_implicit(std::size_t T, std::size_t cin, const float* base, const std::ptrdiff_t* toff,
                          std::ptrdiff_t boff, std::ptrdiff_t pstride, const float* w, std::size_t ldw,
                          std::size_t wtap, std::size_t nco, float* const* outs, const float* bias) {
  constexpr int W = V::W;
  typename V::T acc[P][NV];
  #pragma GCC unroll 16
  for (int j = 0; j < NV; ++j) {
    typename V::T b = V::zero();
    if (bias) b = TAIL ? V::loadn(bias + j * W, (int)nco - j * W) : V::load(bias + j * W);
    #pragma GCC unroll 16
    for (int p = 0; p < P; ++p) acc[p][j] = b;
  }
  for (std::size_t t = 0; t < T; ++t) {
    const float* q0 = base + (toff[t] + boff);
    const float* wt = w + t * wtap;
    for (std::size_t c = 0; c < cin; ++c) {
      const float* wc = wt + c * ldw;
      typename V::T wv[NV];
      #pragma GCC unroll 16
      for (int j = 0; j < NV; ++j) wv[j] = TAIL ? V::loadn(wc + j * W, (int)nco - j * W) : V::load(wc + j * W);
      #pragma GCC unroll 16
      for (int p = 0; p < P; ++p) {
        typename V::T x = V::bcast(q0[p * pstride + (std::ptrdiff_t)c]);
        #pragma GCC unroll 16
        for (int j = 0; j < NV; ++j) acc[p][j] = V::fma(x, wv[j], acc[p][j]);
      }
    }
  }
  #pragma GCC unroll 16
  for (int p = 0; p < P; ++p)
    #pragma GCC unroll 16
    for (int j = 0; j < NV; ++j) {
      if (TAIL)
        V::storen(outs[p] + j * W, acc[p][j], (int)nco - j * W);
      else
        V::store(outs[p] + j * W, acc[p][j]);
    }
}

// One pixel's input row and output-gradient row in a weight-gradient tile.
struct PixelRows {
  const float* x;
  const float* dy;
};

// The pixel loop of both weight-gradient tiles: acc[c][j] += x[off[c]] * dy[j*W ..] over npix
// pixels, pixel p's rows from rows(p) (an array of row pointers, or a constant stride). Always
// inlined, so acc stays in registers as in a hand-written loop (see the note above).
template <class V, int CB, int NV, bool TAIL, class Rows>
__attribute__((always_inline)) inline void wgrad_accumulate(typename V::T (&acc)[CB][NV], const int (&off)[CB],
                                                            std::size_t npix, std::size_t nco, Rows&& rows) {
  constexpr int W = V::W;
  for (std::size_t p = 0; p < npix; ++p) {
    const PixelRows r = rows(p);
    typename V::T dv[NV];
    #pragma GCC unroll 16
    for (int j = 0; j < NV; ++j) dv[j] = TAIL ? V::loadn(r.dy + j * W, (int)nco - j * W) : V::load(r.dy + j * W);
    #pragma GCC unroll 16
    for (int c = 0; c < CB; ++c) {
      typename V::T xv = V::bcast(r.x[off[c]]);
      #pragma GCC unroll 16
      for (int j = 0; j < NV; ++j) acc[c][j] = V::fma(xv, dv[j], acc[c][j]);
    }
  }
}

template <class V, int CB, int NV, bool TAIL>
void wgrad_tile(std::size_t npix, const float* const* xp, const float* const* dyp, std::size_t cb, std::size_t nco,
                float* dw, std::size_t ldw) {
  constexpr int W = V::W;
  int off[CB];
  #pragma GCC unroll 16
  for (int c = 0; c < CB; ++c) off[c] = (std::size_t)c < cb ? c : (int)cb - 1;
  typename V::T acc[CB][NV];
  #pragma GCC unroll 16
  for (int c = 0; c < CB; ++c)
    #pragma GCC unroll 16
    for (int j = 0; j < NV; ++j) {
      if ((std::size_t)c < cb)
        acc[c][j] = TAIL ? V::loadn(dw + c * ldw + j * W, (int)nco - j * W) : V::load(dw + c * ldw + j * W);
      else
        acc[c][j] = V::zero();
    }
  wgrad_accumulate<V, CB, NV, TAIL>(acc, off, npix, nco, [&](std::size_t p) { return PixelRows{xp[p], dyp[p]}; });
  #pragma GCC unroll 16
  for (int c = 0; c < CB; ++c) {
    if ((std::size_t)c >= cb) break;
    #pragma GCC unroll 16
    for (int j = 0; j < NV; ++j) {
      if (TAIL)
        V::storen(dw + c * ldw + j * W, acc[c][j], (int)nco - j * W);
      else
        V::store(dw + c * ldw + j * W, acc[c][j]);
    }
  }
}

// Weight gradient of one kernel row over a run of npix pixels at a constant input pixel stride
// (direct_kernels.h, DirectWgradImplicitFn): the block's sums start at zero, so each call adds a
// float sum of npix products to dw (a row's sum, then rows summed in dw: shorter float chains than
// one running sum over every pixel of a worker's share).
template <class V, int CB, int NV, bool TAIL>
void wgrad_tile_implicit(std::size_t npix, const float* x, std::ptrdiff_t pstride, const float* dy, std::size_t ldy,
                         std::size_t cb, std::size_t nco, float* dw, std::size_t ldw) {
  constexpr int W = V::W;
  typename V::T acc[CB][NV];
  #pragma GCC unroll 16
  for (int c = 0; c < CB; ++c)
    #pragma GCC unroll 16
    for (int j = 0; j < NV; ++j) acc[c][j] = V::zero();
  // Channels past cb re-read the last valid one (their sums are dropped), so the block stays whole.
  int off[CB];
  #pragma GCC unroll 16
  for (int c = 0; c < CB; ++c) off[c] = (std::size_t)c < cb ? c : (int)cb - 1;
  wgrad_accumulate<V, CB, NV, TAIL>(acc, off, npix, nco,
                                    [&](std::size_t p) { return PixelRows{x + (std::ptrdiff_t)p * pstride, dy + p * ldy}; });
  #pragma GCC unroll 16
  for (int c = 0; c < CB; ++c) {
    if ((std::size_t)c >= cb) break;
    #pragma GCC unroll 16
    for (int j = 0; j < NV; ++j) {
      float* q = dw + c * ldw + j * W;
      if (TAIL)
        V::storen(q, V::add(V::loadn(q, (int)nco - j * W), acc[c][j]), (int)nco - j * W);
      else
        V::store(q, V::add(V::load(q), acc[c][j]));
    }
  }
}

// One channel-block variant of NV vectors: P-pixel blocks (and P - 1 for exact row splits), the
// wgrad tiles over CB input channels. A variant with CB = 0 has implicit forward kernels only.
template <class V, int P, int NV, int CB>
DirectVariant direct_variant() {
  DirectVariant d{};
  d.P = P;
  d.cob = NV * V::W;
  if constexpr (CB > 0) {
    d.full = &direct_tile<V, P, NV, false>;
    d.tail = &direct_tile<V, P, NV, true>;
    d.CB = CB;
    d.wfull = &wgrad_tile<V, CB, NV, false>;
    d.wtail = &wgrad_tile<V, CB, NV, true>;
    d.wifull = &wgrad_tile_implicit<V, CB, NV, false>;
    d.witail = &wgrad_tile_implicit<V, CB, NV, true>;
  }
  d.ifull = &direct_tile_implicit<V, P, NV, false>;
  d.itail = &direct_tile_implicit<V, P, NV, true>;
  d.ifull1 = &direct_tile_implicit<V, P - 1, NV, false>;
  d.itail1 = &direct_tile_implicit<V, P - 1, NV, true>;
  return d;
}

template <class V, int P4, int P2, int P1, int CB4, int CB2, int CB1, int P3>
DirectKernels make_direct_kernels() {
  DirectKernels k{};
  k.v[0] = direct_variant<V, P4, 4, CB4>();
  k.v[1] = direct_variant<V, P2, 2, CB2>();
  k.v[2] = direct_variant<V, P1, 1, CB1>();
  k.v3 = direct_variant<V, P3, 3, 0>();
  return k;
}

}  // namespace
}  // namespace convkit
