// SGEMM blocking per ISA, derived from the cache sizes (BLIS's analytical model: Low, Igual,
// Smith, Quintana-Orti, "Analytical Modeling Is Enough for High-Performance BLIS", TOMS 2016).
//
// Loop nest (gemm.cc): JC (NC columns) > PC (KC of K) > IC (MC rows) > JR (NR) > IR (MR).
//  - KC: one micro-kernel call streams an MR x kc micro-panel of A against a kc x NR micro-panel
//    of B; the B panel is reused by every MR-row strip of the IC block. The L1 model says both
//    panels together fill L1: kc * (MR + NR) * 4 bytes <= L1d, i.e. kc = L1d / (4 * (MR + NR)).
//    But every K block also costs one read-modify-write of the whole C block (the tile leaves
//    the registers once per K block), and at 1024..2048 with C in memory that traffic is what
//    a larger kc saves. The kernels stream a B panel larger than L1 from L2 at full speed (per k
//    step, 128 bytes of B per 28 FMAs = 14 cycles: 9 bytes/cycle, a fraction of L2's bandwidth),
//    so AVX-512 uses kc_scale = 2 (twice the L1-model kc).
//    Measured on this VM (AVX-512, 1 thread, thread CPU time, busy machine, 2 runs each):
//      kc:        264          384          512          768          1024
//      1024^3:  162-163      162-175      164-176      163-167      160-165  GFLOPS
//      2048^3:  150-160      158-165      156-169      162-167      153-166
//    and the isolated micro-kernel (A from L2, 40 strips) runs at 85% of the FMA peak with
//    kc = 264 and 87% with kc = 512. AVX2 and scalar keep the L1 model (kc_scale = 1: not
//    re-measured). Rounded down to a multiple of 8.
//  - MC: the packed mc x kc block of A is re-read from L2 for every NR panel:
//    mc * kc * 4 <= L2 / 2.                            mc = L2 / (8 * kc), multiple of MR.
//  - NC: the packed kc x nc block of B sits in L3 (shared): kc * nc * 4 <= L3 / 4, capped at 4096
//    (beyond that the JC loop costs nothing and smaller blocks pack in parallel sooner).
//
// Worked values (AVX-512, MR = 14, NR = 32, kc_scale = 2):
//   Zen 4   (L1d 32 KiB, L2 1 MiB):  kc = 352, mc = 364,  nc = 4096
//   Xeon VM (L1d 48 KiB, L2 2 MiB):  kc = 528, mc = 490,  nc = 4096
//   Zen 5 VM (L1d 48 KiB, L2 1 MiB): kc = 528, mc = 238,  nc = 4096  (the VM reports 508 MiB of L3)
// AVX2 (6 x 16): kc = 368 / 552. Overrides for tuning: CONVKIT_GEMM_KC/MC/NC.
//
// Zen 5 ("Oxide Virtual Turin-like Processor", session 5). Its AVX-512 is full width: the FMA
// probe in thread CPU time gives 200-209 GFLOPS per core with zmm and 101-104 with ymm (2 FMA
// pipes x 16 lanes x 2 flops at ~3.25 GHz), so the AVX-512 row stays the one dispatch picks and
// its 14x32 tile is kept: in isolation (native micro-kernel loop, A block 238 x kc from L2, 32 B
// panels, CPU time, best of 5 per run) it runs at 195-204 GFLOPS (94-98% of the core's peak)
// for kc 256 and 512 in most runs (164-180 in the disturbed ones), i.e. the loads (2 B vectors +
// 14 broadcasts per 28 FMAs) keep up. The blocking was
// re-measured there (1 thread, CPU time, 4 interleaved runs each, busy machine), best run:
//      kc:        256      384      528      768
//      1024^3:    177      183      191      188   GFLOPS
//      2048^3:    163      177      183      183
// so the L1-model kc with kc_scale = 2 (528) stays; mc 126..476 did not separate from the noise.
#include "gemm/gemm_config.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>

namespace convkit::gemm {
namespace {

std::size_t sys(int name, std::size_t fallback) {
#if defined(_SC_LEVEL1_DCACHE_SIZE)
  long v = sysconf(name);
  if (v > 0) return static_cast<std::size_t>(v);
#else
  (void)name;
#endif
  return fallback;
}

std::size_t env_or(const char* name, std::size_t v) {
  const char* e = std::getenv(name);
  if (e && *e) {
    long x = std::strtol(e, nullptr, 10);
    if (x > 0) return static_cast<std::size_t>(x);
  }
  return v;
}

GemmConfig derive(Isa isa, const char* name, int mr, int nr, std::size_t kc_scale, MicroKernel k, PackA pa, PackB pb) {
  const CacheSizes& cs = cache_sizes();
  std::size_t kc = std::max<std::size_t>(64, cs.l1d * kc_scale / (4 * (mr + nr)) / 8 * 8);
  kc = env_or("CONVKIT_GEMM_KC", kc);
  std::size_t mc = std::max<std::size_t>(mr, cs.l2 / (8 * kc) / mr * mr);
  mc = env_or("CONVKIT_GEMM_MC", mc);
  mc = std::max<std::size_t>(mr, mc / mr * mr);
  std::size_t nc = std::min<std::size_t>(4096, std::max<std::size_t>(nr, cs.l3 / (16 * kc) / nr * nr));
  nc = env_or("CONVKIT_GEMM_NC", nc);
  nc = std::max<std::size_t>(nr, nc / nr * nr);
  return GemmConfig{isa, name, mr, nr, mc, kc, nc, k, pa, pb};
}

}  // namespace

const CacheSizes& cache_sizes() {
#if defined(_SC_LEVEL1_DCACHE_SIZE)
  static const CacheSizes c{sys(_SC_LEVEL1_DCACHE_SIZE, 32 << 10), sys(_SC_LEVEL2_CACHE_SIZE, 1 << 20),
                            sys(_SC_LEVEL3_CACHE_SIZE, 32 << 20)};
#else
  static const CacheSizes c{32 << 10, 1 << 20, 32 << 20};
#endif
  return c;
}

const GemmConfig& gemm_config(Isa isa) {
  // The one dispatch table of the GEMM family, indexed by Isa.
  static const GemmConfig table[kIsaCount] = {
      derive(Isa::scalar, "f32_gemm_4x16__scalar", 4, 16, 1, micro_scalar, pack_a_scalar, pack_b_scalar),
      derive(Isa::avx2, "f32_gemm_6x16__avx2_fma", 6, 16, 1, micro_avx2, pack_a_avx2, pack_b_avx2),
      derive(Isa::avx512, "f32_gemm_14x32__avx512f", 14, 32, 2, micro_avx512, pack_a_avx512, pack_b_avx512),
  };
  return table[static_cast<int>(isa)];
}

}  // namespace convkit::gemm
