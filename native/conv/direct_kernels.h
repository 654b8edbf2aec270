// Micro-kernels of the direct (sliding-window) convolution, one dispatch table per ISA.
//
// The direct algorithm never copies the input: for a block of P output pixels and every filter tap
// it hands the kernel one pointer per (tap, pixel) to the Cin-long input row that tap reads, or to
// a shared row of zeros where the tap falls into the padding. Padding, stride, dilation and the
// gather form of the input gradient are all expressed by those pointers, so one register-blocked
// kernel serves them all:
//
//   out[p][j] = bias[j] + sum_t sum_c ptrs[t][p][c] * w[t*wtap + c*ldw + j]     p < P, j < nco
//
// The accumulators are a P x (NV vectors) block held in registers; each weight vector loaded is
// reused P times and each broadcast input value NV times.
#pragma once
#include <cstddef>

#include "dispatch/cpu.h"

namespace convkit {

using DirectTileFn = void (*)(std::size_t T, std::size_t cin, const float* const* ptrs, const float* w,
                              std::size_t ldw, std::size_t wtap, std::size_t nco, std::size_t np, float* const* outs,
                              const float* bias);
// The same block for P pixels whose taps all read inside the input at a constant pixel stride (the
// interior of a forward convolution): ptrs[t][p] = base + (toff[t] + boff + p*pstride), so the
// driver builds T offsets per output row instead of T*P pointers per block (with Cin = 3 building
// those pointers cost as much as the multiply-adds).
using DirectImplicitFn = void (*)(std::size_t T, std::size_t cin, const float* base, const std::ptrdiff_t* toff,
                                  std::ptrdiff_t boff, std::ptrdiff_t pstride, const float* w, std::size_t ldw,
                                  std::size_t wtap, std::size_t nco, float* const* outs, const float* bias);
// Weight gradient block: dw[c][j] += sum_p xp[p][c] * dyp[p][j], c < cb (<= CB), j < nco.
using WgradTileFn = void (*)(std::size_t npix, const float* const* xp, const float* const* dyp, std::size_t cb,
                             std::size_t nco, float* dw, std::size_t ldw);

// Weight gradient of a run of npix pixels whose input values sit at a constant stride (one kernel
// row of a staged or in-place input row): dw[c][j] += sum_p x[p*pstride + c] * dy[p*ldy + j],
// c < cb (<= CB), j < nco.
using DirectWgradImplicitFn = void (*)(std::size_t npix, const float* x, std::ptrdiff_t pstride, const float* dy,
                                       std::size_t ldy, std::size_t cb, std::size_t nco, float* dw, std::size_t ldw);

struct DirectVariant {
  int P;           // pixels per block (rows of the register block)
  int cob;         // output channels per block (NV * vector width)
  DirectTileFn full, tail;  // tail: nco < cob (masked loads/stores)
  int CB;          // input channels per wgrad block
  WgradTileFn wfull, wtail;
  DirectWgradImplicitFn wifull, witail;  // the same block over a constant-stride run of pixels
  DirectImplicitFn ifull, itail;  // interior blocks of exactly P pixels
  // The same for blocks of P - 1 pixels: a row of OW pixels, OW = m*P + r, splits with no wasted
  // pixel into (P - r) % P blocks of P - 1 and the rest of P (when OW is at least that long), since
  // OW - k*(P-1) = (m - k)*P + r + k is a multiple of P for k = P - r. The 7x7/2 stem's 112 pixels
  // are 17 x 6 + 2 x 5 instead of 19 x 6 with 2 pixels thrown away per row; AlexNet's 55 are 6 x 8 + 7.
  DirectImplicitFn ifull1, itail1;
};

struct DirectKernels {
  DirectVariant v[3];  // widest channel block first: 4, 2, 1 vectors
  // 3 vectors (48 channels on AVX-512, 24 on AVX2), implicit forward kernels only (ifull/itail):
  // 96-channel layers (AlexNet) as 2 x 48 with fewer pixels per block than 3 x 32, so fewer
  // broadcasts per multiply-add and less waste in the row's last block (55 = 7 x 8 - 1, not 5 x 12 - 5).
  DirectVariant v3;
};

const DirectKernels& direct_kernels_scalar();
const DirectKernels& direct_kernels_avx2();
const DirectKernels& direct_kernels_avx512();
// The table for the active ISA (read at call time).
const DirectKernels& direct_kernels();

}  // namespace convkit
