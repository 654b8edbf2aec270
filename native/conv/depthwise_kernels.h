// Micro-kernel of the depthwise forward convolution (groups = Cin = Cout), one dispatch table per ISA.
//
// One call computes one output row (fixed n, od, oh) for nc channels, NHWC:
//   out[ow*ldy + c] = bias[c] + sum_{r < R, kw < KW} rows[r][(ow*stride - pad + kw*dil)*ldx + c] * w[(r*KW + kw)*ldw + c]
// rows[r] is the input row that kernel row r (the (kd, kh) pairs, flattened) reads, or null where it
// falls into the top/bottom/front/back padding (those taps contribute nothing). Columns outside
// [0, W) are the left/right zero padding.
//
// Why a kernel of its own: a depthwise tap is one multiply-add per channel, so the pointer table of
// the generic direct kernels (one pointer per tap and pixel, rebuilt per block) cost as much as the
// arithmetic. Here the lanes hold channels and a register block of P pixels x NV vectors is
// addressed by arithmetic on the row pointers: interior pixels (every tap inside the row) in blocks
// of P, the few pixels touching the left/right padding one at a time with their taps clipped.
#pragma once
#include <cstddef>

#include "dispatch/cpu.h"

namespace convkit {

using DepthwiseRowFn = void (*)(const float* const* rows, std::size_t R, std::size_t KW, std::size_t W,
                                std::size_t ldx, const float* w, std::size_t ldw, const float* bias, std::size_t nc,
                                std::size_t OW, std::size_t stride, std::size_t dil, std::size_t pad, float* out,
                                std::size_t ldy);

struct DepthwiseKernels {
  DepthwiseRowFn row;
  // The same with the interior pixels' whole vectors stored non-temporally (no read-for-ownership
  // of the output lines; out and ldy*4 must be multiples of the vector size in bytes), for outputs
  // too large to stay cached anyway (conv_depthwise.cc). Null where the ISA has no such store.
  DepthwiseRowFn row_stream;
};

const DepthwiseKernels& depthwise_kernels_scalar();
const DepthwiseKernels& depthwise_kernels_avx2();
const DepthwiseKernels& depthwise_kernels_avx512();
// The table for the active ISA (read at call time).
const DepthwiseKernels& depthwise_kernels();

}  // namespace convkit
