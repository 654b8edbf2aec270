// Template bodies of the pooling row kernels (see pool_kernels.h); V from conv/simd_traits.h.
#pragma once
#include "conv/simd_traits.h"
#include "pool/pool_kernels.h"

namespace convkit {
namespace {

template <class V>
void pk_max_rows(const float* const* rows, std::size_t n, std::size_t C, float* y) {
  constexpr int W = V::W;
  std::size_t c = 0;
  for (; c + W <= C; c += W) {
    typename V::T m = V::load(rows[0] + c);
    for (std::size_t i = 1; i < n; ++i) m = V::max(m, V::load(rows[i] + c));
    V::store(y + c, m);
  }
  for (; c < C; ++c) {
    float m = rows[0][c];
    for (std::size_t i = 1; i < n; ++i) m = rows[i][c] > m ? rows[i][c] : m;
    y[c] = m;
  }
}

template <class V>
void pk_avg_rows(const float* const* rows, std::size_t n, std::size_t C, float scale, float* y) {
  constexpr int W = V::W;
  std::size_t c = 0;
  typename V::T s = V::bcast(scale);
  for (; c + W <= C; c += W) {
    typename V::T a = V::zero();
    for (std::size_t i = 0; i < n; ++i) a = V::add(a, V::load(rows[i] + c));
    V::store(y + c, V::fma(a, s, V::zero()));
  }
  for (; c < C; ++c) {
    float a = 0;
    for (std::size_t i = 0; i < n; ++i) a += rows[i][c];
    y[c] = a * scale;
  }
}

template <class V>
void pk_avg_back(float* const* rows, std::size_t n, std::size_t C, float scale, const float* dy) {
  constexpr int W = V::W;
  typename V::T s = V::bcast(scale);
  for (std::size_t i = 0; i < n; ++i) {
    float* r = rows[i];
    std::size_t c = 0;
    for (; c + W <= C; c += W) V::store(r + c, V::fma(V::load(dy + c), s, V::load(r + c)));
    for (; c < C; ++c) r[c] += dy[c] * scale;
  }
}

template <class V>
void pk_max_back(const float* const* xrows, float* const* dxrows, std::size_t n, std::size_t C, const float* dy) {
  // Channel by channel in blocks: the compare/select loop vectorises; the scatter is scalar.
  constexpr std::size_t B = 64;
  float best[B];
  unsigned idx[B];
  for (std::size_t c0 = 0; c0 < C; c0 += B) {
    std::size_t nb = ck_min(B, C - c0);
    for (std::size_t j = 0; j < nb; ++j) {
      best[j] = xrows[0][c0 + j];
      idx[j] = 0;
    }
    for (std::size_t i = 1; i < n; ++i) {
      const float* x = xrows[i] + c0;
      for (std::size_t j = 0; j < nb; ++j) {
        bool gt = x[j] > best[j];
        best[j] = gt ? x[j] : best[j];
        idx[j] = gt ? (unsigned)i : idx[j];
      }
    }
    for (std::size_t j = 0; j < nb; ++j) dxrows[idx[j]][c0 + j] += dy[c0 + j];
  }
}

template <class V>
PoolKernels make_pool_kernels() {
  return PoolKernels{&pk_max_rows<V>, &pk_avg_rows<V>, &pk_avg_back<V>, &pk_max_back<V>};
}

}  // namespace
}  // namespace convkit
