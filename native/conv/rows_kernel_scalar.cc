// Portable instantiation (vector width 1; the compiler keeps the scalar accumulators in SSE
// registers) of the row-vectorised direct-convolution kernels.
#include "conv/rows_kernel_impl.h"

namespace convkit {
const RowsKernels& rows_kernels_scalar() {
  static const RowsKernels k = make_rows_kernels<VScalar>(16, &rows_transpose_plain);
  return k;
}
}  // namespace convkit
