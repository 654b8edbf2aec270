// AVX2 instantiation of the col2im kernel (8-float vectors, masked tails).
#include "conv/col2im_kernel_impl.h"

namespace convkit {
const Col2imKernels& col2im_kernels_avx2() {
  static const Col2imKernels k{&col2im_rows<VAvx2>};
  return k;
}
}  // namespace convkit
