// Algorithm 1: direct (sliding-window) convolution. Handles every configuration (any rank, stride,
// padding, dilation, groups); the choice for depthwise convolutions, which have their own kernel
// vectorised over channels. No workspace beyond a few pointer tables (and, for the input gradient,
// a transposed copy of the filter).
//
// Two kernel families sit behind it: the channel-vectorised kernels (direct_kernels.h, this file's
// drivers) and, for layers with few input channels, the row-vectorised kernels of
// conv_direct_rows.h (planar repacked input, output pixels in the vector lanes). conv_direct_*
// picks between them (conv_rows_preferred); the *_channels_* entry points force the first family
// (tests cover both on the same shapes; benchmarks compare them).
#pragma once
#include "conv/conv_desc.h"
#include "runtime/errors.h"

namespace convkit {

// y = act(conv(x, w) + bias)
void conv_direct_forward(const ConvDesc& d, const float* x, const float* w, const float* bias, float* y,
                         const CancelToken& cancel = {});
void conv_direct_channels_forward(const ConvDesc& d, const float* x, const float* w, const float* bias, float* y,
                                  const CancelToken& cancel = {});
// dx = conv^T(dy, w)   (overwrites dx)
void conv_direct_dgrad(const ConvDesc& d, const float* dy, const float* w, float* dx, const CancelToken& cancel = {});
void conv_direct_channels_dgrad(const ConvDesc& d, const float* dy, const float* w, float* dx,
                                const CancelToken& cancel = {});
// dw = sum over batch/pixels of x (x) dy; db = sum of dy (db may be null). Overwrites dw, db.
void conv_direct_wgrad(const ConvDesc& d, const float* x, const float* dy, float* dw, float* db,
                       const CancelToken& cancel = {});
void conv_direct_channels_wgrad(const ConvDesc& d, const float* x, const float* dy, float* dw, float* db,
                                const CancelToken& cancel = {});

}  // namespace convkit
