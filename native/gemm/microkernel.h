// The contract between the GEMM driver (gemm.cc) and the per-ISA micro-kernels
// (gemm_kernel_<isa>.cc): one register-blocked tile C[m,n] (m <= MR, n <= NR) over kc steps of K.
//
//   C[i,j] = act( alpha * sum_k A(i,k) * B(k,j) + beta * C[i,j] + bias[j] )
//
// A(i,k) is read at a[i*a_rs + k*a_cs]: a packed MR x kc micro-panel has a_rs = 1, a_cs = MR; an
// unpacked transposed A (column-contiguous) has a_rs = 1, a_cs = lda; an unpacked row-major A has
// a_rs = lda, a_cs = 1 (the kernels special-case a_cs == 1 to broadcast along rows). Only the m rows
// that exist are read, so unpacked A needs no padding.
// B(k,j) is read at b[k*ldb + j] (packed panel: ldb = NR; unpacked row-major B: ldb as given) with
// masked loads for the columns past n, so unpacked B needs no padding either.
// beta == 0 means C is not read (NaNs in C do not propagate). bias == nullptr means no bias; the
// driver passes the epilogue only on the last K block, when the sum is complete.
#pragma once
#include <cstddef>

#include "gemm/gemm.h"

namespace convkit::gemm {

struct MicroTile {
  const float* a;
  std::size_t a_rs, a_cs;
  const float* b;
  std::size_t ldb;
  float* c;
  std::size_t ldc;
  std::size_t k;
  int m, n;
  float alpha, beta;
  const float* bias;    // already offset to this tile's first column, or nullptr
  Activation act;       // Activation::none unless this is the last K block
  float leaky_alpha;
  // B's rows come from memory, not cache: the first tile over a prepacked panel (a layer's
  // weights, streamed once per call). The kernel then prefetches B kPrefetchBBytes ahead.
  bool stream_b;
};

// How far ahead a streaming tile prefetches B: 4 KiB, 32 k steps of a 32-float AVX-512 panel. A
// k step takes ~14 cycles (28 FMAs), so that is ~450 cycles, a DRAM round trip. Without it a
// 49-row product over ResNet-18's 4608 x 512 filter (7x7x512 layers at batch 1) streamed B at
// 5-8 GB/s, latency-bound: the hardware prefetchers do not run far enough ahead of one stream
// per panel. The later tiles over the same panel find it in L1/L2, where a prefetch only costs a
// load slot (all tiles prefetching slowed LeNet-5's 16-column im2col product by up to 20%).
constexpr std::size_t kPrefetchBBytes = 4096;

using MicroKernel = void (*)(const MicroTile&);

// Packing (pack_<isa>.cc). pack_a: the mc x kc block of op(A) starting at `a` (already offset to
// (ic, pc)) into ceil(mc/MR) micro-panels of kc x MR, zero-padded to MR rows.
// pack_b: the kc x nc block of op(B) at `b` into ceil(nc/NR) panels of kc x NR, zero-padded.
using PackA = void (*)(bool trans, std::size_t mc, std::size_t kc, const float* a, std::size_t lda, float* dst);
using PackB = void (*)(bool trans, std::size_t kc, std::size_t nc, const float* b, std::size_t ldb, float* dst);

// Per-ISA entry points (each defined in its own ISA-flagged file).
void micro_scalar(const MicroTile& t);
void micro_avx2(const MicroTile& t);
void micro_avx512(const MicroTile& t);
void pack_a_scalar(bool, std::size_t, std::size_t, const float*, std::size_t, float*);
void pack_b_scalar(bool, std::size_t, std::size_t, const float*, std::size_t, float*);
void pack_a_avx2(bool, std::size_t, std::size_t, const float*, std::size_t, float*);
void pack_b_avx2(bool, std::size_t, std::size_t, const float*, std::size_t, float*);
void pack_a_avx512(bool, std::size_t, std::size_t, const float*, std::size_t, float*);
void pack_b_avx512(bool, std::size_t, std::size_t, const float*, std::size_t, float*);

}  // namespace convkit::gemm
