// AVX-512 instantiation of the column kernels (16-float vectors, masked tails).
#include "conv/column_kernel_impl.h"

namespace convkit {
const ColumnKernels& column_kernels_avx512() {
  static const ColumnKernels k{&im2col_rows<VAvx512>, &col2im_rows<VAvx512>};
  return k;
}
}  // namespace convkit
