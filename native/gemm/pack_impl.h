// Packing of A and B into the micro-kernel's contiguous panels (BLIS's packed "micro-panels").
// Written once as templates on MR/NR and instantiated in pack_<isa>.cc, so each copy is compiled
// with that ISA's flags and the compiler vectorises the copies for it. Transposes are absorbed
// here: the kernels only ever see op(A) and op(B).
//
// Layouts (see microkernel.h):
//   A block mc x kc -> ceil(mc/MR) panels; panel p holds rows [p*MR, p*MR+MR) as dst[k*MR + i].
//   B block kc x nc -> ceil(nc/NR) panels; panel q holds cols [q*NR, q*NR+NR) as dst[k*NR + j].
// Rows/columns past the edge are zero so a full-width kernel can run over them harmlessly.
#pragma once
#include <cstddef>
#include <cstring>

namespace convkit::gemm {

template <int MR>
void pack_a_impl(bool trans, std::size_t mc, std::size_t kc, const float* a, std::size_t lda, float* dst) {
  for (std::size_t i0 = 0; i0 < mc; i0 += MR, dst += kc * MR) {
    const std::size_t mr = mc - i0 < MR ? mc - i0 : MR;
    if (trans) {
      // op(A)(i,k) = a[k*lda + i]: each k already has the MR values contiguous.
      const float* src = a + i0;
      if (mr == MR) {
        for (std::size_t k = 0; k < kc; ++k) std::memcpy(dst + k * MR, src + k * lda, MR * sizeof(float));
      } else {
        for (std::size_t k = 0; k < kc; ++k) {
          std::size_t i = 0;
          for (; i < mr; ++i) dst[k * MR + i] = src[k * lda + i];
          for (; i < MR; ++i) dst[k * MR + i] = 0.f;
        }
      }
    } else {
      // op(A)(i,k) = a[i*lda + k]: a transpose of an mr x kc strip, done 8 columns of K at a time
      // so the MR source rows are read as short contiguous runs.
      const float* src = a + i0 * lda;
      std::size_t k0 = 0;
      if (mr == MR) {
        for (; k0 + 8 <= kc; k0 += 8)
          for (int i = 0; i < MR; ++i) {
            const float* s = src + i * lda + k0;
            float* d = dst + k0 * MR + i;
            for (int kk = 0; kk < 8; ++kk) d[kk * MR] = s[kk];
          }
      }
      for (std::size_t k = k0; k < kc; ++k) {
        std::size_t i = 0;
        for (; i < mr; ++i) dst[k * MR + i] = src[i * lda + k];
        for (; i < MR; ++i) dst[k * MR + i] = 0.f;
      }
    }
  }
}

template <int NR>
void pack_b_impl(bool trans, std::size_t kc, std::size_t nc, const float* b, std::size_t ldb, float* dst) {
  if (!trans && nc >= NR) {
    // Row-major B, full panels: walk B row by row (each row read front to back, which the
    // hardware prefetchers follow) and scatter NR-float pieces to the panels. Panel by panel
    // would read kc pieces ldb apart -- with ldb = 2048 a new 4 KiB page per piece, which no
    // prefetcher follows. The last, partial panel goes through the general loop below.
    const std::size_t full = nc / NR;
    for (std::size_t k = 0; k < kc; ++k) {
      const float* src = b + k * ldb;
      float* d = dst + k * NR;
      for (std::size_t q = 0; q < full; ++q) std::memcpy(d + q * kc * NR, src + q * NR, NR * sizeof(float));
    }
    b += full * NR;
    dst += full * kc * NR;
    nc -= full * NR;
  }
  for (std::size_t j0 = 0; j0 < nc; j0 += NR, dst += kc * NR) {
    const std::size_t nr = nc - j0 < NR ? nc - j0 : NR;
    if (!trans) {
      // op(B)(k,j) = b[k*ldb + j]: rows of NR contiguous floats.
      const float* src = b + j0;
      if (nr == NR) {
        for (std::size_t k = 0; k < kc; ++k) std::memcpy(dst + k * NR, src + k * ldb, NR * sizeof(float));
      } else {
        for (std::size_t k = 0; k < kc; ++k) {
          std::size_t j = 0;
          for (; j < nr; ++j) dst[k * NR + j] = src[k * ldb + j];
          for (; j < NR; ++j) dst[k * NR + j] = 0.f;
        }
      }
    } else {
      // op(B)(k,j) = b[j*ldb + k]: transpose nr rows of B into the panel, 8 k at a time.
      const float* src = b + j0 * ldb;
      std::size_t k0 = 0;
      if (nr == NR) {
        for (; k0 + 8 <= kc; k0 += 8)
          for (int j = 0; j < NR; ++j) {
            const float* s = src + j * ldb + k0;
            float* d = dst + k0 * NR + j;
            for (int kk = 0; kk < 8; ++kk) d[kk * NR] = s[kk];
          }
      }
      for (std::size_t k = k0; k < kc; ++k) {
        std::size_t j = 0;
        for (; j < nr; ++j) dst[k * NR + j] = src[j * ldb + k];
        for (; j < NR; ++j) dst[k * NR + j] = 0.f;
      }
    }
  }
}

}  // namespace convkit::gemm
