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

// For one spatial dimension: map[o*k_count + k] = source coordinate read by output coordinate o
// through tap k, or -1 where it falls into padding (or, for the gradient, between strides).
//   forward:  src = o*stride - pad_before + k*dil                           (src = input)
//   gradient: src = (i + pad_before - k*dil) / stride when exact            (src = output grad)
std::vector<long> forward_tap_map(std::size_t out, std::size_t in, std::size_t k, std::size_t stride,
                                  std::size_t dil, std::size_t pad_before);
std::vector<long> gradient_tap_map(std::size_t in, std::size_t out, std::size_t k, std::size_t stride,
                                   std::size_t dil, std::size_t pad_before);

// Filter re-layout for the input gradient: wt[g][t][o][c] = w[t][c][g*cout_g + o].
void transpose_filter_groups(const ConvDesc& d, const float* w, float* wt);

}  // namespace convkit
