// Channel-vector FFT compiled for avx2 (see fft_kernel_impl.h).
#include "conv/fft_kernel_impl.h"

namespace convkit {
const FftKernels& fft_kernels_avx2() {
  static const FftKernels k{&fk_fft};
  return k;
}
}  // namespace convkit
