// Scalar (baseline x86-64) instantiation of the depthwise row kernel: 4 pixels x 4 channels.
#include "conv/depthwise_kernel_impl.h"

namespace convkit {
const DepthwiseKernels& depthwise_kernels_scalar() {
  static const DepthwiseKernels k{&dw_row<VScalar, 4, 4>, nullptr};
  return k;
}
}  // namespace convkit
