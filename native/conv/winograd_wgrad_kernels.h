// Transform kernels of the Winograd F(3x3, 2x2) weight gradient (winograd_wgrad.h), one dispatch
// table per ISA, vectorised over channels (contiguous in NHWC).
//
// The generic forward transforms (winograd.h) take any a x a matrix and skip zero entries at run
// time; these two are the fixed F(3x3, 2x2) matrices written out as adds and subtracts, and read
// the tile in place through row/column strides (no gathered copy for interior tiles):
//   input:  V[(i*4+j)*vstride + c] = (B^T D B)[i][j],  D[k][l] = d[k*rs + l*cs + c]   (4x4 tile)
//           B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
//   grad:   U[(i*4+j)*ustride + c] = (A E A^T)[i][j], E[u][v] = e[u*rs + v*cs + c]    (2x2 tile)
//           A = [1 0; 1 1; 1 -1; 0 -1]
#pragma once
#include <cstddef>

#include "dispatch/cpu.h"

namespace convkit {

struct WinogradWgradKernels {
  void (*input)(const float* d, std::ptrdiff_t rs, std::ptrdiff_t cs, std::size_t C, float* V, std::size_t vstride);
  void (*grad)(const float* e, std::ptrdiff_t rs, std::ptrdiff_t cs, std::size_t K, float* U, std::size_t ustride);
};

const WinogradWgradKernels& winograd_wgrad_kernels_scalar();
const WinogradWgradKernels& winograd_wgrad_kernels_avx2();
const WinogradWgradKernels& winograd_wgrad_kernels_avx512();
// The table for the active ISA (read at call time).
const WinogradWgradKernels& winograd_wgrad_kernels();

}  // namespace convkit
