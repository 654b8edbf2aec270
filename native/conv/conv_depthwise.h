// Depthwise forward convolution (groups = Cin = Cout, one filter per channel), part of the 'direct'
// algorithm: the winner for depthwise layers (MobileNet-style), where im2col would run a 1-wide GEMM
// per channel. Any rank, stride, dilation and (asymmetric) padding; bias and activation fused per
// output row. Kernel and its register blocking: depthwise_kernels.h.
#pragma once
#include "conv/conv_desc.h"
#include "runtime/errors.h"

namespace convkit {

// Whether d is a depthwise convolution with multiplier 1 (what conv_depthwise_forward computes).
bool conv_is_depthwise1(const ConvDesc& d);
// y = act(conv(x, w) + bias); filter [KD, KH, KW, 1, C]. Throws InvalidArgument unless conv_is_depthwise1(d).
void conv_depthwise_forward(const ConvDesc& d, const float* x, const float* w, const float* bias, float* y,
                            const CancelToken& cancel = {});

}  // namespace convkit
