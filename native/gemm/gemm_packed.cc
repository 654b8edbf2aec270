// Pre-packed B (a layer's weights): op(B) packed once, for every K block, into the active ISA's
// NR-wide panels, then reused by each sgemm_packed call with no packing of B at all.
//
// Layout: K blocks of KC = block_k(K) rows (the last may be shorter); block kb holds ceil(N/NR) panels of
// kc_b x NR floats (zero-padded columns), so block kb starts at kb * KC * npad and its panel q at
// + q * kc_b * NR -- exactly what the driver's JC/PC loops address (gemm_driver.h, PrepackedB).
// The packing records the ISA (and so MR/NR/KC) it was made for. If the active ISA differs at
// call time (tests switch ISAs; a process may cap it), the call unpacks into a temporary B and
// packs it for the active ISA -- correct, at the cost of one repack for that call.
#include <algorithm>
#include <vector>

#include "gemm/gemm_driver.h"
#include "runtime/aligned.h"
#include "runtime/errors.h"

namespace convkit {
namespace gemm {
namespace {

class PackedBImpl final : public PackedB {
 public:
  PackedBImpl(Isa isa, bool trans_b, std::size_t K, std::size_t N, const float* B, std::size_t ldb)
      : isa_(isa), k_(K), n_(N) {
    const GemmConfig& cfg = gemm_config(isa);
    kc_ = block_k(cfg, K);
    nr_ = cfg.nr;
    npad_ = (N + nr_ - 1) / nr_ * nr_;
    data_ = aligned_array<float>(std::max<std::size_t>(1, K * npad_));
    for (std::size_t pc = 0; pc < K; pc += kc_) {
      const std::size_t kc = std::min(kc_, K - pc);
      const float* src = trans_b ? B + pc : B + pc * ldb;
      cfg.pack_b(trans_b, kc, N, src, ldb, data_.get() + pc * npad_);
    }
  }
  std::size_t K() const override { return k_; }
  std::size_t N() const override { return n_; }
  std::size_t bytes() const override { return std::max<std::size_t>(1, k_ * npad_) * sizeof(float); }
  Isa isa() const { return isa_; }
  PrepackedB view() const { return PrepackedB{data_.get(), npad_}; }

  // op(B)(k, j) back out of the panels (for a repack under another ISA).
  void unpack(float* out) const {
    for (std::size_t pc = 0; pc < k_; pc += kc_) {
      const std::size_t kc = std::min(kc_, k_ - pc);
      const float* blk = data_.get() + pc * npad_;
      for (std::size_t k = 0; k < kc; ++k)
        for (std::size_t j = 0; j < n_; ++j) out[(pc + k) * n_ + j] = blk[(j / nr_) * kc * nr_ + k * nr_ + j % nr_];
    }
  }

 private:
  Isa isa_;
  std::size_t k_, n_, kc_, nr_, npad_;
  AlignedPtr<float> data_;
};

}  // namespace
}  // namespace gemm

std::unique_ptr<PackedB> pack_b(bool trans_b, std::size_t K, std::size_t N, const float* B, std::size_t ldb) {
  if (K == 0 || N == 0) throw InvalidArgument("pack_b: K and N must be >= 1, got K=" + std::to_string(K) +
                                              ", N=" + std::to_string(N));
  if (!B) throw InvalidArgument("pack_b: B is null");
  const std::size_t min_ldb = trans_b ? K : N;
  if (ldb < min_ldb)
    throw InvalidArgument("pack_b: ldb must be >= " + std::to_string(min_ldb) + ", got " + std::to_string(ldb));
  return std::make_unique<gemm::PackedBImpl>(active_isa(), trans_b, K, N, B, ldb);
}

void sgemm_packed(bool trans_a, std::size_t M, float alpha, const float* A, std::size_t lda, const PackedB& B,
                  float beta, float* C, std::size_t ldc, const GemmEpilogue* epilogue, const CancelToken* cancel) {
  const auto* pb = dynamic_cast<const gemm::PackedBImpl*>(&B);
  if (!pb) throw InvalidArgument("sgemm_packed: B was not made by pack_b");
  const std::size_t K = pb->K(), N = pb->N();
  const Isa isa = active_isa();
  if (pb->isa() != isa) {
    std::vector<float> plain(K * N);
    pb->unpack(plain.data());
    gemm::PackedBImpl repacked(isa, false, K, N, plain.data(), N);
    sgemm_packed(trans_a, M, alpha, A, lda, repacked, beta, C, ldc, epilogue, cancel);
    return;
  }
  gemm::gemm_check_args(trans_a, false, M, N, K, A, lda, C /*any non-null*/, N, C, ldc);
  const gemm::PrepackedB view = pb->view();
  gemm::gemm_run(gemm::gemm_config(isa), trans_a, false, M, N, K, alpha, A, lda, nullptr, N, beta, C, ldc, epilogue,
                 &view, gemm::gemm_threads(M, N, K), cancel);
}

}  // namespace convkit
