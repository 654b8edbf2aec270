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
// Outputs of at least this many bytes are written with non-temporal stores (interior pixels, whole
// vectors; C a multiple of 16, y 64-byte aligned, no fused activation). A depthwise layer reads 9
// inputs per output from cache, so it is bound by memory traffic, and an output this large is
// evicted before anything reads it again, so its read-for-ownership is wasted bandwidth. Measured
// (AMD EPYC "Turin-like" VM, `convkit_bench conv N,56,56,128,128,3,3,1,1,1,128`, 1 thread, min
// CPU time, busy machine): N=8 (12.8 MB out) 1.77-2.10 -> 1.31-1.52 ms, 2 threads 1.98-2.17 ->
// 0.80-1.63; N=4 (6.4 MB) 0.47-0.51 -> 0.46; N=2 (3.2 MB) 0.22-0.24 both; N=1 (1.6 MB, stays cached)
// 0.090-0.100 -> 0.103-0.113 (slower). (On the Intel Xeon of session 3 it had measured slower at
// 12.8 MB too: 0.56 -> 0.61 ms, 2 threads.)
constexpr std::size_t kDepthwiseStreamMinBytes = std::size_t(8) << 20;
// For tests and tuning: the threshold above (0 = always where the conditions allow).
void set_depthwise_stream_min_bytes(std::size_t bytes);
std::size_t depthwise_stream_min_bytes();
// y = act(conv(x, w) + bias); filter [KD, KH, KW, 1, C]. Throws InvalidArgument unless conv_is_depthwise1(d).
void conv_depthwise_forward(const ConvDesc& d, const float* x, const float* w, const float* bias, float* y,
                            const CancelToken& cancel = {});

}  // namespace convkit
