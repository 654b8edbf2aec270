// Template bodies of the pooling row kernels (see pool_kernels.h); V from conv/simd_traits.h.
#pragma once
#include "conv/simd_traits.h"
#include "pool/pool_kernels.h"
#include "pool/pool_mask.h"
#include "pool/pool_pair.h"
#include "pool/pool_2x2_impl.h"

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

// Width taps [lo, hi) of output pixel ow that fall inside the input (padding taps dropped).
inline void width_taps(const PoolRowGeom& g, std::size_t ow, long* iw0, std::size_t* lo, std::size_t* hi) {
  *iw0 = (long)(ow * g.stride_w) - (long)g.pad_w;
  *lo = *iw0 < 0 ? (std::size_t)(-*iw0) : 0;
  const long h = (long)g.in_w - *iw0;
  *hi = h < (long)g.window_w ? (h < 0 ? 0 : (std::size_t)h) : g.window_w;
}

// Max over the window in window order (rows, then width taps): the same fold as pk_max_rows, so
// ties between +0/-0 and NaNs resolve exactly as before (V::max is order sensitive for both).
template <class V>
void pk_max_fwd_row(const float* const* rows, std::size_t nr, const PoolRowGeom& g, float* y) {
  using P = PoolPair<V>;
  const std::size_t C = g.C;
  for (std::size_t ow = g.ow_begin; ow < g.ow_end; ++ow, y += C) {
    long iw0;
    std::size_t lo, hi;
    width_taps(g, ow, &iw0, &lo, &hi);
    long iw1;
    std::size_t lo1, hi1;
    if (P::H > 0 && C <= (std::size_t)P::H && nr > 0 && lo < hi && ow + 1 < g.ow_end &&
        (width_taps(g, ow + 1, &iw1, &lo1, &hi1), lo1 == lo && hi1 == hi)) {
      // Pixels ow and ow+1 share their tap pattern: one vector, same fold order per half.
      const int k = static_cast<int>(C);
      const std::size_t a = (std::size_t)(iw0 + (long)lo) * C, b = (std::size_t)(iw1 + (long)lo) * C;
      const std::size_t taps = hi - lo;
      typename V::T m = P::load2(rows[0] + a, rows[0] + b, k);
      for (std::size_t t = 1; t < taps; ++t) m = V::max(m, P::load2(rows[0] + a + t * C, rows[0] + b + t * C, k));
      for (std::size_t r = 1; r < nr; ++r)
        for (std::size_t t = 0; t < taps; ++t) m = V::max(m, P::load2(rows[r] + a + t * C, rows[r] + b + t * C, k));
      P::store2(y, y + C, m, k);
      ++ow;
      y += C;
      continue;
    }
    if (nr == 0 || lo >= hi) {
      for (std::size_t c = 0; c < C; ++c) y[c] = 0.f;
      continue;
    }
    const std::size_t off = (std::size_t)(iw0 + (long)lo) * C, taps = hi - lo;
    for_channel_blocks<V>(C, [&](std::size_t c, int k) {
      typename V::T m = load_k<V>(rows[0] + off + c, k);
      for (std::size_t t = 1; t < taps; ++t) m = V::max(m, load_k<V>(rows[0] + off + t * C + c, k));
      for (std::size_t r = 1; r < nr; ++r)
        for (std::size_t t = 0; t < taps; ++t) m = V::max(m, load_k<V>(rows[r] + off + t * C + c, k));
      store_k<V>(y + c, m, k);
    });
  }
}

