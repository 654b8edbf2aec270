// AVX-512 instantiation of the direct-convolution micro-kernels (32 zmm registers):
// 6 pixels x 4 vectors (64 channels) = 24 accumulators; 12 x 2; 12 x 1; 8 x 3 (48 channels, forward
// interior blocks only).
#include "conv/direct_kernel_impl.h"

namespace convkit {
const DirectKernels& direct_kernels_avx512() {
  static const DirectKernels k = make_direct_kernels<VAvx512, 6, 12, 12, 6, 12, 12, 8>();
  return k;
}
}  // namespace convkit
