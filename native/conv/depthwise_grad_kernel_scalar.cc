// Scalar (baseline x86-64) instantiation of the depthwise gradient row kernels: 4 pixels x 4
// channels for the input gradient, 3 taps x 4 channels for the weight gradient.
#include "conv/depthwise_grad_kernel_impl.h"

namespace convkit {
const DepthwiseGradKernels& depthwise_grad_kernels_scalar() {
  static const DepthwiseGradKernels k{&dwd_row<VScalar, 4, 4>, &dww_row<VScalar, 3, 4>, &dwb_row_sum<VScalar, 4>};
  return k;
}
}  // namespace convkit
