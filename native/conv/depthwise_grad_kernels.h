// Micro-kernels of the depthwise gradients (groups = Cin = Cout, multiplier 1), one dispatch table
// per ISA. Like the forward row kernel (depthwise_kernels.h) the lanes hold channels and a register
// block covers several pixels, addressed by arithmetic on row pointers (no per-tap pointer tables).
// NHWC; `rows` holds one pointer per kernel row r (the (kd, kh) pairs flattened), null where that
// kernel row contributes nothing.
//
// dgrad_row computes one input-gradient row (fixed n, id, ih), written (not accumulated):
//   dx[iw*ldx + c] = sum_{r, kw : ow integer in [0, OW)} rows[r][ow*ldy + c] * w[(r*KW + kw)*ldw + c],
//   ow = (iw + pad - kw*dil) / stride
// (the transpose of the forward map; rows[r] is the dy row that kernel row r maps this dx row to).
// Pixels are visited per phase iw = ph (mod stride): within a phase the valid taps are the same for
// every pixel (kw with kw*dil = ph + pad mod stride, an arithmetic progression in kw), and
// consecutive pixels of a phase read consecutive dy columns, so the interior runs in blocks of P.
//
// wgrad_row accumulates one output row's (fixed n, od, oh) share of the filter gradient:
//   dw[(r*KW + kw)*ldw + c] += sum_{ow : col in [0, W)} rows[r][col*ldx + c] * dy[ow*ldy + c],
//   col = ow*stride - pad + kw*dil
// (rows[r] is the input row kernel row r reads). KB taps at a time stay in registers over the
// whole row: per pixel one dy load feeds KB multiply-adds.
//
// row_sum adds one dy row's pixels into sum (the bias gradient, db[c] = sum of dy[.., c]), called
// right after wgrad_row while the row is still in cache:
//   sum[c] += sum_{ow < OW} dy[ow*ldy + c]
#pragma once
#include <cstddef>

#include "dispatch/cpu.h"

namespace convkit {

using DepthwiseDgradRowFn = void (*)(const float* const* rows, std::size_t R, std::size_t KW, std::size_t OW,
                                     std::size_t ldy, const float* w, std::size_t ldw, std::size_t nc, std::size_t W,
                                     std::size_t stride, std::size_t dil, std::size_t pad, float* dx, std::size_t ldx);
using DepthwiseWgradRowFn = void (*)(const float* const* rows, std::size_t R, std::size_t KW, std::size_t W,
                                     std::size_t ldx, const float* dy, std::size_t ldy, std::size_t nc, std::size_t OW,
                                     std::size_t stride, std::size_t dil, std::size_t pad, float* dw, std::size_t ldw);

using DepthwiseRowSumFn = void (*)(const float* dy, std::size_t OW, std::size_t ldy, std::size_t nc, float* sum);

struct DepthwiseGradKernels {
  DepthwiseDgradRowFn dgrad_row;
  DepthwiseWgradRowFn wgrad_row;
  DepthwiseRowSumFn row_sum;
};

const DepthwiseGradKernels& depthwise_grad_kernels_scalar();
const DepthwiseGradKernels& depthwise_grad_kernels_avx2();
const DepthwiseGradKernels& depthwise_grad_kernels_avx512();
// The table for the active ISA (read at call time).
const DepthwiseGradKernels& depthwise_grad_kernels();

}  // namespace convkit
