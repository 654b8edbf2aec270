// Portable (one channel at a time) instantiation of the F(3x3, 2x2) weight-gradient transforms.
#include "conv/winograd_wgrad_kernel_impl.h"

namespace convkit {
const WinogradWgradKernels& winograd_wgrad_kernels_scalar() {
  static const WinogradWgradKernels k = make_winograd_wgrad_kernels<VScalar>();
  return k;
}
}  // namespace convkit
