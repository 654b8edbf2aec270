#include "ops/reduce.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "ops/elementwise_kernels.h"
#include "ops/transpose.h"
#include "runtime/aligned.h"
#include "runtime/thread_pool.h"

namespace convkit {
namespace {

constexpr std::size_t kGrain = 1 << 15;

float init_of(ReduceOp op) {
  if (op == ReduceOp::max) return -std::numeric_limits<float>::infinity();
  if (op == ReduceOp::min) return std::numeric_limits<float>::infinity();
  return 0.f;
}

float nan_aware(ReduceOp op, float acc, float v) {
  if (v != v || acc != acc) return std::numeric_limits<float>::quiet_NaN();
  return op == ReduceOp::max ? (v > acc ? v : acc) : (v < acc ? v : acc);
}

// x is [outer, R] (reduce the trailing R values of each row).
void reduce_trailing(ReduceOp op, const float* x, std::size_t outer, std::size_t R, float* out, const CancelToken& cancel) {
  const ElementwiseKernels& k = elementwise_kernels();
  const int kop = op == ReduceOp::max ? 1 : op == ReduceOp::min ? 2 : 0;
  parallel_range(outer, std::max<std::size_t>(1, kGrain / std::max<std::size_t>(R, 1)), [&](std::size_t lo, std::size_t hi) {
    cancel.check();
    for (std::size_t o = lo; o < hi; ++o) {
      const float* row = x + o * R;
      if (kop == 0) {
        // Blocks of 1024 summed in float by the vector kernel, blocks added in double.
        double s = 0;
        for (std::size_t i = 0; i < R; i += 1024) s += k.reduce_row(0, row + i, std::min<std::size_t>(1024, R - i));
        out[o] = op == ReduceOp::mean ? static_cast<float>(s / static_cast<double>(R)) : static_cast<float>(s);
      } else {
        out[o] = R ? k.reduce_row(kop, row, R) : init_of(op);
      }
    }
  });
}

// x is [outer, R, inner] (reduce the middle dim).
void reduce_middle(ReduceOp op, const float* x, std::size_t outer, std::size_t R, std::size_t inner, float* out,
                   const CancelToken& cancel) {
  constexpr std::size_t kBlock = 512;  // inner elements per task
  const std::size_t blocks = (inner + kBlock - 1) / kBlock;
  const std::size_t grain = std::max<std::size_t>(1, kGrain / std::max<std::size_t>(1, R * kBlock));
  parallel_range(outer * blocks, grain, [&](std::size_t lo, std::size_t hi) {
    cancel.check();
    double acc[kBlock];
    float facc[kBlock];
    for (std::size_t t = lo; t < hi; ++t) {
      std::size_t o = t / blocks, i0 = (t % blocks) * kBlock, len = std::min(kBlock, inner - i0);
      const float* base = x + o * R * inner + i0;
      float* dst = out + o * inner + i0;
      if (op == ReduceOp::sum || op == ReduceOp::mean) {
        std::fill(acc, acc + len, 0.0);
        for (std::size_t r = 0; r < R; ++r) {
          const float* row = base + r * inner;
          for (std::size_t i = 0; i < len; ++i) acc[i] += row[i];
        }
        const double scale = op == ReduceOp::mean ? 1.0 / static_cast<double>(R) : 1.0;
        for (std::size_t i = 0; i < len; ++i)
          dst[i] = static_cast<float>(op == ReduceOp::mean && R == 0 ? std::nan("") : acc[i] * scale);
      } else {
        std::fill(facc, facc + len, init_of(op));
        for (std::size_t r = 0; r < R; ++r) {
          const float* row = base + r * inner;
          for (std::size_t i = 0; i < len; ++i) facc[i] = nan_aware(op, facc[i], row[i]);
        }
        std::copy(facc, facc + len, dst);
      }
    }
  });
}

}  // namespace

void reduce_f32(ReduceOp op, const float* x, const Shape& shape, const std::vector<std::size_t>& axes, float* out,
                const CancelToken& cancel) {
  if (static_cast<int>(op) < 0 || static_cast<int>(op) >= kReduceOpCount) throw InvalidArgument("unknown reduce op");
  const std::size_t rank = shape.size();
  std::vector<bool> red(rank, false);
  for (std::size_t a : axes) {
    if (a >= rank)
      throw InvalidArgument("reduce: axis " + std::to_string(a) + " is out of range for shape " + shape_str(shape));
    if (red[a]) throw InvalidArgument("reduce: axis " + std::to_string(a) + " is repeated");
    red[a] = true;
  }
  std::size_t R = 1;
  for (std::size_t i = 0; i < rank; ++i)
    if (red[i]) R *= shape[i];
  // Collapse: drop size-1 dims, merge neighbours of the same kind.
  std::vector<std::size_t> dims;
  std::vector<bool> kinds;
  for (std::size_t i = 0; i < rank; ++i) {
    if (shape[i] == 1) continue;
    if (!dims.empty() && kinds.back() == red[i]) dims.back() *= shape[i];
    else {
      dims.push_back(shape[i]);
      kinds.push_back(red[i]);
    }
  }
  std::size_t total = shape_numel(shape);
  std::size_t out_n = R == 0 ? 0 : total / R;
  if (R == 0) {
    // Reducing over an empty set: every output gets the identity (mean: NaN).
    std::size_t n = 1;
    for (std::size_t i = 0; i < rank; ++i)
      if (!red[i]) n *= shape[i];
    float v = op == ReduceOp::mean ? std::numeric_limits<float>::quiet_NaN() : init_of(op);
    std::fill(out, out + n, v);
    return;
  }
  if (out_n == 0) return;
  int n_red_groups = 0;
  for (bool k : kinds) n_red_groups += k;
  if (n_red_groups == 0) {
    std::copy(x, x + total, out);
    return;
  }
  if (n_red_groups == 1) {
    std::size_t outer = 1, inner = 1;
    bool seen = false;
    for (std::size_t i = 0; i < dims.size(); ++i) {
      if (kinds[i]) seen = true;
      else if (seen) inner *= dims[i];
      else outer *= dims[i];
    }
    if (inner == 1) reduce_trailing(op, x, outer, R, out, cancel);
    else reduce_middle(op, x, outer, R, inner, out, cancel);
    return;
  }
  // Several separated reduced groups: move the reduced axes last (stable order), then reduce rows.
  std::vector<std::size_t> perm;
  for (std::size_t i = 0; i < rank; ++i)
    if (!red[i]) perm.push_back(i);
  for (std::size_t i = 0; i < rank; ++i)
    if (red[i]) perm.push_back(i);
  AlignedPtr<float> tmp = aligned_array<float>(total);
  transpose_4b(x, shape, perm, tmp.get(), cancel);
  reduce_trailing(op, tmp.get(), out_n, R, out, cancel);
}

void arg_reduce_f32(bool is_max, const float* x, const Shape& shape, std::size_t axis, std::int32_t* out,
                    const CancelToken& cancel) {
  if (axis >= shape.size())
    throw InvalidArgument("argmax/argmin: axis " + std::to_string(axis) + " is out of range for shape " + shape_str(shape));
  std::size_t outer = 1, inner = 1, n = shape[axis];
  for (std::size_t i = 0; i < axis; ++i) outer *= shape[i];
  for (std::size_t i = axis + 1; i < shape.size(); ++i) inner *= shape[i];
  if (n == 0 && outer * inner > 0) throw InvalidArgument("argmax/argmin: axis " + std::to_string(axis) + " has size 0");
  if (n > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
    throw InvalidArgument("argmax/argmin: axis too long for int32 indices");
  parallel_range(outer * inner, std::max<std::size_t>(1, kGrain / std::max<std::size_t>(n, 1)), [&](std::size_t lo, std::size_t hi) {
    cancel.check();
    for (std::size_t l = lo; l < hi; ++l) {
      std::size_t o = l / inner, i = l % inner;
      const float* p = x + o * n * inner + i;
      std::size_t best = 0;
      float bv = p[0];
      for (std::size_t j = 1; j < n && bv == bv; ++j) {
        float v = p[j * inner];
        if (v != v || (is_max ? v > bv : v < bv)) {
          bv = v;
          best = j;
        }
      }
      out[l] = static_cast<std::int32_t>(best);
    }
  });
}

}  // namespace convkit
