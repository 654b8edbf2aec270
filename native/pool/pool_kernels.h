// Row kernels of pooling, vectorised over channels, one table per ISA (pool_kernel_*.cc).
#pragma once
#include <cstddef>

namespace convkit {

// One output row of a max pool, for the row kernels below. rows[r] points at input pixel 0 (w = 0)
// of the r-th real input row under the window (depth-major, then height: window order), each row
// holding in_w pixels of C floats. Output pixels [ow_begin, ow_end) of the row are handled; taps
// falling in the width padding are skipped (they never win a max).
struct PoolRowGeom {
  std::size_t C, in_w, window_w, stride_w, pad_w, ow_begin, ow_end;
  // max_back_row only. overwrite: no two windows share an input pixel (stride >= window in every
  // dimension) and the caller has not zeroed dx, so each tap is stored (dy or 0) instead of added:
  // no read of dx, and no load waiting on the previous tap's partly overlapping store.
  // relu (with overwrite only): x is a ReLU's output and dx is wanted with respect to the ReLU's
  // input: each stored value (0 + dy at the argmax, 0 elsewhere) is multiplied by relu'(x) there,
  // [max > 0], the same product as the separate activation gradient, so bit for bit the two passes.
  bool overwrite = false, relu = false;
};

struct PoolKernels {
  // y[c] = max_i rows[i][c]   (n >= 1)
  void (*max_rows)(const float* const* rows, std::size_t n, std::size_t C, float* y);
  // y[c] = scale * sum_i rows[i][c]
  void (*avg_rows)(const float* const* rows, std::size_t n, std::size_t C, float scale, float* y);
  // rows[i][c] += scale * dy[c] for every i
  void (*avg_back)(float* const* rows, std::size_t n, std::size_t C, float scale, const float* dy);
  // For each c, the first i with the largest xrows[i][c]; dxrows[i][c] += dy[c].
  void (*max_back)(const float* const* xrows, float* const* dxrows, std::size_t n, std::size_t C, const float* dy);
  // Whole output row at once, same results as max_rows / max_back per pixel but without a
  // per-pixel call and pointer list: with few channels (LeNet's 6) that bookkeeping was the cost.
  // y / dy point at output pixel ow_begin of the row; an output pixel with no real tap gets 0.
  void (*max_fwd_row)(const float* const* rows, std::size_t nr, const PoolRowGeom& g, float* y);
  void (*max_back_row)(const float* const* xrows, float* const* dxrows, std::size_t nr, const PoolRowGeom& g,
                       const float* dy);
  // 2x2 windows at stride 2 tiling the input exactly (pool_2x2_impl.h): output rows [R0, R1) of an
  // input of rows of W (even) pixels of C floats; backward writes every dx element (relu as above).
  void (*max2x2_fwd)(const float* x, std::size_t W, std::size_t C, std::size_t R0, std::size_t R1, float* y);
  void (*max2x2_back)(const float* x, const float* dy, float* dx, std::size_t W, std::size_t C, std::size_t R0,
                      std::size_t R1, bool relu);
};

const PoolKernels& pool_kernels_scalar();
const PoolKernels& pool_kernels_avx2();
const PoolKernels& pool_kernels_avx512();
const PoolKernels& pool_kernels();

}  // namespace convkit
