// AVX2 instantiation of the depthwise gradient row kernels: 4 pixels x 2 vectors for the input
// gradient, 3 taps x 2 vectors for the weight gradient.
#include "conv/depthwise_grad_kernel_impl.h"

namespace convkit {
const DepthwiseGradKernels& depthwise_grad_kernels_avx2() {
  static const DepthwiseGradKernels k{&dwd_row<VAvx2, 4, 2>, &dww_row<VAvx2, 3, 2>, &dwb_row_sum<VAvx2, 4>};
  return k;
}
}  // namespace convkit
