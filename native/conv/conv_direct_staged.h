// Forward driver of the channel-vectorised direct kernels that stages input rows.
//
// Why: the implicit-addressing kernels (direct_kernels.h, DirectImplicitFn) need every tap of a
// block of P output pixels to read inside the input at a constant pixel stride. Blocks touching the
// padding, and the last block of a row when OW is not a multiple of P, used to fall back to one
// pointer per (tap, pixel), built by the driver: on the 7x7/2 RGB stem those blocks were 13% of the
// pixels and 22% of the time, on the 28-wide dilated 3x3 two blocks in five.
// Here, for each output row (n, od, oh), the KD*KH input rows it reads are copied into a per-thread
// buffer with the left/right zero padding written out (and rows falling into the top/bottom padding
// left as zeros), wide enough for ceil(OW/P)*P pixels. Every block is then interior:
//   buffer column of (ow, kw) = ow*stride + kw*dil        (source column ow*stride - pad + kw*dil)
// and a tail block computes P pixels into a scratch row and copies the np that exist.
// Rows stay staged in a small set of slots while consecutive output rows share them, so each
// output row copies only the input rows it adds (stride_h of them, not KD*KH): at most
// KD*KH*(W+pads)*Cin floats per output row against OW*Cout*KD*KH*KW*Cin multiply-adds.
#pragma once
#include "conv/conv_desc.h"
#include "runtime/errors.h"

namespace convkit {

// Whether conv_direct_staged_forward takes d: ordinary channels (not depthwise) and a per-thread
// row buffer of bounded size.
bool conv_direct_staged_ok(const ConvDesc& d);
// y = act(conv(x, w) + bias) through the channel-vectorised implicit kernels.
void conv_direct_staged_forward(const ConvDesc& d, const float* x, const float* w, const float* bias, float* y,
                                const CancelToken& cancel = {});

}  // namespace convkit
