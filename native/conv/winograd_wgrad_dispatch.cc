// The Winograd weight-gradient transform table, read at call time so set_isa_override() takes effect.
#include "conv/winograd_wgrad_kernels.h"

namespace convkit {
const WinogradWgradKernels& winograd_wgrad_kernels() {
  switch (active_isa()) {
    case Isa::avx512: return winograd_wgrad_kernels_avx512();
    case Isa::avx2: return winograd_wgrad_kernels_avx2();
    default: return winograd_wgrad_kernels_scalar();
  }
}
}  // namespace convkit
