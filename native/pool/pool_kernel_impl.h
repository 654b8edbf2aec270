// Template bodies of the pooling row kernels (see pool_kernels.h); V from conv/simd_traits.h.
#pragma once
#include "conv/simd_traits.h"
#include "pool/pool_kernels.h"
#include "pool/pool_mask.h"

namespace convkit {
namespace {

// Channel blocks of W lanes; the last block is masked (loadn/storen), so few channels (LeNet's 6)
// never drop to a scalar loop.
template <class V, class F>
void for_channel_blocks(std::size_t C, F f) {
  constexpr int W = V::W;
  for (std::size_t c = 0; c < C; c += W) f(c, static_cast<int>(ck_min(W, C - c)));
}

template <class V>
typename V::T load_k(const float* p, int k) {
  return k == V::W ? V::load(p) : V::loadn(p, k);
}

template <class V>
void store_k(float* p, typename V::T v, int k) {
  if (k == V::W)
    V::store(p, v);
  else
    V::storen(p, v, k);
}

template <class V>
void pk_max_rows(const float* const* rows, std::size_t n, std::size_t C, float* y) {
  for_channel_blocks<V>(C, [&](std::size_t c, int k) {
    typename V::T m = load_k<V>(rows[0] + c, k);
    for (std::size_t i = 1; i < n; ++i) m = V::max(m, load_k<V>(rows[i] + c, k));
    store_k<V>(y + c, m, k);
  });
}

template <class V>
void pk_avg_rows(const float* const* rows, std::size_t n, std::size_t C, float scale, float* y) {
  const typename V::T s = V::bcast(scale);
  for_channel_blocks<V>(C, [&](std::size_t c, int k) {
    typename V::T a = V::zero();
    for (std::size_t i = 0; i < n; ++i) a = V::add(a, load_k<V>(rows[i] + c, k));
    store_k<V>(y + c, V::fma(a, s, V::zero()), k);
  });
}

template <class V>
void pk_avg_back(float* const* rows, std::size_t n, std::size_t C, float scale, const float* dy) {
  const typename V::T s = V::bcast(scale);
  for_channel_blocks<V>(C, [&](std::size_t c, int k) {
    const typename V::T g = load_k<V>(dy + c, k);
    for (std::size_t i = 0; i < n; ++i) store_k<V>(rows[i] + c, V::fma(g, s, load_k<V>(rows[i] + c, k)), k);
  });
}

template <class V>
void pk_max_back(const float* const* xrows, float* const* dxrows, std::size_t n, std::size_t C, const float* dy) {
  using Mk = PoolMask<V>;
  for_channel_blocks<V>(C, [&](std::size_t c, int k) {
    typename V::T m = load_k<V>(xrows[0] + c, k);
    for (std::size_t i = 1; i < n; ++i) m = V::max(m, load_k<V>(xrows[i] + c, k));
    const typename V::T g = load_k<V>(dy + c, k);
    typename Mk::M served = Mk::none();
    for (std::size_t i = 0; i < n; ++i) {
      const typename Mk::M take = Mk::and_not(Mk::eq(load_k<V>(xrows[i] + c, k), m), served);
      float* d = dxrows[i] + c;
      store_k<V>(d, Mk::add_masked(load_k<V>(d, k), g, take), k);
      served = Mk::either(served, take);
    }
  });
}

template <class V>
PoolKernels make_pool_kernels() {
  return PoolKernels{&pk_max_rows<V>, &pk_avg_rows<V>, &pk_avg_back<V>, &pk_max_back<V>};
}

}  // namespace
}  // namespace convkit
