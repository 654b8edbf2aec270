// AVX2+FMA instantiation (16 ymm registers) of the row-vectorised direct-convolution kernels.
#include "conv/rows_kernel_impl.h"

namespace convkit {
const RowsKernels& rows_kernels_avx2() {
  static const RowsKernels k = make_rows_kernels<VAvx2>(16);
  return k;
}
}  // namespace convkit
