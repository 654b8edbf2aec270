// Algorithm 3: Winograd minimal filtering F(m x m, 3 x 3), m = 2 or 4 (Lavin & Gray, "Fast Algorithms
// for Convolutional Neural Networks", CVPR 2016, arXiv:1509.09308).
//
// For an output tile Y (m x m) of one channel pair, with input tile d (a x a, a = m + 2) and filter g:
//     Y = A^T [ (G g G^T) .* (B^T d B) ] A
// Summed over input channels, the element-wise product becomes, for each of the a*a transformed
// positions xi, one matrix product over channels:
//     M[xi][tile][k] = sum_c V[xi][tile][c] * U[xi][c][k],   V = B^T d B,  U = G g G^T
// which runs as a strided batch of a*a sgemm calls. Multiplications per output drop from 9 (direct)
// to a^2/m^2 = 4 (F2) or 2.25 (F4), at the price of transform work and a larger rounding error (F4's
// transforms have entries up to 8 and 1/24). The filter transform U is computed once per weights
// (WinogradWeights) and reused for every inference call.
//
// Dilation d: the outputs of each phase (oy % d, ox % d) are an ordinary 3x3 convolution of the
// input pixels of the same phase, so tiles are cut per phase from the decimated grid and read every
// d-th row/column (what TensorFlow's space-to-batch does for atrous convolutions, without the copies).
// Applicability: 2-D (kernel depth 1, no depth padding), kernel 3x3, stride 1, groups 1; any dilation.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "conv/conv_desc.h"
#include "dispatch/cpu.h"
#include "gemm/gemm.h"
#include "runtime/aligned.h"
#include "runtime/errors.h"

namespace convkit {

// Empty string if Winograd can run d, else the reason.
std::string winograd_unsupported_reason(const ConvDesc& d);

struct WinogradWeights {
  int m = 0;             // output tile size (2 or 4)
  std::size_t C = 0, K = 0;
  AlignedPtr<float> U;   // [a*a][C][K]
  // Optional (winograd_pack): each U[xi] packed for the GEMM under packed_isa, for operators that
  // run the same weights many times; empty for one-shot calls.
  std::vector<std::unique_ptr<PackedB>> packed;
  Isa packed_isa = Isa::scalar;
};
// U = G g G^T for every (c, k); w is HWIO [3][3][C][K].
void winograd_prepare(const ConvDesc& d, int m, const float* w, WinogradWeights* out);
// Packs each of the a*a transformed filters U[xi] (C x K) for sgemm_packed, under the active ISA.
// The products in the transformed domain then stop repacking U on every call and tile block: at
// batch 1 on a 7x7x512 layer there are 16 tiles against 16 x 1 MB of U, and packing it was most of
// the call (F2: 1.46 ms; im2col, whose filter is prepacked, did the same layer in 0.87 ms).
void winograd_pack(WinogradWeights* w);

std::size_t winograd_workspace(const ConvDesc& d, int m);
void conv_winograd_forward(const ConvDesc& d, const WinogradWeights& U, const float* x, const float* bias, float* y,
                           float* ws, const CancelToken& cancel = {});

// The transform kernels (one table per ISA: winograd_kernel_*.cc), vectorised over channels.
struct WinogradKernels {
  // V[(i*a+j)*vstride + c] = sum_k,l BT[i][k] d[(k*a+l)*C + c] BT[j][l]   (tmp: a*a*C floats)
  void (*input)(int a, const float* BT, const float* d, std::size_t C, float* tmp, float* V, std::size_t vstride);
  // Y[(i*m+j)*K + k] = sum_u,v AT[i][u] M[(u*a+v)*mstride + k] AT[j][v]   (tmp: m*a*K floats)
  void (*output)(int a, int m, const float* AT, const float* M, std::size_t mstride, std::size_t K, float* tmp,
                 float* Y);
  // Fixed F(4x4, 3x3) transforms (winograd_f4_kernel_impl.h), tiles addressed in place by strides:
  // V[(i*6+j)*vstride + c] = (B^T D B)[i][j] with D[k][l] = d[k*rs + l*cs + c];
  void (*input4)(const float* d, std::ptrdiff_t rs, std::ptrdiff_t cs, std::size_t C, float* V, std::size_t vstride);
  // Y[i*rs + j*cs + k] = (A^T M A)[i][j] + bias[k] (bias may be null), M[u][v] = M[(u*6+v)*mstride + k].
  void (*output4)(const float* M, std::size_t mstride, std::size_t K, const float* bias, float* Y, std::ptrdiff_t rs,
                  std::ptrdiff_t cs);
  // Filter transform, vectorised over K: U[(i*a+j)*us + k] = (G g G^T)[i][j] with
  // g[p][q] = g[(p*3+q)*gs + k] (G is a x 3).
  void (*filter)(int a, const float* G, const float* g, std::size_t gs, std::size_t K, float* U, std::size_t us);
  // F(3x3, 4x4) output transform of the stride-2 form (winograd_s2.h, winograd_s2_kernel_impl.h):
  // Y[i*rs + j*cs + k] = (G'^T M G')[i][j] + bias[k] (bias may be null), i, j < 3, M as in output4.
  // Its input transform: the 6x6 phase-image tile starting at input pixel d (rowf floats per input
  // row, C input channels), V[(i*6+j)*vstride + ch], ch < 4C.
  void (*s2_input)(const float* d, std::ptrdiff_t rowf, std::size_t C, float* V, std::size_t vstride);
  void (*output3)(const float* M, std::size_t mstride, std::size_t K, const float* bias, float* Y, std::ptrdiff_t rs,
                  std::ptrdiff_t cs);
};
const WinogradKernels& winograd_kernels_scalar();
const WinogradKernels& winograd_kernels_avx2();
const WinogradKernels& winograd_kernels_avx512();
const WinogradKernels& winograd_kernels();

}  // namespace convkit
