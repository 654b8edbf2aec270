// The row-kernel dispatch table, read at call time so set_isa_override() takes effect.
#include "conv/rows_kernels.h"

namespace convkit {
const RowsKernels& rows_kernels() {
  switch (active_isa()) {
    case Isa::avx512: return rows_kernels_avx512();
    case Isa::avx2: return rows_kernels_avx2();
    default: return rows_kernels_scalar();
  }
}
}  // namespace convkit
