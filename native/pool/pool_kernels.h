// Row kernels of pooling, vectorised over channels, one table per ISA (pool_kernel_*.cc).
#pragma once
#include <cstddef>

namespace convkit {

struct PoolKernels {
  // y[c] = max_i rows[i][c]   (n >= 1)
  void (*max_rows)(const float* const* rows, std::size_t n, std::size_t C, float* y);
  // y[c] = scale * sum_i rows[i][c]
  void (*avg_rows)(const float* const* rows, std::size_t n, std::size_t C, float scale, float* y);
  // rows[i][c] += scale * dy[c] for every i
  void (*avg_back)(float* const* rows, std::size_t n, std::size_t C, float scale, const float* dy);
  // For each c, the first i with the largest xrows[i][c]; dxrows[i][c] += dy[c].
  void (*max_back)(const float* const* xrows, float* const* dxrows, std::size_t n, std::size_t C, const float* dy);
};

const PoolKernels& pool_kernels_scalar();
const PoolKernels& pool_kernels_avx2();
const PoolKernels& pool_kernels_avx512();
const PoolKernels& pool_kernels();

}  // namespace convkit
