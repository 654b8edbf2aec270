// AVX-512 instantiation (32 zmm registers) of the row-vectorised direct-convolution kernels.
#include "conv/rows_kernel_impl.h"

namespace convkit {
const RowsKernels& rows_kernels_avx512() {
  static const RowsKernels k = make_rows_kernels<VAvx512>(32);
  return k;
}
}  // namespace convkit
