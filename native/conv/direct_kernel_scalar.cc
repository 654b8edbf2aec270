// Portable instantiation of the direct-convolution micro-kernels (vector width 1): a 4 x 4 block of
// scalar accumulators, which the compiler keeps in SSE registers on baseline x86-64.
#include "conv/direct_kernel_impl.h"

namespace convkit {
const DirectKernels& direct_kernels_scalar() {
  static const DirectKernels k = make_direct_kernels<VScalar, 4, 4, 4, 4, 4, 4, 4>();
  return k;
}
}  // namespace convkit
