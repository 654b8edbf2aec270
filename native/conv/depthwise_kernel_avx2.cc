// AVX2 instantiation of the depthwise row kernel: 4 pixels x 2 vectors (16 channels) = 8 accumulators.
#include "conv/depthwise_kernel_impl.h"

namespace convkit {
const DepthwiseKernels& depthwise_kernels_avx2() {
  static const DepthwiseKernels k{&dw_row<VAvx2, 4, 2>, &dw_row<VAvx2, 4, 2, true>};
  return k;
}
}  // namespace convkit
