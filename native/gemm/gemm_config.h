// The SGEMM dispatch table: one row per ISA with its micro-kernel, its packing routines, the
// register tile MR x NR and the cache blocking MC/KC/NC. Read at call time via active_isa().
#pragma once
#include <cstddef>

#include "dispatch/cpu.h"
#include "gemm/microkernel.h"

namespace convkit::gemm {

struct CacheSizes {
  std::size_t l1d, l2, l3;  // bytes per core (l3: the whole shared cache)
};

struct GemmConfig {
  Isa isa;
  const char* name;  // e.g. "f32_gemm_14x32__avx512f"
  int mr, nr;
  std::size_t mc, kc, nc;
  MicroKernel kernel;
  PackA pack_a;
  PackB pack_b;
};

// Cache sizes of this machine (sysconf, falling back to Zen 4's 32 KiB / 1 MiB / 32 MiB).
const CacheSizes& cache_sizes();
// The row for `isa`, blocking derived from cache_sizes() once (see gemm_config.cc).
const GemmConfig& gemm_config(Isa isa);

}  // namespace convkit::gemm
