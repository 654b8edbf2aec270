// Algorithm 2: im2col + GEMM on the SIMD sgemm (gemm/gemm.h).
//
// The column matrix is never built whole: output pixels are cut into tiles of `rows` pixels and
// each worker builds one tile's column block col[rows][T*Cin_g] in its own slice of the workspace,
// multiplies it by the filter (which already is the [T*Cin_g, Cout] right-hand matrix in HWIO
// layout) and moves on, so memory stays bounded whatever the image size. 1x1 stride-1 unpadded
// convolutions skip the column step and hand the input to sgemm as it is.
//   forward: Y_tile[rows, Cout_g] = col[rows, T*Cin_g] * W_g[T*Cin_g, Cout_g]  (+bias, act fused)
//   dgrad:   dcol = dY_tile * W_g^T, then col2im scatter-adds dcol into dX
//   wgrad:   dW_g += col^T * dY_tile
#pragma once
#include <cstddef>

#include "conv/conv_desc.h"
#include "runtime/errors.h"

namespace convkit {

class PackedB;

// Floats of scratch each call needs (for the current thread count).
std::size_t im2col_forward_workspace(const ConvDesc& d);
std::size_t im2col_dgrad_workspace(const ConvDesc& d);
std::size_t im2col_wgrad_workspace(const ConvDesc& d);

// `ws` may be null (then allocated internally) or point to at least the queried number of floats.
void conv_im2col_forward(const ConvDesc& d, const float* x, const float* w, const float* bias, float* y, float* ws,
                         const CancelToken& cancel = {});
// The same with each group's filter W_g already packed for the GEMM (pack_b(false, T*Cin_g,
// Cout_g, w + g*Cout_g, K), made under the active ISA): an inference operator packs its constant
// filter once instead of once per column tile per call (ResNet-18's 3x3x256x512 filter is 4.7 MB).
void conv_im2col_forward_packed(const ConvDesc& d, const float* x, const PackedB* const* w_groups, const float* bias,
                                float* y, float* ws, const CancelToken& cancel = {});
void conv_im2col_dgrad(const ConvDesc& d, const float* dy, const float* w, float* dx, float* ws,
                       const CancelToken& cancel = {});
void conv_im2col_wgrad(const ConvDesc& d, const float* x, const float* dy, float* dw, float* db, float* ws,
                       const CancelToken& cancel = {});

}  // namespace convkit
