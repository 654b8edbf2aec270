// AVX512 instantiation of the depthwise gradient row kernels: 4 pixels x 4 vectors (64 channels)
// for the input gradient (on 8x56x56x128 3x3: 0.59-0.61 ms against 0.68-0.70 for 6 x 2, like the
// forward's shape, and 8 x 2 in between; 2 threads, busy machine), 3 taps x 4 vectors for the weight
// gradient (3 x 2 and 3 x 6 measured slower).
#include "conv/depthwise_grad_kernel_impl.h"

namespace convkit {
const DepthwiseGradKernels& depthwise_grad_kernels_avx512() {
  static const DepthwiseGradKernels k{&dwd_row<VAvx512, 4, 4>, &dww_row<VAvx512, 3, 4>, &dwb_row_sum<VAvx512, 4>};
  return k;
}
}  // namespace convkit
