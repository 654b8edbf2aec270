// Winograd transforms compiled for avx2 (see winograd_kernel_impl.h).
#include "conv/winograd_f4_kernel_impl.h"
#include "conv/winograd_kernel_impl.h"
#include "conv/winograd_s2_kernel_impl.h"

namespace convkit {
const WinogradKernels& winograd_kernels_avx2() {
  static const WinogradKernels k{&wk_input, &wk_output, &f4_input<VAvx2>, &f4_output<VAvx2>, &wfilter<VAvx2>, &s2_input<VAvx2>, &s2_output<VAvx2>};
  return k;
}
}  // namespace convkit
