// AVX2+FMA (8 channels per vector) instantiation of the F(3x3, 2x2) weight-gradient transforms.
#include "conv/winograd_wgrad_kernel_impl.h"

namespace convkit {
const WinogradWgradKernels& winograd_wgrad_kernels_avx2() {
  static const WinogradWgradKernels k = make_winograd_wgrad_kernels<VAvx2>();
  return k;
}
}  // namespace convkit
