// The elementwise family's per-ISA kernels and their one dispatch table.
// Implementations: elementwise_kernel_scalar.cc, _avx2.cc, _avx512.cc, all instantiating the same
// template (elementwise_kernel_impl.h) with different vector traits.
#pragma once
#include <cstddef>

#include "dispatch/cpu.h"
#include "ops/elementwise.h"
#include "ops/grad_activation.h"

namespace convkit {

struct ElementwiseKernels {
  // out[i] = a[i*as] (op) b[i*bs], i < n; as, bs in {0, 1} (0 broadcasts one value).
  void (*binary)(BinaryOp op, const float* a, std::size_t as, const float* b, std::size_t bs, float* out, std::size_t n);
  void (*unary)(UnaryOp op, const float* x, float* y, std::size_t n, float alpha, float beta);
  // Softmax / log-softmax of each of `rows` contiguous rows of length n.
  void (*softmax_rows)(const float* x, float* y, std::size_t rows, std::size_t n, bool log);
  // dx[i] = dy[i] * f'(in[i]) for the activation derivatives of ops/grad_activation.h.
  void (*act_grad)(grad::ActGrad kind, const float* in, const float* dy, float* dx, std::size_t n, float alpha,
                   float beta);
  // Sum (op 0), max (1) or min (2) of n contiguous values.
  float (*reduce_row)(int op, const float* x, std::size_t n);
};

extern const ElementwiseKernels kElementwiseScalar;
extern const ElementwiseKernels kElementwiseAvx2;
extern const ElementwiseKernels kElementwiseAvx512;

inline const ElementwiseKernels& elementwise_kernels() {
  static const ElementwiseKernels* const table[kIsaCount] = {&kElementwiseScalar, &kElementwiseAvx2,
                                                              &kElementwiseAvx512};
  return *table[static_cast<int>(active_isa())];
}

}  // namespace convkit
