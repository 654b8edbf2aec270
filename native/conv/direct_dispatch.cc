// The direct-convolution dispatch table, read at call time so set_isa_override() takes effect.
#include "conv/direct_kernels.h"

namespace convkit {
const DirectKernels& direct_kernels() {
  switch (active_isa()) {
    case Isa::avx512: return direct_kernels_avx512();
    case Isa::avx2: return direct_kernels_avx2();
    default: return direct_kernels_scalar();
  }
}
}  // namespace convkit
