// Winograd F(3x3, 4x4) over the polyphase (space-to-depth) form of a stride-2 convolution with a
// 7x7 or 8x8 kernel (the ImageNet stem: 224x224x3 -> 112x112x64, 7x7 stride 2, pad 3).
//
// Polyphase rewrite. With the kernel zero-padded to 8x8 and tap kh = 2p + a (p < 4, a in {0,1}),
//     y[oy][ox][k] = sum_{p,q,a,b,c} w[2p+a][2q+b][c][k] * x[2(oy+p) + a - pt][2(ox+q) + b - pl][c]
// which is a stride-1 4x4 convolution over the four phase images X_ab[i][j] = x[2i+a-pt][2j+b-pl],
// stacked as 4*C channels (channel a*2C + b*C + c: in NHWC the pixels 2j and 2j+1 of a row are 2C
// consecutive floats, so one phase row pair is one contiguous run and nothing is copied).
// Direct cost goes up (16 x 4C taps instead of 49 x C: 192 vs 147 on RGB), but stride 1 admits
// Winograd.
//
// F(3, 4) is the transpose (dual) of Lavin & Gray's F(4, 3) on the points 0, +-1, +-2, inf: for
// y_i = sum_j g_j d_{i+j} = A^T [(G g) .* (B^T d)] (4 outputs, 3 taps), the trilinear form
// sum_{i,j} y'_i g_j d_{i+j} = sum_x (A y')_x (G g)_x (B^T d)_x, read with the roles of the outputs
// and the filter swapped, gives z_j = sum_i h_i d_{i+j} (3 outputs, 4 taps) as
//     z = G^T [(A h) .* (B^T d)].
// The input transform B^T is F(4,3)'s (the same 6x6 tile, WinogradKernels::input4). G's columns
// are rescaled into the filter side, G^T = G'^T diag(s), s = (1/4, -1/6, -1/6, 1/24, 1/24, 1), so
// the output transform has small integer entries like F(4,3)'s A^T:
//     G'^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 1],   filter side A' = diag(s) A,
//     A = [1 0 0 0; 1 1 1 1; 1 -1 1 -1; 1 2 4 8; 1 -2 4 -8; 0 0 0 1].
// Per 3x3 output tile and output channel: 36 x 4C multiplies instead of 9 x 49C (RGB: 432 vs 1323,
// 3.06x fewer). The 36 products over the 4C channels are one small GEMM each
// ([tiles x 4C] x [4C x K]), run on the direct convolution's register-blocked implicit kernel
// (one tap of 4C channels), the phases summed in the transformed domain as ordinary channels, so
// there is one output transform per tile.
// Applicability: 2-D, stride 2x2, kernel 7 or 8 in both dimensions, dilation 1, groups 1.
#pragma once
#include <cstddef>
#include <string>

#include "conv/conv_desc.h"
#include "runtime/aligned.h"
#include "runtime/errors.h"

namespace convkit {

// Empty string if the stride-2 Winograd form can run d, else the reason.
std::string winograd_s2_unsupported_reason(const ConvDesc& d);

struct WinogradS2Weights {
  std::size_t C = 0, K = 0;  // original input channels (the transformed filter has 4C)
  AlignedPtr<float> U;       // [36][4C][K]
};
// U[xi][ch][k] = (A' h A'^T)[xi] for the phase filter h[p][q][ch][k] (w is HWIO [KH][KW][C][K]).
void winograd_s2_prepare(const ConvDesc& d, const float* w, WinogradS2Weights* out);
std::size_t winograd_s2_workspace(const ConvDesc& d);
void conv_winograd_s2_forward(const ConvDesc& d, const WinogradS2Weights& U, const float* x, const float* bias,
                              float* y, float* ws, const CancelToken& cancel = {});

// The F(3x3, 4x4) matrices (tests check them against the direct formula): A' (6x4, filter side)
// and G'^T (3x6, output side), row-major, in double.
extern const double kWinoS2Filter[24];
extern const double kWinoS2Output[18];

}  // namespace convkit
