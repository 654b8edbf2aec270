// Reductions of float32 tensors over a set of axes, and arg-reductions along one axis.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ops/shape.h"
#include "runtime/errors.h"

namespace convkit {

enum class ReduceOp : int { sum = 0, mean, max, min };
constexpr int kReduceOpCount = 4;

// out has the shape of x without the `axes` (any order, no duplicates; empty = no reduction, a
// copy). Sums accumulate in double. max/min propagate NaN; over an empty set they give -inf/+inf,
// sum 0 and mean NaN.
void reduce_f32(ReduceOp op, const float* x, const Shape& shape, const std::vector<std::size_t>& axes, float* out,
                const CancelToken& cancel = {});

// Index of the first maximum (or minimum) along `axis`; out has the shape without that axis.
// NaN counts as the maximum (and the minimum), as in NumPy.
void arg_reduce_f32(bool is_max, const float* x, const Shape& shape, std::size_t axis, std::int32_t* out,
                    const CancelToken& cancel = {});

}  // namespace convkit
