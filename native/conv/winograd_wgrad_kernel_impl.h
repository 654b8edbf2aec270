// Template bodies of the F(3x3, 2x2) weight-gradient transforms (winograd_wgrad_kernels.h),
// instantiated per ISA with a vector-traits type V from simd_traits.h. Internal linkage only.
#pragma once
#include "conv/simd_traits.h"
#include "conv/winograd_wgrad_kernels.h"

namespace convkit {
namespace {

// B^T D B for channels [c, c + n) (TAIL: masked to n lanes).
template <class V, bool TAIL>
inline void wg_input_vec(const float* d, std::ptrdiff_t rs, std::ptrdiff_t cs, int n, float* V0, std::size_t vs) {
  using T = typename V::T;
  auto ld = [&](int k, int l) { return TAIL ? V::loadn(d + k * rs + l * cs, n) : V::load(d + k * rs + l * cs); };
  auto sub = V::sub;
  // Rows: t = B^T D   (t0 = d0 - d2, t1 = d1 + d2, t2 = d2 - d1, t3 = d1 - d3, per column l).
  T t[4][4];
  for (int l = 0; l < 4; ++l) {
    T d0 = ld(0, l), d1 = ld(1, l), d2 = ld(2, l), d3 = ld(3, l);
    t[0][l] = sub(d0, d2);
    t[1][l] = V::add(d1, d2);
    t[2][l] = sub(d2, d1);
    t[3][l] = sub(d1, d3);
  }
  // Columns: V = t B.
  for (int i = 0; i < 4; ++i) {
    T v[4] = {sub(t[i][0], t[i][2]), V::add(t[i][1], t[i][2]), sub(t[i][2], t[i][1]), sub(t[i][1], t[i][3])};
    for (int j = 0; j < 4; ++j) {
      if (TAIL)
        V::storen(V0 + (i * 4 + j) * vs, v[j], n);
      else
        V::store(V0 + (i * 4 + j) * vs, v[j]);
    }
  }
}

template <class V>
void wg_input(const float* d, std::ptrdiff_t rs, std::ptrdiff_t cs, std::size_t C, float* Vout, std::size_t vs) {
  std::size_t c = 0;
  for (; c + V::W <= C; c += V::W) wg_input_vec<V, false>(d + c, rs, cs, V::W, Vout + c, vs);
  if (c < C) wg_input_vec<V, true>(d + c, rs, cs, (int)(C - c), Vout + c, vs);
}

// A E A^T for channels [c, c + n).
template <class V, bool TAIL>
inline void wg_grad_vec(const float* e, std::ptrdiff_t rs, std::ptrdiff_t cs, int n, float* U0, std::size_t us) {
  using T = typename V::T;
  auto ld = [&](int u, int v) { return TAIL ? V::loadn(e + u * rs + v * cs, n) : V::load(e + u * rs + v * cs); };
  auto sub = V::sub;
  // Rows: r = A E   (r0 = e0, r1 = e0 + e1, r2 = e0 - e1, r3 = -e1, per column v).
  T r[4][2];
  for (int v = 0; v < 2; ++v) {
    T e0 = ld(0, v), e1 = ld(1, v);
    r[0][v] = e0;
    r[1][v] = V::add(e0, e1);
    r[2][v] = sub(e0, e1);
    r[3][v] = V::sub(V::zero(), e1);
  }
  // Columns: U = r A^T.
  for (int i = 0; i < 4; ++i) {
    T u[4] = {r[i][0], V::add(r[i][0], r[i][1]), sub(r[i][0], r[i][1]), V::sub(V::zero(), r[i][1])};
    for (int j = 0; j < 4; ++j) {
      if (TAIL)
        V::storen(U0 + (i * 4 + j) * us, u[j], n);
      else
        V::store(U0 + (i * 4 + j) * us, u[j]);
    }
  }
}

template <class V>
void wg_grad(const float* e, std::ptrdiff_t rs, std::ptrdiff_t cs, std::size_t K, float* Uout, std::size_t us) {
  std::size_t c = 0;
  for (; c + V::W <= K; c += V::W) wg_grad_vec<V, false>(e + c, rs, cs, V::W, Uout + c, us);
  if (c < K) wg_grad_vec<V, true>(e + c, rs, cs, (int)(K - c), Uout + c, us);
}

template <class V>
WinogradWgradKernels make_winograd_wgrad_kernels() {
  return WinogradWgradKernels{&wg_input<V>, &wg_grad<V>};
}

}  // namespace
}  // namespace convkit
