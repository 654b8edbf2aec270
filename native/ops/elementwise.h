// Elementwise float32 ops: binary with NumPy broadcasting, unary activations/maths, softmax.
//
// All entry points validate shapes and sizes (convkit::InvalidArgument), choose the kernel for the
// active ISA from one dispatch table (elementwise_kernels.h), and split large inputs over the thread
// pool. Each may be called with a CancelToken that is checked between chunks.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ops/shape.h"
#include "runtime/errors.h"

namespace convkit {

// greater/equal give 1.f where a > b (a == b), else 0.f: the masks the gradients of maximum,
// minimum and max-reductions need (float32 only; no gradient of their own).
enum class BinaryOp : int { add = 0, sub, mul, div, maximum, minimum, squared_difference, greater, equal };
// The parameters each op reads (alpha, beta):
//   leaky_relu: slope alpha; elu: scale alpha; min_scalar / max_scalar: the bound alpha;
//   clip: [alpha, beta]; pow_scalar: the exponent alpha. The others take none.
// step is 1 where x > 0, else 0. NaN: min_scalar/max_scalar give the bound (x <= s ? x : s), clip,
// sign and rsqrt pass it through, step gives 0.
enum class UnaryOp : int {
  relu = 0, relu6, leaky_relu, elu, sigmoid, tanh, exp, log, neg, abs, sqrt, square, softplus, swish, reciprocal,
  rsqrt, sign, step, min_scalar, max_scalar, clip, pow_scalar
};
constexpr int kBinaryOpCount = 9;
constexpr int kUnaryOpCount = 22;

// out = a (op) b with NumPy broadcasting; out_shape must equal broadcast_shapes(a_shape, b_shape).
void binary_f32(BinaryOp op, const float* a, const Shape& a_shape, const float* b, const Shape& b_shape, float* out,
                const Shape& out_shape, const CancelToken& cancel = {});
// int32 add/sub/mul/maximum/minimum with broadcasting (wrapping arithmetic, as two's complement).
void binary_i32(BinaryOp op, const std::int32_t* a, const Shape& a_shape, const std::int32_t* b, const Shape& b_shape,
                std::int32_t* out, const Shape& out_shape, const CancelToken& cancel = {});

// y = op(x) over n elements (x may equal y); alpha and beta as listed at UnaryOp.
void unary_f32(UnaryOp op, const float* x, float* y, std::size_t n, float alpha = 0.f, float beta = 0.f,
               const CancelToken& cancel = {});

// Softmax (or log-softmax) of x along `axis` of `shape`, into y (same shape; may alias x).
void softmax_f32(const float* x, float* y, const Shape& shape, std::size_t axis, bool log,
                 const CancelToken& cancel = {});

}  // namespace convkit
