// Template body of the F(3x3, 4x4) output transform (winograd_s2.h, WinogradKernels::output3),
// instantiated per ISA with a vector-traits type V from simd_traits.h. Internal linkage.
//   G'^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 1]
//     with s = m1 + m2, e = m1 - m2, S = m3 + m4, E = m3 - m4:
//     y0 = m0 + s + S,  y1 = e + 2 E,  y2 = s + 4 S + m5
// (the first two rows are F(4x4, 3x3)'s A^T; the 1/4, 1/6, 1/24 of G^T live in the filter transform).
//
// The input transform is F(4x4, 3x3)'s B^T d B (f4_bt) on the 6x6 tile of the phase images. A phase
// pixel's 4C channels are two runs of 2C floats, (b, c) of row phase a = 0 and a = 1 (winograd_s2.h).
// With 4C <= W (RGB: 12 of 16 lanes on AVX-512) both runs go into one vector (loadn2) and each tile
// is one transform; otherwise each row phase is transformed on its own over 2C channels (on RGB that
// would be two passes at 6 of 16 lanes: 19% of a single-thread stem call, against 9% for one pass).
#pragma once
#include "conv/simd_traits.h"
#include "conv/winograd.h"
#include "conv/winograd_f4_kernel_impl.h"

namespace convkit {
namespace {

template <class V>
inline void s2_gt(const typename V::T* m, typename V::T* y) {
  using T = typename V::T;
  const T s = V::add(m[1], m[2]), e = V::sub(m[1], m[2]), S = V::add(m[3], m[4]), E = V::sub(m[3], m[4]);
  y[0] = V::add(V::add(m[0], s), S);
  y[1] = V::fma(V::bcast(2.f), E, e);
  y[2] = V::add(V::fma(V::bcast(4.f), S, s), m[5]);
}

// Y[i*rs + j*cs + k] = (G'^T M G')[i][j] (+ bias[k]): the shared 6x6 output transform with G'^T.
template <class V>
void s2_output(const float* M, std::size_t ms, std::size_t K, const float* bias, float* Y, std::ptrdiff_t rs,
               std::ptrdiff_t cs) {
  output6<V, 3, s2_gt<V>>(M, ms, K, bias, Y, rs, cs);
}

// V[(i*6+j)*vs + a*2C + r] = (B^T D_a B)[i][j], D_a[q][l] = d[(2q + a)*rowf + l*2C + r], r < 2C:
// the 6x6 tile of the phase images whose first input pixel is d (rowf floats per input row).
template <class V>
void s2_input(const float* d, std::ptrdiff_t rowf, std::size_t C, float* Vo, std::size_t vs) {
  using T = typename V::T;
  const int n2 = static_cast<int>(2 * C);
  if (4 * C > static_cast<std::size_t>(V::W)) {
    for (std::size_t a = 0; a < 2; ++a) f4_input<V>(d + a * rowf, 2 * rowf, n2, 2 * C, Vo + a * 2 * C, vs);
    return;
  }
  T t[6][6];  // t = B^T D, column by column
  for (int l = 0; l < 6; ++l) {
    T col[6], r[6];
    for (int q = 0; q < 6; ++q) {
      const float* p = d + 2 * q * rowf + l * n2;
      col[q] = V::loadn2(p, p + rowf, n2);
    }
    f4_bt<V>(col, r);
    for (int i = 0; i < 6; ++i) t[i][l] = r[i];
  }
  for (int i = 0; i < 6; ++i) {
    T r[6];
    f4_bt<V>(t[i], r);
    for (int j = 0; j < 6; ++j) V::storen(Vo + (i * 6 + j) * vs, r[j], 2 * n2);
  }
}

}  // namespace
}  // namespace convkit
