// The input gradient of a stride-1 convolution is itself a forward convolution (the "full"
// correlation with the rotated filter):
//     dX[i] = sum_t dY[i + pad_before - t*dil] W[t]^T  =  conv(dY, rot180(W)^T) with pad' = eff-1-pad
// so every forward algorithm (Winograd and FFT in particular) also computes dgrad of stride-1
// layers. The filter becomes W'[T-1-t][o][g*cg + c] = W[t][c][g*og + o] (channels transposed within
// each group); the output of that convolution has exactly the input's size.
#pragma once
#include <string>

#include "conv/conv_desc.h"

namespace convkit {

// Fills *f with the forward descriptor computing d's input gradient. Returns "" or why not
// (stride > 1, or padding larger than the dilated kernel minus one).
std::string dgrad_as_forward(const ConvDesc& d, ConvDesc* f);
// wf (filter_size floats) = rotated, channel-transposed filter for dgrad_as_forward's descriptor.
void dgrad_filter(const ConvDesc& d, const float* w, float* wf);

}  // namespace convkit
