// Template bodies of the fixed F(4x4, 3x3) transforms (winograd.h, WinogradKernels::input4 /
// output4), instantiated per ISA with a vector-traits type V from simd_traits.h. Internal linkage.
//
// Why next to the generic transforms: those take any a x a matrix and skip zeros at run time, with
// a gathered patch in and a contiguous tile out; on VGG 3x3 they and the patch copy were half of
// the F4 forward (GEMM 38%, input transform 26%, output 15%, copies 9%, busy machine). These are
// the F(4x4, 3x3) matrices written out as shared subexpressions, reading/writing tiles in place
// through row/column strides (interior tiles; dilation is just a stride).
//   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
//     t0 = 4 d0 - 5 d2 + d4          t5 = 4 d1 - 5 d3 + d5
//     t1,2 = (d4 - 4 d2) +- (d3 - 4 d1)     t3,4 = (d4 - d2) +- 2 (d3 - d1)
//   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
//     with s = m1 + m2, e = m1 - m2, S = m3 + m4, E = m3 - m4:
//     y0 = m0 + s + S,  y1 = e + 2 E,  y2 = s + 4 S,  y3 = e + 8 E + m5
#pragma once
#include "conv/simd_traits.h"
#include "conv/winograd.h"

namespace convkit {
namespace {

template <class V>
inline void f4_bt(const typename V::T* d, typename V::T* t) {
  using T = typename V::T;
  const T four = V::bcast(4.f), m4 = V::bcast(-4.f), m5 = V::bcast(-5.f), two = V::bcast(2.f);
  t[0] = V::fma(four, d[0], V::fma(m5, d[2], d[4]));
  t[5] = V::fma(four, d[1], V::fma(m5, d[3], d[5]));
  const T a = V::fma(m4, d[2], d[4]), b = V::fma(m4, d[1], d[3]);
  t[1] = V::add(a, b);
  t[2] = V::sub(a, b);
  const T c = V::sub(d[4], d[2]), e = V::mul(two, V::sub(d[3], d[1]));
  t[3] = V::add(c, e);
  t[4] = V::sub(c, e);
}

template <class V>
inline void f4_at(const typename V::T* m, typename V::T* y) {
  using T = typename V::T;
  const T s = V::add(m[1], m[2]), e = V::sub(m[1], m[2]), S = V::add(m[3], m[4]), E = V::sub(m[3], m[4]);
  y[0] = V::add(V::add(m[0], s), S);
  y[1] = V::fma(V::bcast(2.f), E, e);
  y[2] = V::fma(V::bcast(4.f), S, s);
  y[3] = V::add(V::fma(V::bcast(8.f), E, e), m[5]);
}

// V[(i*6+j)*vs + c] = (B^T D B)[i][j],  D[k][l] = d[k*rs + l*cs + c], channels [c, c + n).
template <class V, bool TAIL>
inline void f4_input_vec(const float* d, std::ptrdiff_t rs, std::ptrdiff_t cs, int n, float* Vo, std::size_t vs) {
  using T = typename V::T;
  T t[6][6];  // t = B^T D, column by column
  for (int l = 0; l < 6; ++l) {
    T col[6], r[6];
    for (int k = 0; k < 6; ++k) {
      const float* p = d + k * rs + l * cs;
      col[k] = TAIL ? V::loadn(p, n) : V::load(p);
    }
    f4_bt<V>(col, r);
    for (int i = 0; i < 6; ++i) t[i][l] = r[i];
  }
  for (int i = 0; i < 6; ++i) {
    T r[6];
    f4_bt<V>(t[i], r);
    for (int j = 0; j < 6; ++j) {
      if (TAIL)
        V::storen(Vo + (i * 6 + j) * vs, r[j], n);
      else
        V::store(Vo + (i * 6 + j) * vs, r[j]);
    }
  }
}

template <class V>
void f4_input(const float* d, std::ptrdiff_t rs, std::ptrdiff_t cs, std::size_t C, float* Vo, std::size_t vs) {
  std::size_t c = 0;
  for (; c + V::W <= C; c += V::W) f4_input_vec<V, false>(d + c, rs, cs, V::W, Vo + c, vs);
  if (c < C) f4_input_vec<V, true>(d + c, rs, cs, (int)(C - c), Vo + c, vs);
}

// Y[i*rs + j*cs + k] = (At M At^T)[i][j] (+ bias[k]) for a 1-D output transform At of 6 points to
// R outputs (F(4,3)'s A^T with R = 4; the stride-2 form's G'^T with R = 3, winograd_s2_kernel_impl.h),
// M[u][v] = M[(u*6+v)*ms + k], channels [k, k + n).
template <class V, int R, void (*At)(const typename V::T*, typename V::T*), bool TAIL>
inline void output6_vec(const float* M, std::size_t ms, const float* bias, int n, float* Y, std::ptrdiff_t rs,
                        std::ptrdiff_t cs) {
  using T = typename V::T;
  T t[R][6];  // t = At M, column by column
  for (int v = 0; v < 6; ++v) {
    T col[6], r[R];
    for (int u = 0; u < 6; ++u) {
      const float* p = M + (u * 6 + v) * ms;
      col[u] = TAIL ? V::loadn(p, n) : V::load(p);
    }
    At(col, r);
    for (int i = 0; i < R; ++i) t[i][v] = r[i];
  }
  const T b = bias ? (TAIL ? V::loadn(bias, n) : V::load(bias)) : V::zero();
  for (int i = 0; i < R; ++i) {
    T r[R];
    At(t[i], r);
    for (int j = 0; j < R; ++j) {
      float* p = Y + i * rs + j * cs;
      if (TAIL)
        V::storen(p, V::add(r[j], b), n);
      else
        V::store(p, V::add(r[j], b));
    }
  }
}

template <class V, int R, void (*At)(const typename V::T*, typename V::T*)>
void output6(const float* M, std::size_t ms, std::size_t K, const float* bias, float* Y, std::ptrdiff_t rs,
             std::ptrdiff_t cs) {
  std::size_t k = 0;
  for (; k + V::W <= K; k += V::W)
    output6_vec<V, R, At, false>(M + k, ms, bias ? bias + k : nullptr, V::W, Y + k, rs, cs);
  if (k < K) output6_vec<V, R, At, true>(M + k, ms, bias ? bias + k : nullptr, (int)(K - k), Y + k, rs, cs);
}

template <class V>
void f4_output(const float* M, std::size_t ms, std::size_t K, const float* bias, float* Y, std::ptrdiff_t rs,
               std::ptrdiff_t cs) {
  output6<V, 4, f4_at<V>>(M, ms, K, bias, Y, rs, cs);
}

template <class V, bool TAIL>
inline void wfilter_vec(int a, const float* G, const float* g, std::size_t gs, int n, float* U, std::size_t us) {
  using T = typename V::T;
  T gv[9];
  for (int r = 0; r < 9; ++r) gv[r] = TAIL ? V::loadn(g + r * gs, n) : V::load(g + r * gs);
  for (int i = 0; i < a; ++i) {
    T t[3];  // (G g)[i][q]
    for (int q = 0; q < 3; ++q)
      t[q] = V::fma(V::bcast(G[i * 3 + 2]), gv[6 + q], V::fma(V::bcast(G[i * 3 + 1]), gv[3 + q], V::mul(V::bcast(G[i * 3]), gv[q])));
    for (int j = 0; j < a; ++j) {
      const T u = V::fma(V::bcast(G[j * 3 + 2]), t[2], V::fma(V::bcast(G[j * 3 + 1]), t[1], V::mul(V::bcast(G[j * 3]), t[0])));
      if (TAIL)
        V::storen(U + (i * a + j) * us, u, n);
      else
        V::store(U + (i * a + j) * us, u);
    }
  }
}

template <class V>
void wfilter(int a, const float* G, const float* g, std::size_t gs, std::size_t K, float* U, std::size_t us) {
  std::size_t k = 0;
  for (; k + V::W <= K; k += V::W) wfilter_vec<V, false>(a, G, g + k, gs, V::W, U + k, us);
  if (k < K) wfilter_vec<V, true>(a, G, g + k, gs, (int)(K - k), U + k, us);
}

}  // namespace
}  // namespace convkit
