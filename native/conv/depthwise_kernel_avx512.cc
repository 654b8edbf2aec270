// AVX512 instantiation of the depthwise row kernel: 6 pixels x 2 vectors (32 channels) = 12 accumulators.
#include "conv/depthwise_kernel_impl.h"

namespace convkit {
const DepthwiseKernels& depthwise_kernels_avx512() {
  static const DepthwiseKernels k{&dw_row<VAvx512, 6, 2>, &dw_row<VAvx512, 6, 2, true>};
  return k;
}
}  // namespace convkit
