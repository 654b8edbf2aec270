// AVX2+FMA instantiation of the elementwise kernels (compiled with -mavx2 -mfma).
#include "ops/elementwise_kernel_impl.h"
#include "ops/simd/vec_avx2.h"

namespace convkit {
const ElementwiseKernels kElementwiseAvx2 = ew_impl::make_kernels<simd::VecAvx2>();
}
