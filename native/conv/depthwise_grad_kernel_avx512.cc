// AVX512 instantiation of the depthwise gradient row kernels: 6 pixels x 2 vectors (32 channels)
// for the input gradient, 3 taps x 4 vectors (64 channels) for the weight gradient.
#include "conv/depthwise_grad_kernel_impl.h"

namespace convkit {
const DepthwiseGradKernels& depthwise_grad_kernels_avx512() {
  static const DepthwiseGradKernels k{&dwd_row<VAvx512, 6, 2>, &dww_row<VAvx512, 3, 4>, &dwb_row_sum<VAvx512, 4>};
  return k;
}
}  // namespace convkit
