// Iterative decimation-in-time radix-2 FFT over channel vectors (see fft.h): bit-reversal
// permutation, then log2(L) stages of butterflies (a, b) -> (a + w b, a - w b), w = e^{-+2 pi i j/len}.
#pragma once
#include <cstddef>

#include "conv/fft.h"

namespace convkit {
namespace {

inline void fk_swap(float* a, float* b, std::size_t C) {
  for (std::size_t c = 0; c < C; ++c) {
    float t = a[c];
    a[c] = b[c];
    b[c] = t;
  }
}

inline void fk_fft(const FftPlan& plan, float* re, float* im, std::size_t stride, std::size_t C, bool inverse) {
  const std::size_t L = plan.L;
  for (std::size_t i = 0; i < L; ++i) {
    std::size_t j = plan.bitrev[i];
    if (j > i) {
      fk_swap(re + i * stride, re + j * stride, C);
      fk_swap(im + i * stride, im + j * stride, C);
    }
  }
  const float sgn = inverse ? 1.f : -1.f;
  for (std::size_t len = 2; len <= L; len <<= 1) {
    const std::size_t half = len / 2, step = L / len;
    for (std::size_t s = 0; s < L; s += len)
      for (std::size_t j = 0; j < half; ++j) {
        const float wr = plan.cos_t[j * step], wi = sgn * plan.sin_t[j * step];
        float* __restrict ar = re + (s + j) * stride;
        float* __restrict ai = im + (s + j) * stride;
        float* __restrict br = re + (s + j + half) * stride;
        float* __restrict bi = im + (s + j + half) * stride;
        if (j == 0) {
          for (std::size_t c = 0; c < C; ++c) {
            float tr = br[c], ti = bi[c];
            br[c] = ar[c] - tr;
            bi[c] = ai[c] - ti;
            ar[c] += tr;
            ai[c] += ti;
          }
        } else {
          for (std::size_t c = 0; c < C; ++c) {
            float tr = wr * br[c] - wi * bi[c];
            float ti = wr * bi[c] + wi * br[c];
            br[c] = ar[c] - tr;
            bi[c] = ai[c] - ti;
            ar[c] += tr;
            ai[c] += ti;
          }
        }
      }
  }
}

}  // namespace
}  // namespace convkit
