// Strided batched SGEMM: `batch` independent products at fixed strides (Winograd's per-tile-position
// products, grouped convolution, attention-style batched matmul).
//
// Parallelism goes where it is cheaper: a batch of small products runs one product per task on the
// thread pool (each product single-threaded: no region per product), a batch of large products
// runs the products one after another, each using all threads over its macro-tiles.
#include <string>

#include "gemm/gemm_driver.h"
#include "runtime/errors.h"
#include "runtime/thread_pool.h"

namespace convkit {

void sgemm_strided_batched(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, float alpha,
                           const float* A, std::size_t lda, std::size_t stride_a, const float* B, std::size_t ldb,
                           std::size_t stride_b, float beta, float* C, std::size_t ldc, std::size_t stride_c,
                           std::size_t batch, const GemmEpilogue* epilogue, const CancelToken* cancel) {
  if (batch == 0 || M == 0 || N == 0) return;
  gemm::gemm_check_args(trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc);
  if (batch > 1 && stride_c < (M - 1) * ldc + N)
    throw InvalidArgument("sgemm_strided_batched: stride_c must be >= (M-1)*ldc + N = " +
                          std::to_string((M - 1) * ldc + N) + " so outputs do not overlap, got " +
                          std::to_string(stride_c));
  const gemm::GemmConfig& cfg = gemm::gemm_config(active_isa());
  const int threads = gemm::gemm_threads(M, N, K);
  const int pool = in_parallel_region() ? 1 : num_threads();
  auto one = [&](std::size_t i, int t) {
    if (cancel) cancel->check();
    gemm::gemm_run(cfg, trans_a, trans_b, M, N, K, alpha, A + i * stride_a, lda, B + i * stride_b, ldb, beta,
                   C + i * stride_c, ldc, epilogue, nullptr, t, cancel);
  };
  // Small products, or more products than threads with each product too small to keep all threads
  // busy on its own: spread the batch.
  const double flops = 2.0 * double(M) * double(N) * double(K);
  if (pool > 1 && (threads == 1 || (batch >= std::size_t(pool) * 4 && flops < 64e6))) {
    parallel_for(batch, [&](std::size_t i) { one(i, 1); });
  } else {
    for (std::size_t i = 0; i < batch; ++i) one(i, threads);
  }
}

}  // namespace convkit
