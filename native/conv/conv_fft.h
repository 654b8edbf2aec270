// Algorithm 4: FFT convolution by overlap-save on L x L tiles (L = 8..64, a power of two).
//
// Each L x L input tile (all channels at once: the FFT elements are channel vectors, fft.h) goes
// through a real-input 2-D FFT; by the correlation theorem the circular correlation with the filter
// is IFFT(X . conj(W)), and its first (L - kh_eff + 1) x (L - kw_eff + 1) outputs are exactly the
// linear ones (overlap-save: tiles overlap by the kernel's extent minus one). Summing over input
// channels makes, per frequency f, one complex matrix product over channels
//     Y_f[tile][k] = sum_c X_f[tile][c] conj(W_f[c][k])
// done as a real sgemm batched over the L*(L/2+1) frequencies:
//     [Xr | Xi] (tiles x 2C)  *  [[Wr, -Wi], [Wi, Wr]] (2C x 2K)  =  [Yr | Yi]
// The filter spectra (with the 1/L^2 of the inverse FFT folded in) are computed once (FftWeights).
//
// Applicability: 2-D, stride 1, groups 1 (dilation is fine: the kernel is embedded with gaps),
// dilated kernel extent <= 32.
#pragma once
#include <cstddef>
#include <string>

#include "conv/conv_desc.h"
#include "runtime/aligned.h"
#include "runtime/errors.h"

namespace convkit {

std::string fft_unsupported_reason(const ConvDesc& d);
// Tile side chosen for d (the smallest power of two >= 2 x the dilated kernel extent, >= 8).
std::size_t fft_tile_size(const ConvDesc& d);

struct FftWeights {
  std::size_t L = 0, C = 0, K = 0;
  AlignedPtr<float> B;  // [L*(L/2+1)][2C][2K]
};
void fft_prepare(const ConvDesc& d, const float* w, FftWeights* out);

std::size_t fft_workspace(const ConvDesc& d);
void conv_fft_forward(const ConvDesc& d, const FftWeights& W, const float* x, const float* bias, float* y, float* ws,
                      const CancelToken& cancel = {});

}  // namespace convkit
