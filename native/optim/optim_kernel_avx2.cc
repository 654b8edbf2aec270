// The optimizer kernels (optim_kernels.inc.h) compiled for avx2: this file gets the ISA's compiler flags from scripts/native-sources.mjs, so the loops vectorise with it.
#define CK_OPTIM_NS optim_avx2
#include "optim/optim_kernels.inc.h"

namespace convkit {
const OptimKernels& optim_kernels_avx2() { return optim_avx2::kKernels; }
}  // namespace convkit
