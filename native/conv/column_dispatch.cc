// The column-kernel dispatch table, read at call time so set_isa_override() takes effect.
#include "conv/column_kernels.h"

namespace convkit {
const ColumnKernels& column_kernels() {
  switch (active_isa()) {
    case Isa::avx512: return column_kernels_avx512();
    case Isa::avx2: return column_kernels_avx2();
    default: return column_kernels_scalar();
  }
}
}  // namespace convkit
