// AVX-512 instantiation of the col2im kernel (16-float vectors, masked tails).
#include "conv/col2im_kernel_impl.h"

namespace convkit {
const Col2imKernels& col2im_kernels_avx512() {
  static const Col2imKernels k{&col2im_rows<VAvx512>};
  return k;
}
}  // namespace convkit
