// The column transforms of the im2col convolution (conv_im2col.cc), one dispatch table per ISA:
//
//   im2col   col[r][t*cg + c] = x[src(p0 + r, t)][g*cg + c]    (0 where tap t is in the padding)
//   col2im   dx[src(p0 + r, t)][g*cg + c] += col[r][t*cg + c]  (padding taps skipped)
//
// for r < rows, every tap t, c < cg, where src(p, t) is the input pixel that output pixel p reads at
// tap t (im2col_walk.h). The forward pass and the weight gradient multiply the column tile
// (Y = col · W, dW = colᵀ · dY); the input gradient makes one with sgemm (dY · Wᵀ) and scatters it
// back with col2im. Why per ISA: with few channels a column row is a handful of runs of KW·Cin
// contiguous floats (LeNet conv2: 5 runs of 30), so the work is many short copies: a memcpy call
// per run (im2col) or 7 SSE adds and a scalar tail per run (col2im, 40% of LeNet's conv2 input
// gradient) cost more than the floats they move. Here each run is two AVX-512 vectors (or four
// AVX2), tails masked.
#pragma once
#include <cstddef>

#include "conv/im2col_walk.h"
#include "dispatch/cpu.h"

namespace convkit {

using Im2colFn = void (*)(const ColGeom& d, const float* x, std::size_t g, std::size_t p0, std::size_t rows,
                          float* col);
using Col2imFn = void (*)(const ColGeom& d, const float* col, std::size_t g, std::size_t p0, std::size_t rows,
                          float* dx);

struct ColumnKernels {
  Im2colFn im2col;
  Col2imFn col2im;
};

const ColumnKernels& column_kernels_scalar();
const ColumnKernels& column_kernels_avx2();
const ColumnKernels& column_kernels_avx512();
// The table for the active ISA (read at call time).
const ColumnKernels& column_kernels();

}  // namespace convkit
