// The optimizer kernels (optim_kernels.inc.h) compiled for scalar (baseline x86-64).
#define CK_OPTIM_NS optim_scalar
#include "optim/optim_kernels.inc.h"

namespace convkit {
const OptimKernels& optim_kernels_scalar() { return optim_scalar::kKernels; }
}  // namespace convkit
