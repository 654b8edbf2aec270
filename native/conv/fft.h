// A radix-2 complex FFT whose elements are channel vectors: position p holds C real parts at
// re + p*stride and C imaginary parts at im + p*stride. In NHWC every spatial position already is
// such a vector, so one transform serves all channels of a tile and the butterflies vectorise over
// channels (compiled per ISA in fft_kernel_*.cc).
//
//   forward: X[k] = sum_n x[n] e^{-2 pi i nk/L};   inverse: x[n] = sum_k X[k] e^{+2 pi i nk/L} (unscaled)
#pragma once
#include <cstddef>
#include <vector>

namespace convkit {

struct FftPlan {
  std::size_t L = 0;
  std::vector<unsigned> bitrev;  // bit-reversal permutation
  std::vector<float> cos_t, sin_t;  // cos/sin(2 pi j / L), j < L/2
  explicit FftPlan(std::size_t L);
};

struct FftKernels {
  void (*fft)(const FftPlan& plan, float* re, float* im, std::size_t stride, std::size_t C, bool inverse);
};
const FftKernels& fft_kernels_scalar();
const FftKernels& fft_kernels_avx2();
const FftKernels& fft_kernels_avx512();
const FftKernels& fft_kernels();

}  // namespace convkit
