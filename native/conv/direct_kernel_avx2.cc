// AVX2+FMA instantiation of the direct-convolution micro-kernels (16 ymm registers):
// 3 pixels x 4 vectors (32 channels) = 12 accumulators; 6 x 2; 8 x 1; 4 x 3 (24 channels, forward
// interior blocks only).
#include "conv/direct_kernel_impl.h"

namespace convkit {
const DirectKernels& direct_kernels_avx2() {
  static const DirectKernels k = make_direct_kernels<VAvx2, 3, 6, 8, 3, 6, 8, 4>();
  return k;
}
}  // namespace convkit
