// Pooling over 1-D, 2-D and 3-D windows, channels-last: input [N, D, H, W, C] -> [N, OD, OH, OW, C].
// 1-D and 2-D pools are 3-D pools with unit dimensions (as in conv_desc.h).
//
// Semantics are TensorFlow/Keras':
//  - 'same' padding: pad_total = max((ceil(in/stride)-1)*stride + window - in, 0), before = total/2.
//  - padded positions never win a max and are not counted by an average (the divisor is the number
//    of real input elements under the window; Keras AveragePooling 'same' behaves this way).
//  - max backward sends each output gradient to the first maximal element of its window (row-major
//    window order), recomputed from the input (no argmax tensor kept).
#pragma once
#include <array>
#include <cstddef>
#include <string>

#include "conv/conv_desc.h"  // Padding
#include "runtime/errors.h"

namespace convkit {

enum class PoolKind : int { max = 0, avg = 1 };

struct PoolDesc {
  std::size_t N = 1, C = 1;
  std::array<std::size_t, 3> in{{1, 1, 1}}, window{{1, 1, 1}}, stride{{1, 1, 1}};
  std::array<std::size_t, 3> pad_before{{0, 0, 0}}, pad_after{{0, 0, 0}};
  std::array<std::size_t, 3> out{{1, 1, 1}};  // filled by finalize()
  std::size_t input_size() const { return N * in[0] * in[1] * in[2] * C; }
  std::size_t output_size() const { return N * out[0] * out[1] * out[2] * C; }
  // Fills the padding from `mode` (explicit keeps pad_before/pad_after), validates, computes out.
  void finalize(Padding mode);
  std::string str() const;
};

void pool_forward(const PoolDesc& d, PoolKind kind, const float* x, float* y, const CancelToken& cancel = {});
// dx = d(pool)/dx^T dy. x is needed for max (argmax recomputed), ignored for avg. Overwrites dx.
// relu (max only): x is the output of a ReLU, and dx is the gradient with respect to that ReLU's
// input, relu'(x) ⊙ (d(pool)/dx^T dy), in one pass: each routed dy is multiplied by [max > 0].
void pool_backward(const PoolDesc& d, PoolKind kind, const float* x, const float* dy, float* dx,
                   const CancelToken& cancel = {}, bool relu = false);

// Global pooling: [N, P, C] -> [N, C] (P = all spatial positions).
void global_pool_forward(std::size_t N, std::size_t P, std::size_t C, PoolKind kind, const float* x, float* y);
void global_pool_backward(std::size_t N, std::size_t P, std::size_t C, PoolKind kind, const float* x,
                          const float* dy, float* dx);

}  // namespace convkit
