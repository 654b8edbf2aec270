// AVX-512F instantiation of the elementwise kernels (compiled with -mavx512f ...).
#include "ops/elementwise_kernel_impl.h"
#include "ops/simd/vec_avx512.h"

namespace convkit {
const ElementwiseKernels kElementwiseAvx512 = ew_impl::make_kernels<simd::VecAvx512>();
}
