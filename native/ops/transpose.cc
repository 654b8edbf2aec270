#include "ops/transpose.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "runtime/thread_pool.h"

namespace convkit {

void transpose_4b(const void* xv, const Shape& shape, const std::vector<std::size_t>& perm, void* yv,
                  const CancelToken& cancel) {
  const std::size_t rank = shape.size();
  if (perm.size() != rank)
    throw InvalidArgument("transpose: perm has " + std::to_string(perm.size()) + " entries, shape " + shape_str(shape) +
                          " has rank " + std::to_string(rank));
  std::vector<bool> seen(rank, false);
  for (std::size_t p : perm) {
    if (p >= rank || seen[p]) throw InvalidArgument("transpose: perm is not a permutation of 0.." + std::to_string(rank - 1));
    seen[p] = true;
  }
  const auto* x = static_cast<const std::uint32_t*>(xv);
  auto* y = static_cast<std::uint32_t*>(yv);
  const std::size_t n = shape_numel(shape);
  if (n == 0) return;
  // Collapse: output dims k, k+1 merge when they are consecutive input dims (perm[k+1] == perm[k]+1);
  // size-1 dims are dropped.
  std::vector<std::size_t> in_strides = shape_strides(shape);
  std::vector<std::size_t> dims, strides;  // output dims and the matching input strides
  for (std::size_t k = 0; k < rank; ++k) {
    std::size_t d = shape[perm[k]];
    if (d == 1) continue;
    if (!dims.empty() && strides.back() == in_strides[perm[k]] * d) {
      dims.back() *= d;
      strides.back() = in_strides[perm[k]];
    } else {
      dims.push_back(d);
      strides.push_back(in_strides[perm[k]]);
    }
  }
  if (dims.size() <= 1) {
    std::memcpy(y, x, n * 4);
    return;
  }
  const std::size_t r = dims.size();
  const std::size_t inner = dims[r - 1], inner_stride = strides[r - 1];
  const std::size_t rows = n / inner;
  parallel_range(rows, std::max<std::size_t>(1, (1u << 15) / inner), [&](std::size_t lo, std::size_t hi) {
    cancel.check();
    for (std::size_t row = lo; row < hi; ++row) {
      std::size_t rem = row, off = 0;
      for (std::size_t d = r - 1; d-- > 0;) {
        off += (rem % dims[d]) * strides[d];
        rem /= dims[d];
      }
      const std::uint32_t* src = x + off;
      std::uint32_t* dst = y + row * inner;
      for (std::size_t i = 0; i < inner; ++i) dst[i] = src[i * inner_stride];
    }
  });
}

void cast_f32_i32(const float* x, std::int32_t* y, std::size_t n) {
  constexpr float hi = 2147483520.f;  // largest float below 2^31
  for (std::size_t i = 0; i < n; ++i) {
    float v = x[i];
    if (v != v) y[i] = 0;
    else if (v >= hi) y[i] = v >= 2147483648.f ? std::numeric_limits<std::int32_t>::max() : static_cast<std::int32_t>(v);
    else if (v <= -2147483648.f) y[i] = std::numeric_limits<std::int32_t>::min();
    else y[i] = static_cast<std::int32_t>(v);
  }
}

void cast_i32_f32(const std::int32_t* x, float* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = static_cast<float>(x[i]);
}

}  // namespace convkit
