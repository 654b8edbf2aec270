// Winograd transforms compiled for scalar (see winograd_kernel_impl.h).
#include "conv/winograd_f4_kernel_impl.h"
#include "conv/winograd_kernel_impl.h"
#include "conv/winograd_s2_kernel_impl.h"

namespace convkit {
const WinogradKernels& winograd_kernels_scalar() {
  static const WinogradKernels k{&wk_input, &wk_output, &f4_input<VScalar>, &f4_output<VScalar>, &wfilter<VScalar>, &s2_input<VScalar>, &s2_output<VScalar>};
  return k;
}
}  // namespace convkit
