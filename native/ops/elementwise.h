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

enum class BinaryOp : int { add = 0, sub, mul, div, maximum, minimum, squared_difference };
enum class UnaryOp : int {
  relu = 0, relu6, leaky_relu, elu, sigmoid, tanh, exp, log, neg, abs, sqrt, square, softplus, swish, reciprocal
};
constexpr int kBinaryOpCount = 7;
constexpr int kUnaryOpCount = 15;

// out = a (op) b with NumPy broadcasting; out_shape must equal broadcast_shapes(a_shape, b_shape).
void binary_f32(BinaryOp op, const float* a, const Shape& a_shape, const float* b, const Shape& b_shape, float* out,
                const Shape& out_shape, const CancelToken& cancel = {});
// int32 add/sub/mul/maximum/minimum with broadcasting (wrapping arithmetic, as two's complement).
void binary_i32(BinaryOp op, const std::int32_t* a, const Shape& a_shape, const std::int32_t* b, const Shape& b_shape,
                std::int32_t* out, const Shape& out_shape, const CancelToken& cancel = {});

// y = op(x) over n elements (x may equal y). alpha: slope of leaky_relu, scale of elu.
void unary_f32(UnaryOp op, const float* x, float* y, std::size_t n, float alpha = 0.f, const CancelToken& cancel = {});

// Softmax (or log-softmax) of x along `axis` of `shape`, into y (same shape; may alias x).
void softmax_f32(const float* x, float* y, const Shape& shape, std::size_t axis, bool log,
                 const CancelToken& cancel = {});

}  // namespace convkit