// Gradient to the first maximal tap in window order, as pk_max_back.
template <class V>
void pk_max_back_row(const float* const* xrows, float* const* dxrows, std::size_t nr, const PoolRowGeom& g,
                     const float* dy) {
  using Mk = PoolMask<V>;
  const std::size_t C = g.C;
  using P = PoolPair<V>;
  if (nr == 0) return;
  for (std::size_t ow = g.ow_begin; ow < g.ow_end; ++ow, dy += C) {
    long iw0;
    std::size_t lo, hi;
    width_taps(g, ow, &iw0, &lo, &hi);
    if (lo >= hi) continue;  // (overwrite: the caller zeroed dx where windows do not reach)
    long iw1;
    std::size_t lo1, hi1;
    if (P::H > 0 && C <= (std::size_t)P::H && ow + 1 < g.ow_end &&
        (width_taps(g, ow + 1, &iw1, &lo1, &hi1), lo1 == lo && hi1 == hi)) {
      // Pixels ow and ow+1 in one vector (see pool_pair.h). Only when their width taps are
      // disjoint: with overlapping windows both halves would read a shared dx element before
      // either adds to it, losing one gradient, so those take the one-pixel path below.
      const std::size_t a = (std::size_t)(iw0 + (long)lo), b = (std::size_t)(iw1 + (long)lo);
      if (b >= a + (hi - lo)) {
        const int k = static_cast<int>(C);
        const std::size_t taps = hi - lo;
        const float* x0 = xrows[0];
        typename V::T m = P::load2(x0 + a * C, x0 + b * C, k);
        for (std::size_t t = 1; t < taps; ++t) m = V::max(m, P::load2(x0 + (a + t) * C, x0 + (b + t) * C, k));
        for (std::size_t r = 1; r < nr; ++r)
          for (std::size_t t = 0; t < taps; ++t)
            m = V::max(m, P::load2(xrows[r] + (a + t) * C, xrows[r] + (b + t) * C, k));
        const typename V::T gr = P::load2(dy, dy + C, k);
        const typename V::T fm = Mk::relu_factor(m);
        typename Mk::M served = Mk::none();
        for (std::size_t r = 0; r < nr; ++r)
          for (std::size_t t = 0; t < taps; ++t) {
            const std::size_t oa = (a + t) * C, ob = (b + t) * C;
            const typename Mk::M take = Mk::and_not(Mk::eq(P::load2(xrows[r] + oa, xrows[r] + ob, k), m), served);
            typename V::T v;
            if (g.overwrite) {
              v = Mk::add_masked(V::zero(), gr, take);
              if (g.relu) v = V::mul(v, fm);
            } else {
              v = Mk::add_masked(P::load2(dxrows[r] + oa, dxrows[r] + ob, k), gr, take);
            }
            P::store2(dxrows[r] + oa, dxrows[r] + ob, v, k);
            served = Mk::either(served, take);
          }
        ++ow;
        dy += C;
        continue;
      }
    }
    const std::size_t off = (std::size_t)(iw0 + (long)lo) * C, taps = hi - lo;
    for_channel_blocks<V>(C, [&](std::size_t c, int k) {
      typename V::T m = load_k<V>(xrows[0] + off + c, k);
      for (std::size_t t = 1; t < taps; ++t) m = V::max(m, load_k<V>(xrows[0] + off + t * C + c, k));
      for (std::size_t r = 1; r < nr; ++r)
        for (std::size_t t = 0; t < taps; ++t) m = V::max(m, load_k<V>(xrows[r] + off + t * C + c, k));
      const typename V::T gr = load_k<V>(dy + c, k);
      const typename V::T fm = Mk::relu_factor(m);
      typename Mk::M served = Mk::none();
      for (std::size_t r = 0; r < nr; ++r)
        for (std::size_t t = 0; t < taps; ++t) {
          const std::size_t o = off + t * C + c;
          const typename Mk::M take = Mk::and_not(Mk::eq(load_k<V>(xrows[r] + o, k), m), served);
          typename V::T v;
          if (g.overwrite) {
            v = Mk::add_masked(V::zero(), gr, take);
            if (g.relu) v = V::mul(v, fm);
          } else {
            v = Mk::add_masked(load_k<V>(dxrows[r] + o, k), gr, take);
          }
          store_k<V>(dxrows[r] + o, v, k);
          served = Mk::either(served, take);
        }
    });
  }
}

template <class V>
PoolKernels make_pool_kernels() {
  return PoolKernels{&pk_max_rows<V>,   &pk_avg_rows<V>,     &pk_avg_back<V>, &pk_max_back<V>,
                     &pk_max_fwd_row<V>, &pk_max_back_row<V>, &p22_fwd<V>,     &p22_back<V>};
}

}  // namespace
}  // namespace convkit
