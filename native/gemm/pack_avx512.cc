// Packing routines instantiated for the avx512 micro-kernel (MR=14, NR=32, see gemm_config.cc);
// this file is compiled with the avx512 flags so the copies vectorise for it.
#include "gemm/microkernel.h"
#include "gemm/pack_impl.h"

namespace convkit::gemm {

void pack_a_avx512(bool trans, std::size_t mc, std::size_t kc, const float* a, std::size_t lda, float* dst) {
  pack_a_impl<14>(trans, mc, kc, a, lda, dst);
}
void pack_b_avx512(bool trans, std::size_t kc, std::size_t nc, const float* b, std::size_t ldb, float* dst) {
  pack_b_impl<32>(trans, kc, nc, b, ldb, dst);
}

}  // namespace convkit::gemm
