// The col2im dispatch table, read at call time so set_isa_override() takes effect.
#include "conv/col2im_kernels.h"

namespace convkit {
const Col2imKernels& col2im_kernels() {
  switch (active_isa()) {
    case Isa::avx512: return col2im_kernels_avx512();
    case Isa::avx2: return col2im_kernels_avx2();
    default: return col2im_kernels_scalar();
  }
}
}  // namespace convkit
