// Pooling row kernels, avx512 instantiation.
#include "pool/pool_kernel_impl.h"

namespace convkit {
const PoolKernels& pool_kernels_avx512() {
  static const PoolKernels k = make_pool_kernels<VAvx512>();
  return k;
}
}  // namespace convkit
