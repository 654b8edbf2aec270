// The optimizer kernels (optim_kernels.inc.h) compiled for avx512: this file gets the ISA's compiler flags from scripts/native-sources.mjs, so the loops vectorise with it.
#define CK_OPTIM_NS optim_avx512
#include "optim/optim_kernels.inc.h"

namespace convkit {
const OptimKernels& optim_kernels_avx512() { return optim_avx512::kKernels; }
}  // namespace convkit
