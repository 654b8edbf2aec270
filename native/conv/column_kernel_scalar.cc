// Portable instantiation of the column kernels (one float at a time; the compiler may vectorise).
#include "conv/column_kernel_impl.h"

namespace convkit {
const ColumnKernels& column_kernels_scalar() {
  static const ColumnKernels k{&im2col_rows<VScalar>, &col2im_rows<VScalar>};
  return k;
}
}  // namespace convkit
