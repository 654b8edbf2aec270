// Weight gradient of 3x3 stride-1 layers by Winograd F(3x3, 2x2) (Lavin & Gray, arXiv:1509.09308,
// section 4; the same points 0, 1, -1, inf as the forward F(2x2, 3x3)).
//
// The weight gradient is a correlation of the input with the output gradient:
//     dW[kh][kw][c][o] = sum_{n, oh, ow} X[n, oh - pt + kh, ow - pl + kw, c] * dY[n, oh, ow, o].
// Cut dY into 2x2 tiles E; each reads a 4x4 input tile D (rows 2*th - pt .. +3), and its part of the
// 3x3 gradient is the 1-D F(3, 2) applied along both axes. F(3, 2) comes from F(2, 3)
// (y = A^T[(G g) .* (B^T d)]) by the transposition principle: the trilinear form
// sum_{i,j} d_{i+j} g_j e_i = sum_k (A e)_k (G g)_k (B^T d)_k, read as a function of g, gives
//     z = G^T [ (A e) .* (B^T d) ],   z_j = sum_i d_{i+j} e_i,
// so in 2-D, summed over tiles:
//     dW[:, :, c, o] = G^T ( sum_tiles (B^T D_c B) .* (A E_o A^T) ) G.
// For each of the 16 transformed points xi the sum over tiles is one matrix product
//     M[xi][c][o] = sum_t V[xi][t][c] * U[xi][t][o],  V = B^T D B,  U = A E A^T,
// 16 GEMMs of Cin x Cout x tiles: 16/4 = 4 products per output pixel and channel pair instead of 9.
// V and U come from the fixed-matrix kernels of winograd_wgrad_kernels.h (read in place for interior
// tiles); the final G^T M G reuses the forward Winograd `output` kernel (winograd.h) with m = 3.
// Rounding: the transform entries are 0, +-1, 1/2, so the error stays near im2col's (measured in
// conv_accuracy_test).
//
// Dilation: each phase (oh % dil) of the output correlates with the same phase of the input, so
// tiles are cut per phase and read every dil-th row/column.
// Applicability: winograd_unsupported_reason(d) == "" (2-D, 3x3, stride 1, groups 1; any dilation).
#pragma once
#include "conv/conv_desc.h"
#include "runtime/errors.h"

namespace convkit {

// dw (overwritten) = weight gradient; db (may be null) = sum of dy over pixels.
void conv_winograd_wgrad(const ConvDesc& d, const float* x, const float* dy, float* dw, float* db,
                         const CancelToken& cancel = {});

}  // namespace convkit
