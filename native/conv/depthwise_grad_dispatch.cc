// The depthwise gradient dispatch table, read at call time so set_isa_override() takes effect.
#include "conv/depthwise_grad_kernels.h"

namespace convkit {
const DepthwiseGradKernels& depthwise_grad_kernels() {
  switch (active_isa()) {
    case Isa::avx512: return depthwise_grad_kernels_avx512();
    case Isa::avx2: return depthwise_grad_kernels_avx2();
    default: return depthwise_grad_kernels_scalar();
  }
}
}  // namespace convkit
