// Weight (and bias) gradient of ordinary convolutions on the channel-vectorised direct kernels,
// over staged input rows.
//
// Why: layers with few input channels and a large kernel (the 7x7/2 RGB stem, AlexNet's 11x11/4)
// reduce over ~10^5 pixels into a small filter (147 x 64, 363 x 96). Through im2col the column
// matrix (pixels x taps*Cin, 59 MB on the stem) is written and read back by the GEMM: a quarter of a
// single-thread run built the columns. Here, as in the staged forward pass (conv_direct_staged.h),
// a kernel row's KW taps of Cin channels are one run of KW*Cin consecutive floats of the input row,
// so per output row and kernel row the kernel reduces the row's OW pixels at a constant stride:
//   dW[kh][j][k] += sum_ow xrow[ow*stride*Cin + j] * dy[ow][k],   j < KW*Cin
// with CB = 6 channels x 4 vectors of outputs in registers (4 dy loads + 6 broadcasts per 24 FMAs,
// the forward kernel's ratio). Rows are staged with their left/right zero padding (or read in place
// when the row needs none); kernel rows in the top/bottom padding contribute nothing and are skipped.
// Each chunk of output rows sums into its own filter-sized buffer, added up in chunk order at the end
// (results do not depend on which thread ran what).
#pragma once
#include "conv/conv_desc.h"
#include "runtime/errors.h"

namespace convkit {

// Whether conv_direct_staged_wgrad takes d: one group (or ordinary groups: not depthwise), bounded
// row buffers.
bool conv_direct_staged_wgrad_ok(const ConvDesc& d);
// dw = dL/dW (overwritten); db = dL/db when non-null.
void conv_direct_staged_wgrad(const ConvDesc& d, const float* x, const float* dy, float* dw, float* db,
                              const CancelToken& cancel = {});

}  // namespace convkit
