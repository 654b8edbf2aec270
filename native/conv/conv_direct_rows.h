// The row-vectorised direct convolution: the part of the 'direct' algorithm for layers with few
// input channels (LeNet's first conv, CIFAR RGB inputs, 7x7/11x11 strided RGB stems).
//
// Why a second direct kernel: the channel-vectorised kernel (conv_direct.cc) fills its vector lanes
// with output channels and builds one pointer per (tap, pixel); with Cin = 1 and Cout = 6 it uses 6
// of 16 AVX-512 lanes and spends as long building pointers as multiplying. Here the lanes hold
// consecutive output pixels of one row instead:
//   1. the input of every image is repacked into planar rows x'[n][c][d][h][phase][j] (zero padded
//      left/right): padded column u = iw + pad_left goes to phase u % stride, slot u / stride, so the
//      pixels ow, ow+1, ... read through tap kw sit contiguously at phase (kw*dil) % stride, slots
//      ow + (kw*dil) / stride (this is what makes strides and dilation plain unaligned loads);
//   2. a register block of (output channels x width vectors) accumulates, per (tap, input channel),
//      one input vector times broadcast weights; taps whose input row is padding are skipped;
//   3. the row block (channel-major) gets bias + activation and is transposed into the NHWC output.
// The weight gradient uses the same planar input and a channel-major copy of dY:
//   dW[t][c][o] = sum over pixels of x'[.., c, row(t), phase(t)][ow + shift(t)] * dY'[.., o][ow],
// vector accumulators over the width, lanes and row partitions summed at the end in a fixed order
// (so the result does not depend on the thread count).
// The input gradient of a stride-1 layer is a forward convolution of dY with the rotated filter
// (conv_transform.h); with few input channels that forward has few OUTPUT channels, which the row
// kernel handles well (one broadcast weight per width vector), so dgrad goes through it.
// Any rank, stride, dilation and (asymmetric) padding; groups must be 1; dgrad needs stride 1.
#pragma once
#include <string>

#include "conv/conv_desc.h"
#include "conv/conv_select.h"  // ConvPass
#include "runtime/errors.h"

namespace convkit {

// "" when the row kernels can compute pass p of d, else why not.
std::string conv_rows_unsupported_reason(const ConvDesc& d, ConvPass p);
// Whether the direct algorithm should use the row kernels for pass p of d on the active ISA (few
// input and output channels, rows wide enough to fill vectors). True whenever conv_rows_few_channels(d, p)
// holds, on every ISA.
bool conv_rows_preferred(const ConvDesc& d, ConvPass p);
// The ISA-independent part of that rule, for the pure cost model (conv_select.cc): supported,
// Cin <= 15 (forward) / 4 (gradients), Cout <= 32 (forward, dgrad) / 16 (wgrad), and vectorised
// rows (output rows; input rows for dgrad) at least 8 wide.
bool conv_rows_few_channels(const ConvDesc& d, ConvPass p);

// y = act(conv(x, w) + bias). Throws Unsupported when conv_rows_unsupported_reason(d) is not "".
void conv_rows_forward(const ConvDesc& d, const float* x, const float* w, const float* bias, float* y,
                       const CancelToken& cancel = {});
// dx = conv^T(dy, w) (overwrites) for stride-1 layers, through conv_rows_forward.
void conv_rows_dgrad(const ConvDesc& d, const float* dy, const float* w, float* dx, const CancelToken& cancel = {});
// dw = sum over batch/pixels of x (x) dy (overwrites); db = sum of dy (may be null).
void conv_rows_wgrad(const ConvDesc& d, const float* x, const float* dy, float* dw, float* db,
                     const CancelToken& cancel = {});

}  // namespace convkit
