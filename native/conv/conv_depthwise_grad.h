// Depthwise gradients (groups = Cin = Cout, multiplier 1), part of the 'direct' algorithm, on the
// row kernels of depthwise_grad_kernels.h (vectorised over channels, several pixels or taps per
// register block). Any rank, stride, dilation and (asymmetric) padding. Other grouped
// convolutions keep the generic direct kernels (conv_direct.h).
#pragma once
#include "conv/conv_desc.h"
#include "runtime/errors.h"

namespace convkit {

// dx = conv_transpose(dy, w): every element of dx written. Throws InvalidArgument unless
// conv_is_depthwise1(d).
void conv_depthwise_dgrad(const ConvDesc& d, const float* dy, const float* w, float* dx,
                          const CancelToken& cancel = {});
// dw = sum over images and output pixels of x(tap) * dy, written (not accumulated); db = sum of dy
// when db is not null. Throws InvalidArgument unless conv_is_depthwise1(d).
void conv_depthwise_wgrad(const ConvDesc& d, const float* x, const float* dy, float* dw, float* db,
                          const CancelToken& cancel = {});

}  // namespace convkit
