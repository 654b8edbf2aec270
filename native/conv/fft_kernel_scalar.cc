// Channel-vector FFT compiled for scalar (see fft_kernel_impl.h).
#include "conv/fft_kernel_impl.h"

namespace convkit {
const FftKernels& fft_kernels_scalar() {
  static const FftKernels k{&fk_fft};
  return k;
}
}  // namespace convkit
