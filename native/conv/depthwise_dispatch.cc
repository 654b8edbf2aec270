// The depthwise dispatch table, read at call time so set_isa_override() takes effect.
#include "conv/depthwise_kernels.h"

namespace convkit {
const DepthwiseKernels& depthwise_kernels() {
  switch (active_isa()) {
    case Isa::avx512: return depthwise_kernels_avx512();
    case Isa::avx2: return depthwise_kernels_avx2();
    default: return depthwise_kernels_scalar();
  }
}
}  // namespace convkit
