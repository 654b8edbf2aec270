// Plain, deliberately unoptimised reference implementations that the fast kernels (native/gemm,
// native/conv) are tested against. Straight loops over the definitions, double accumulation, no
// blocking, no SIMD, no threads. Do not use them for speed.
#pragma once
#include <cstddef>

#include "runtime/errors.h"

namespace convkit {

// C[M,N] = op(A) op(B), row-major and contiguous: A is [M,K] ([K,M] if trans_a), B is [K,N]
// ([N,K] if trans_b). C is overwritten. Sums in double, rounded once to float.
void reference_matmul(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, const float* A,
                      const float* B, float* C, const CancelToken& cancel = {});

// Geometry of a 2-D convolution over NHWC input with an HWIO filter [KH, KW, C/groups, OC].
struct Conv2dParams {
  std::size_t N = 0, H = 0, W = 0, C = 0;    // input
  std::size_t KH = 0, KW = 0, OC = 0;        // filter
  std::size_t stride_h = 1, stride_w = 1;
  std::size_t dilation_h = 1, dilation_w = 1;
  std::size_t pad_top = 0, pad_left = 0;     // zero padding before the first row/column
  std::size_t OH = 0, OW = 0;                // output [N, OH, OW, OC]
  std::size_t groups = 1;                    // C and OC divisible by groups (depthwise: groups = C)
};

enum class Padding : int { valid = 0, same = 1 };

// Computes output size and padding as Keras/TensorFlow do:
//   valid: OH = floor((H - (KH-1)*dh - 1) / sh) + 1 (0 if the dilated filter is larger than H)
//   same:  OH = ceil(H / sh); total padding max((OH-1)*sh + (KH-1)*dh + 1 - H, 0), the smaller
//          half before (top/left), the larger after.
// Throws InvalidArgument for zero strides/dilations/filter sizes, or channels/groups mismatches.
Conv2dParams conv2d_params(std::size_t N, std::size_t H, std::size_t W, std::size_t C, std::size_t KH, std::size_t KW,
                           std::size_t filter_in, std::size_t OC, std::size_t stride_h, std::size_t stride_w,
                           std::size_t dilation_h, std::size_t dilation_w, Padding padding, std::size_t groups);

// y[n, oh, ow, oc] = bias[oc] + sum_{kh, kw, ci} x[n, oh*sh + kh*dh - pad_top, ow*sw + kw*dw - pad_left,
//                                                  g*Cg + ci] * w[kh, kw, ci, oc]
// with g = oc / (OC/groups), Cg = C/groups, out-of-range input positions reading 0.
// bias may be nullptr. y is [N, OH, OW, OC] and is overwritten.
void reference_conv2d(const Conv2dParams& p, const float* x, const float* w, const float* bias, float* y,
                      const CancelToken& cancel = {});

}  // namespace convkit
