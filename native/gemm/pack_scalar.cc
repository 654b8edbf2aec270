// Packing routines instantiated for the scalar micro-kernel (MR=4, NR=16, see gemm_config.cc);
// this file is compiled with the scalar flags so the copies vectorise for it.
#include "gemm/microkernel.h"
#include "gemm/pack_impl.h"

namespace convkit::gemm {

void pack_a_scalar(bool trans, std::size_t mc, std::size_t kc, const float* a, std::size_t lda, float* dst) {
  pack_a_impl<4>(trans, mc, kc, a, lda, dst);
}
void pack_b_scalar(bool trans, std::size_t kc, std::size_t nc, const float* b, std::size_t ldb, float* dst) {
  pack_b_impl<16>(trans, kc, nc, b, ldb, dst);
}

}  // namespace convkit::gemm
