// Drivers of the elementwise family: validation, NumPy broadcasting, threading, cancellation.
// The arithmetic itself is in the per-ISA kernels (elementwise_kernels.h).
#include "ops/elementwise.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "ops/elementwise_kernels.h"
#include "runtime/thread_pool.h"

namespace convkit {
namespace {

// Elements per parallel chunk: below ~32K floats a region's wake-up costs more than the work.
constexpr std::size_t kGrain = 1 << 15;

// A broadcast binary op reduced to: out is [rows, inner] (after dropping size-1 dims and merging
// neighbours with the same broadcast pattern); for each row, the offsets of a and b are found from
// the collapsed outer dims, and the inner run is contiguous (step 1) or broadcast (step 0).
struct BroadcastPlan {
  std::vector<std::size_t> dims;       // collapsed out dims (outer..., inner)
  std::vector<std::size_t> a_strides;  // element strides of a per collapsed dim (0 = broadcast)
  std::vector<std::size_t> b_strides;
  std::size_t inner = 1, rows = 1, a_step = 1, b_step = 1;
};

BroadcastPlan plan(const Shape& as, const Shape& bs, const Shape& os) {
  const std::size_t r = os.size();
  auto dim_of = [r](const Shape& s, std::size_t i) { return i < r - s.size() ? std::size_t{1} : s[i - (r - s.size())]; };
  BroadcastPlan p;
  std::vector<bool> fa, fb;  // true = operand is broadcast along this dim
  for (std::size_t i = 0; i < r; ++i) {
    if (os[i] == 1) continue;
    bool ba = dim_of(as, i) == 1, bb = dim_of(bs, i) == 1;
    if (!p.dims.empty() && fa.back() == ba && fb.back() == bb) {
      p.dims.back() *= os[i];
    } else {
      p.dims.push_back(os[i]);
      fa.push_back(ba);
      fb.push_back(bb);
    }
  }
  if (p.dims.empty()) {
    p.dims.push_back(1);
    fa.push_back(false);
    fb.push_back(false);
  }
  const std::size_t k = p.dims.size();
  p.a_strides.assign(k, 0);
  p.b_strides.assign(k, 0);
  std::size_t sa = 1, sb = 1;
  for (std::size_t i = k; i-- > 0;) {
    if (!fa[i]) {
      p.a_strides[i] = sa;
      sa *= p.dims[i];
    }
    if (!fb[i]) {
      p.b_strides[i] = sb;
      sb *= p.dims[i];
    }
  }
  p.inner = p.dims.back();
  p.a_step = fa.back() ? 0 : 1;
  p.b_step = fb.back() ? 0 : 1;
  for (std::size_t i = 0; i + 1 < k; ++i) p.rows *= p.dims[i];
  return p;
}

template <typename T, typename Row>
void broadcast_run(const T* a, const Shape& as, const T* b, const Shape& bs, T* out, const Shape& os,
                   const CancelToken& cancel, Row row) {
  Shape want = broadcast_shapes(as, bs);
  check_shape_eq(os, want, "output");
  const std::size_t n = shape_numel(os);
  if (n == 0) return;
  BroadcastPlan p = plan(as, bs, os);
  const std::size_t k = p.dims.size();
  if (p.rows == 1) {
    // One run: split it into chunks.
    parallel_range(p.inner, kGrain, [&](std::size_t lo, std::size_t hi) {
      cancel.check();
      row(a + lo * p.a_step, p.a_step, b + lo * p.b_step, p.b_step, out + lo, hi - lo);
    });
    return;
  }
  std::size_t grain_rows = std::max<std::size_t>(1, kGrain / std::max<std::size_t>(1, p.inner));
  parallel_range(p.rows, grain_rows, [&](std::size_t lo, std::size_t hi) {
    cancel.check();
    for (std::size_t r = lo; r < hi; ++r) {
      std::size_t rem = r, oa = 0, ob = 0;
      for (std::size_t d = k - 1; d-- > 0;) {
        std::size_t idx = rem % p.dims[d];
        rem /= p.dims[d];
        oa += idx * p.a_strides[d];
        ob += idx * p.b_strides[d];
      }
      row(a + oa, p.a_step, b + ob, p.b_step, out + r * p.inner, p.inner);
    }
  });
}

}  // namespace

void binary_f32(BinaryOp op, const float* a, const Shape& a_shape, const float* b, const Shape& b_shape, float* out,
                const Shape& out_shape, const CancelToken& cancel) {
  if (static_cast<int>(op) < 0 || static_cast<int>(op) >= kBinaryOpCount) throw InvalidArgument("unknown binary op");
  const ElementwiseKernels& k = elementwise_kernels();
  broadcast_run<float>(a, a_shape, b, b_shape, out, out_shape, cancel,
                       [&](const float* x, std::size_t xs, const float* y, std::size_t ys, float* o, std::size_t n) {
                         k.binary(op, x, xs, y, ys, o, n);
                       });
}

void binary_i32(BinaryOp op, const std::int32_t* a, const Shape& a_shape, const std::int32_t* b, const Shape& b_shape,
                std::int32_t* out, const Shape& out_shape, const CancelToken& cancel) {
  if (op == BinaryOp::div) throw Unsupported("int32 div is not supported: cast to float32 first");
  if (op == BinaryOp::greater || op == BinaryOp::equal) throw Unsupported("int32 comparison masks are not supported");
  if (static_cast<int>(op) < 0 || static_cast<int>(op) >= kBinaryOpCount) throw InvalidArgument("unknown binary op");
  broadcast_run<std::int32_t>(
      a, a_shape, b, b_shape, out, out_shape, cancel,
      [op](const std::int32_t* x, std::size_t xs, const std::int32_t* y, std::size_t ys, std::int32_t* o, std::size_t n) {
        // Wrapping arithmetic through uint32 (signed overflow would be undefined behaviour).
        for (std::size_t i = 0; i < n; ++i) {
          auto u = static_cast<std::uint32_t>(x[i * xs]), v = static_cast<std::uint32_t>(y[i * ys]);
          std::uint32_t r;
          switch (op) {
            case BinaryOp::add: r = u + v; break;
            case BinaryOp::sub: r = u - v; break;
            case BinaryOp::mul: r = u * v; break;
            case BinaryOp::maximum: r = static_cast<std::uint32_t>(std::max(x[i * xs], y[i * ys])); break;
            case BinaryOp::minimum: r = static_cast<std::uint32_t>(std::min(x[i * xs], y[i * ys])); break;
            case BinaryOp::squared_difference: r = (u - v) * (u - v); break;
            default: r = 0; break;
          }
          o[i] = static_cast<std::int32_t>(r);
        }
      });
}

void unary_f32(UnaryOp op, const float* x, float* y, std::size_t n, float alpha, float beta,
               const CancelToken& cancel) {
  if (static_cast<int>(op) < 0 || static_cast<int>(op) >= kUnaryOpCount) throw InvalidArgument("unknown unary op");
  const ElementwiseKernels& k = elementwise_kernels();
  parallel_range(n, kGrain, [&](std::size_t lo, std::size_t hi) {
    cancel.check();
    k.unary(op, x + lo, y + lo, hi - lo, alpha, beta);
  });
}

void softmax_f32(const float* x, float* y, const Shape& shape, std::size_t axis, bool log, const CancelToken& cancel) {
  if (axis >= shape.size())
    throw InvalidArgument("softmax: axis " + std::to_string(axis) + " is out of range for shape " + shape_str(shape));
  std::size_t outer = 1, inner = 1, n = shape[axis];
  for (std::size_t i = 0; i < axis; ++i) outer *= shape[i];
  for (std::size_t i = axis + 1; i < shape.size(); ++i) inner *= shape[i];
  if (outer * n * inner == 0) return;
  const ElementwiseKernels& k = elementwise_kernels();
  if (inner == 1) {
    std::size_t grain = std::max<std::size_t>(1, kGrain / n);
    parallel_range(outer, grain, [&](std::size_t lo, std::size_t hi) {
      cancel.check();
      k.softmax_rows(x + lo * n, y + lo * n, hi - lo, n, log);
    });
    return;
  }
  // Softmax along a non-last axis: gather each strided line into a contiguous buffer.
  parallel_range(outer * inner, std::max<std::size_t>(1, kGrain / n), [&](std::size_t lo, std::size_t hi) {
    cancel.check();
    std::vector<float> line(n);
    for (std::size_t l = lo; l < hi; ++l) {
      std::size_t o = l / inner, i = l % inner;
      const float* src = x + o * n * inner + i;
      for (std::size_t j = 0; j < n; ++j) line[j] = src[j * inner];
      k.softmax_rows(line.data(), line.data(), 1, n, log);
      float* dst = y + o * n * inner + i;
      for (std::size_t j = 0; j < n; ++j) dst[j * inner] = line[j];
    }
  });
}

}  // namespace convkit
