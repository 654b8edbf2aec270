// Pooling row kernels, avx2 instantiation.
#include "pool/pool_kernel_impl.h"

namespace convkit {
const PoolKernels& pool_kernels_avx2() {
  static const PoolKernels k = make_pool_kernels<VAvx2>();
  return k;
}
}  // namespace convkit
