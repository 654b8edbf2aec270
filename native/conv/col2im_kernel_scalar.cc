// Portable instantiation of the col2im kernel (one float at a time; the compiler may vectorise).
#include "conv/col2im_kernel_impl.h"

namespace convkit {
const Col2imKernels& col2im_kernels_scalar() {
  static const Col2imKernels k{&col2im_rows<VScalar>};
  return k;
}
}  // namespace convkit
