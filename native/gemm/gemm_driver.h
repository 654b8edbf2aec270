// The BLIS five-loop driver shared by sgemm, sgemm_packed and sgemm_strided_batched.
#pragma once
#include <cstddef>

#include "gemm/gemm.h"
#include "gemm/gemm_config.h"

namespace convkit::gemm {

// B already packed for `cfg` over the whole K x N (layout in gemm_packed.cc): with KC = block_k(K),
// block (pc, jc) starts at data + (pc/KC) * KC * npad + (panel0 + jc/NR) * kc_block * NR.
// panel0 selects a column range of the packing: the first NR panel of this product's column 0
// (a thread's part of C in gemm.cc's split into independent parts; 0 for the whole).
struct PrepackedB {
  const float* data;
  std::size_t npad;  // N rounded up to NR (of the whole packing)
  std::size_t panel0 = 0;
};

// Validated arguments, any sizes (M, N >= 1; K >= 0). `threads` <= 1 runs on the calling thread.
void gemm_run(const GemmConfig& cfg, bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K,
              float alpha, const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta, float* C,
              std::size_t ldc, const GemmEpilogue* epilogue, const PrepackedB* prepacked, int threads,
              const CancelToken* cancel = nullptr);

// The K block size used for a product with this K: K split into ceil(K / cfg.kc) equal blocks
// (rounded up to 8), so K = 256 with kc = 192 runs as 128 + 128, not 192 + 64 (a short last block
// pays the C load/store of a full one). The last block may be shorter. PrepackedB uses it too.
std::size_t block_k(const GemmConfig& cfg, std::size_t K);

// Threads worth using for an M x N x K product (1 below the measured crossover or inside a region).
int gemm_threads(std::size_t M, std::size_t N, std::size_t K);

// Packing choice override for tests and tuning: -1 = automatic (default, or CONVKIT_GEMM_PACK at
// load), else bit 0 = pack A, bit 1 = pack B (B is always packed when transposed or prepacked).
void set_pack_override(int mode);
int pack_override();

// Throws InvalidArgument naming the offending argument.
void gemm_check_args(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, const float* A,
                     std::size_t lda, const float* B, std::size_t ldb, const float* C, std::size_t ldc);

}  // namespace convkit::gemm
