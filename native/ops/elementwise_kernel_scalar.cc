// Baseline x86-64 (and any CPU) instantiation of the elementwise kernels.
#include "ops/elementwise_kernel_impl.h"
#include "ops/simd/vec_scalar.h"

namespace convkit {
const ElementwiseKernels kElementwiseScalar = ew_impl::make_kernels<simd::VecScalar>();
}
