// Depthwise forward convolution (groups = Cin = Cout, one filter per channel), part of the 'direct'
// algorithm: the winner for depthwise layers (MobileNet-style), where im2col would run a 1-wide GEMM
// per channel. Any rank, stride, dilation and (asymmetric) padding; bias and activation fused per
// output row. Kernel and its register blocking: depthwise_kernels.h.
#pragma once
#include <array>
#include <vector>
#include "conv/conv_desc.h"
#include "runtime/errors.h"

namespace convkit {

// Whether d is a depthwise convolution with multiplier 1 (what conv_depthwise_forward computes).
bool conv_is_depthwise1(const ConvDesc& d);
// The rows a depthwise row kernel reads for row r = (n*A + a)*B + b of a [N, A, B] grid of rows:
// rows[kd*KH + kh] = row (n, map[0][a*KD + kd], map[1][b*KH + kh]) of `src`, a [N, SD, SH] grid of
// rows of `rowlen` floats, or null where either map entry is -1 (the kernel row lies in the padding).
// The forward pass and the weight gradient walk output rows over x (forward tap maps), the input
// gradient walks dx rows over dy (gradient tap maps).
void depthwise_row_pointers(const ConvDesc& d, const std::array<std::vector<long>, 2>& map, std::size_t r, std::size_t A,
                            std::size_t B, const float* src, std::size_t SD, std::size_t SH, std::size_t rowlen,
                            const float** rows);
// y = act(conv(x, w) + bias); filter [KD, KH, KW, 1, C]. Throws InvalidArgument unless conv_is_depthwise1(d).
void conv_depthwise_forward(const ConvDesc& d, const float* x, const float* w, const float* bias, float* y,
                            const CancelToken& cancel = {});

}  // namespace convkit
