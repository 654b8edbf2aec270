// The scatter-add of the im2col input gradient (col2im), one dispatch table per ISA.
//
//   dx[src(p0 + r, t)][g*cg + c] += col[r][t*cg + c]     for r < rows, every tap t, c < cg
//
// where src(p, t) is the input pixel that output pixel p reads at tap t (im2col_walk.h; taps in the
// padding are skipped). The input gradient of a convolution is dX = col2im(dY · Wᵀ): conv_im2col.cc
// makes the column tile with sgemm and hands it here. Why per ISA: with few channels the column row
// is a handful of runs of KW·Cin contiguous floats (LeNet conv2: 5 runs of 30), and at the baseline
// ISA each run was 7 SSE adds and a scalar tail; it was 40% of LeNet's conv2 input gradient.
#pragma once
#include <cstddef>

#include "conv/im2col_walk.h"
#include "dispatch/cpu.h"

namespace convkit {

using Col2imFn = void (*)(const ColGeom& d, const float* col, std::size_t g, std::size_t p0, std::size_t rows,
                          float* dx);

struct Col2imKernels {
  Col2imFn col2im;
};

const Col2imKernels& col2im_kernels_scalar();
const Col2imKernels& col2im_kernels_avx2();
const Col2imKernels& col2im_kernels_avx512();
// The table for the active ISA (read at call time).
const Col2imKernels& col2im_kernels();

}  // namespace convkit
