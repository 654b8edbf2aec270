// AVX2 instantiation of the column kernels (8-float vectors, masked tails).
#include "conv/column_kernel_impl.h"

namespace convkit {
const ColumnKernels& column_kernels_avx2() {
  static const ColumnKernels k{&im2col_rows<VAvx2>, &col2im_rows<VAvx2>};
  return k;
}
}  // namespace convkit
