// Transpose (any permutation) and dtype casts of contiguous tensors.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ops/shape.h"
#include "runtime/errors.h"

namespace convkit {

// y[i_perm[0], ..., i_perm[r-1]] = x[i_0, ..., i_{r-1}]: output dim k is input dim perm[k].
// Works for any 4-byte element type (float32, int32).
void transpose_4b(const void* x, const Shape& shape, const std::vector<std::size_t>& perm, void* y,
                  const CancelToken& cancel = {});

// float32 -> int32 truncates toward zero (like a C cast), saturating out-of-range values and
// mapping NaN to 0 (a plain C cast would be undefined behaviour there).
void cast_f32_i32(const float* x, std::int32_t* y, std::size_t n);
void cast_i32_f32(const std::int32_t* x, float* y, std::size_t n);

}  // namespace convkit
