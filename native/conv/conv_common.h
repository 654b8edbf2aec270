// Small pieces every convolution algorithm shares: the activation epilogue, the bias gradient,
// the per-dimension tap maps of the gather formulation and filter re-layouts.
#pragma once
#include <array>
#include <cstddef>
#include <vector>

#include "conv/conv_desc.h"
#include "runtime/errors.h"

namespace convkit {

// y[i] = act(y[i]) for i < n (bias already added).
void apply_activation(float* y, std::size_t n, Activation act, float leaky_alpha);

// db[o] = sum over every (n, pixel) of dy[.., o]; dy is [rows, K].
void bias_gradient(const float* dy, std::size_t rows, std::size_t K, float* db);

// out[k] = sum of part[p*K + k] over p = 0, 1, .., parts-1 in that order, in double, rounded once:
// per-chunk partial sums reduced in a fixed order, so a result does not depend on which thread ran
// which chunk.
void sum_partials(const double* part, std::size_t parts, std::size_t K, float* out);

// For one spatial dimension: map[o*k_count + k] = source coordinate read by output coordinate o
// through tap k, or -1 where it falls into padding (or, for the gradient, between strides).
//   forward:  src = o*stride - pad_before + k*dil                           (src = input)
//   gradient: src = (i + pad_before - k*dil) / stride when exact            (src = output grad)
std::vector<long> forward_tap_map(std::size_t out, std::size_t in, std::size_t k, std::size_t stride,
                                  std::size_t dil, std::size_t pad_before);
std::vector<long> gradient_tap_map(std::size_t in, std::size_t out, std::size_t k, std::size_t stride,
                                   std::size_t dil, std::size_t pad_before);

// The staged direct kernels (forward and weight gradient) walk output rows r = (n, od, oh) of a
// 2-D/3-D conv whose depth/height taps map through map[0]/map[1] (forward_tap_map). f(sr, id) is
// called for each kernel row sr = kd*KH + kh with the input row it reads,
// id = (n*D + sd)*H + sh, or -1 in the top/bottom padding.
template <class F>
inline void for_each_kernel_row(const ConvDesc& d, const std::array<std::vector<long>, 2>& map, std::size_t r, F&& f) {
  const std::size_t oh = r % d.out[1], od = (r / d.out[1]) % d.out[0], n = r / (d.out[1] * d.out[0]);
  for (std::size_t kd = 0, sr = 0; kd < d.kernel[0]; ++kd) {
    const long sd = map[0][od * d.kernel[0] + kd];
    for (std::size_t kh = 0; kh < d.kernel[1]; ++kh, ++sr) {
      const long sh = map[1][oh * d.kernel[1] + kh];
      f(sr, (sd < 0 || sh < 0) ? -1L : ((long)n * (long)d.in[0] + sd) * (long)d.in[1] + sh);
    }
  }
}

// Prefetches into L2 the input rows (row_floats floats each, x's rows) that output row r reads,
// except those skip(id) says are already at hand: issued while the current row's kernels run.
template <class Skip>
inline void prefetch_kernel_rows(const ConvDesc& d, const std::array<std::vector<long>, 2>& map, std::size_t r,
                                 const float* x, std::size_t row_floats, Skip&& skip) {
  for_each_kernel_row(d, map, r, [&](std::size_t, long id) {
    if (id < 0 || skip(id)) return;
    const char* q = reinterpret_cast<const char*>(x + (std::size_t)id * row_floats);
    for (std::size_t off = 0; off < row_floats * sizeof(float); off += 64) __builtin_prefetch(q + off, 0, 2);
  });
}

// Filter re-layout for the input gradient: wt[g][t][o][c] = w[t][c][g*cout_g + o].
void transpose_filter_groups(const ConvDesc& d, const float* w, float* wt);

}  // namespace convkit
