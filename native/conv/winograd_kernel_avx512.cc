// Winograd transforms compiled for avx512 (see winograd_kernel_impl.h).
#include "conv/winograd_f4_kernel_impl.h"
#include "conv/winograd_kernel_impl.h"
#include "conv/winograd_s2_kernel_impl.h"

namespace convkit {
const WinogradKernels& winograd_kernels_avx512() {
  static const WinogradKernels k{&wk_input, &wk_output, &f4_input<VAvx512>, &f4_output<VAvx512>, &wfilter<VAvx512>, &s2_input<VAvx512>, &s2_output<VAvx512>};
  return k;
}
}  // namespace convkit
