// Pooling row kernels, scalar instantiation.
#include "pool/pool_kernel_impl.h"

namespace convkit {
const PoolKernels& pool_kernels_scalar() {
  static const PoolKernels k = make_pool_kernels<VScalar>();
  return k;
}
}  // namespace convkit
