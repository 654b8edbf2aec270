// Single-precision GEMM, the engine under Dense, im2col/1x1 convolution, Winograd's transformed-domain
// products and the weight gradients:
//
//   C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C[M,N]      (row-major, leading dimensions)
//
// then, if an epilogue is given, C[m,n] = act(C[m,n] + bias[n]) while the tile is still in registers.
// beta == 0 means C is write-only (NaNs in C are not propagated), as in BLAS.
#pragma once
#include <cstddef>
#include <memory>

#include "runtime/errors.h"

namespace convkit {

enum class Activation : int { none = 0, relu = 1, relu6 = 2, sigmoid = 3, tanh = 4, leaky_relu = 5 };

struct GemmEpilogue {
  const float* bias = nullptr;  // N values added to every row, or nullptr
  Activation act = Activation::none;
  float leaky_alpha = 0.2f;     // slope for leaky_relu (Keras LeakyReLU's default negative_slope 0.3 is set by callers)
};

void sgemm(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, float alpha, const float* A,
           std::size_t lda, const float* B, std::size_t ldb, float beta, float* C, std::size_t ldc,
           const GemmEpilogue* epilogue = nullptr, const CancelToken* cancel = nullptr);

// `cancel` (optional, all forms): checked before each K block (and each batch item); a requested
// cancel throws convkit::Cancelled, leaving C partly updated.

// Batched form: `batch` independent products, operand i at A + i*stride_a etc.
void sgemm_strided_batched(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, float alpha,
                           const float* A, std::size_t lda, std::size_t stride_a, const float* B, std::size_t ldb,
                           std::size_t stride_b, float beta, float* C, std::size_t ldc, std::size_t stride_c,
                           std::size_t batch, const GemmEpilogue* epilogue = nullptr,
                           const CancelToken* cancel = nullptr);

// B packed once into the micro-kernel's panel layout (for inference: a layer's weights), reused by
// sgemm_packed. The packing is specific to the ISA active when it was made; sgemm_packed repacks
// transparently if the active ISA changed since.
class PackedB {
 public:
  virtual ~PackedB() = default;
  virtual std::size_t K() const = 0;
  virtual std::size_t N() const = 0;
  virtual std::size_t bytes() const = 0;  // memory the panels hold (for external-memory accounting)
};
std::unique_ptr<PackedB> pack_b(bool trans_b, std::size_t K, std::size_t N, const float* B, std::size_t ldb);
void sgemm_packed(bool trans_a, std::size_t M, float alpha, const float* A, std::size_t lda, const PackedB& B,
                  float beta, float* C, std::size_t ldc, const GemmEpilogue* epilogue = nullptr,
                  const CancelToken* cancel = nullptr);

}  // namespace convkit
