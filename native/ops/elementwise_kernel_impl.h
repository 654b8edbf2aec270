// The elementwise kernels, written once over vector traits V (simd/vec_*.h) and instantiated per
// ISA by elementwise_kernel_{scalar,avx2,avx512}.cc. Tails shorter than a vector go through a
// small padded buffer so they are computed by the very same vector code as the body.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstring>
#include <limits>

#include "ops/elementwise_kernels.h"
#include "ops/simd/vec_math.h"

namespace convkit::ew_impl {

// Applies body(in-vectors...) -> out-vector over n elements; `Load` knows each operand's step.
template <typename V, typename F>
inline void map2(const float* a, std::size_t as, const float* b, std::size_t bs, float* out, std::size_t n, F f) {
  using T = typename V::T;
  constexpr std::size_t W = V::W;
  std::size_t i = 0;
  T va = as ? V::zero() : V::set1(*a);
  T vb = bs ? V::zero() : V::set1(*b);
  for (; i + W <= n; i += W) {
    T x = as ? V::load(a + i) : va;
    T y = bs ? V::load(b + i) : vb;
    V::store(out + i, f(x, y));
  }
  if (i < n) {
    alignas(64) float ta[W], tb[W], to[W];
    for (std::size_t k = 0; k < W; ++k) {
      ta[k] = i + k < n ? a[as * (i + k)] : 1.f;
      tb[k] = i + k < n ? b[bs * (i + k)] : 1.f;
    }
    V::store(to, f(V::load(ta), V::load(tb)));
    std::memcpy(out + i, to, (n - i) * sizeof(float));
  }
}

template <typename V, typename F>
inline void map1(const float* x, float* y, std::size_t n, F f) {
  constexpr std::size_t W = V::W;
  std::size_t i = 0;
  for (; i + W <= n; i += W) V::store(y + i, f(V::load(x + i)));
  if (i < n) {
    alignas(64) float t[W];
    for (std::size_t k = 0; k < W; ++k) t[k] = i + k < n ? x[i + k] : 0.f;
    V::store(t, f(V::load(t)));
    std::memcpy(y + i, t, (n - i) * sizeof(float));
  }
}

template <typename V>
inline typename V::T nan_max(typename V::T a, typename V::T b) {
  // max that propagates a NaN from either side (V::max(a, b) returns b when either is NaN).
  return V::select(V::isnan(a), a, V::max(a, b));
}
template <typename V>
inline typename V::T nan_min(typename V::T a, typename V::T b) {
  return V::select(V::isnan(a), a, V::min(a, b));
}

template <typename V>
void binary(BinaryOp op, const float* a, std::size_t as, const float* b, std::size_t bs, float* out, std::size_t n) {
  using T = typename V::T;
  switch (op) {
    case BinaryOp::add: return map2<V>(a, as, b, bs, out, n, [](T x, T y) { return V::add(x, y); });
    case BinaryOp::sub: return map2<V>(a, as, b, bs, out, n, [](T x, T y) { return V::sub(x, y); });
    case BinaryOp::mul: return map2<V>(a, as, b, bs, out, n, [](T x, T y) { return V::mul(x, y); });
    case BinaryOp::div: return map2<V>(a, as, b, bs, out, n, [](T x, T y) { return V::div(x, y); });
    case BinaryOp::maximum:
      return map2<V>(a, as, b, bs, out, n, [](T x, T y) { return V::select(V::isnan(x), x, V::max(x, y)); });
    case BinaryOp::minimum:
      return map2<V>(a, as, b, bs, out, n, [](T x, T y) { return V::select(V::isnan(x), x, V::min(x, y)); });
    case BinaryOp::squared_difference:
      return map2<V>(a, as, b, bs, out, n, [](T x, T y) {
        T d = V::sub(x, y);
        return V::mul(d, d);
      });
    case BinaryOp::greater: {
      const T one = V::set1(1.f), zero = V::zero();
      return map2<V>(a, as, b, bs, out, n, [&](T x, T y) { return V::select(V::gt(x, y), one, zero); });
    }
    case BinaryOp::equal: {
      const T one = V::set1(1.f), zero = V::zero();
      return map2<V>(a, as, b, bs, out, n, [&](T x, T y) { return V::select(V::eq(x, y), one, zero); });
    }
  }
}

template <typename V>
void unary(UnaryOp op, const float* x, float* y, std::size_t n, float alpha, float beta) {
  using T = typename V::T;
  const T zero = V::zero(), one = V::set1(1.f);
  switch (op) {
    case UnaryOp::relu: return map1<V>(x, y, n, [&](T v) { return V::max(zero, v); });  // NaN passes
    case UnaryOp::relu6: return map1<V>(x, y, n, [&](T v) { return V::min(V::set1(6.f), V::max(zero, v)); });
    case UnaryOp::leaky_relu: {
      const T a = V::set1(alpha);
      return map1<V>(x, y, n, [&](T v) { return V::select(V::lt(v, zero), V::mul(a, v), v); });
    }
    case UnaryOp::elu: {
      const T a = V::set1(alpha);
      return map1<V>(x, y, n, [&](T v) {
        return V::select(V::lt(v, zero), V::mul(a, simd::vexpm1<V>(v)), v);
      });
    }
    case UnaryOp::sigmoid: return map1<V>(x, y, n, [](T v) { return simd::vsigmoid<V>(v); });
    case UnaryOp::tanh: return map1<V>(x, y, n, [](T v) { return simd::vtanh<V>(v); });
    case UnaryOp::exp: return map1<V>(x, y, n, [](T v) { return simd::vexp<V>(v); });
    case UnaryOp::log: return map1<V>(x, y, n, [](T v) { return simd::vlog<V>(v); });
    case UnaryOp::neg: return map1<V>(x, y, n, [&](T v) { return V::sub(zero, v); });
    case UnaryOp::abs: return map1<V>(x, y, n, [](T v) { return V::abs(v); });
    case UnaryOp::sqrt: return map1<V>(x, y, n, [](T v) { return V::sqrt(v); });
    case UnaryOp::square: return map1<V>(x, y, n, [](T v) { return V::mul(v, v); });
    case UnaryOp::softplus:
      // log(1 + e^x) = max(x, 0) + log(1 + e^{-|x|}): no overflow for large x.
      return map1<V>(x, y, n, [&](T v) {
        T t = simd::vlog<V>(V::add(one, simd::vexp<V>(V::sub(zero, V::abs(v)))));
        return V::add(V::max(zero, v), t);
      });
    case UnaryOp::swish: return map1<V>(x, y, n, [](T v) { return V::mul(v, simd::vsigmoid<V>(v)); });
    case UnaryOp::reciprocal: return map1<V>(x, y, n, [&](T v) { return V::div(one, v); });
    // In double, rounded once: the correctly rounded 1/sqrt(x), which is what the inference plan's
    // folded BatchNormalization scale uses (native/plan/plan.cc), so eager and plan agree bit for
    // bit. Float sqrt then float divide would round twice (an ulp off at times). rsqrt is applied
    // to per-channel variances, so the scalar loop costs nothing measurable.
    case UnaryOp::rsqrt:
      for (std::size_t i = 0; i < n; ++i) y[i] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(x[i])));
      return;
    case UnaryOp::sign: {
      const T minus = V::set1(-1.f);
      return map1<V>(x, y, n, [&](T v) {
        return V::select(V::gt(v, zero), one, V::select(V::lt(v, zero), minus, V::select(V::isnan(v), v, zero)));
      });
    }
    case UnaryOp::step: return map1<V>(x, y, n, [&](T v) { return V::select(V::gt(v, zero), one, zero); });
    // V::min/max return the second operand when either is NaN, so NaN maps to the bound.
    case UnaryOp::min_scalar: {
      const T s = V::set1(alpha);
      return map1<V>(x, y, n, [&](T v) { return V::min(v, s); });
    }
    case UnaryOp::max_scalar: {
      const T s = V::set1(alpha);
      return map1<V>(x, y, n, [&](T v) { return V::max(v, s); });
    }
    case UnaryOp::clip: {
      const T lo = V::set1(alpha), hi = V::set1(beta);
      return map1<V>(x, y, n, [&](T v) { return V::select(V::lt(v, lo), lo, V::select(V::gt(v, hi), hi, v)); });
    }
    case UnaryOp::pow_scalar:
      // The exponents layers use get exact vector forms; any other goes through the double pow
      // (per element, so results equal JavaScript's Math.pow rounded to float).
      if (alpha == 1.f) return map1<V>(x, y, n, [](T v) { return v; });
      if (alpha == 2.f) return map1<V>(x, y, n, [](T v) { return V::mul(v, v); });
      if (alpha == 3.f) return map1<V>(x, y, n, [](T v) { return V::mul(V::mul(v, v), v); });
      if (alpha == -1.f) return map1<V>(x, y, n, [&](T v) { return V::div(one, v); });
      for (std::size_t i = 0; i < n; ++i) y[i] = static_cast<float>(std::pow(static_cast<double>(x[i]), static_cast<double>(alpha)));
      return;
  }
}

// Activation derivatives, dx = dy * f'(in). The factor is built as 0/1 (or alpha, ...) by compare
// and select and then multiplied, so relu's result is the same IEEE product dy * 1 or dy * 0 as a
// scalar loop (NaN and inf in dy propagate alike); a branch per element mispredicted on every
// other sign (ReLU backward over LeNet-5's first conv output: 1.14 ms scalar, 0.12 ms vectorised).
template <typename V>
void act_grad(grad::ActGrad kind, const float* in, const float* dy, float* dx, std::size_t n, float alpha,
              float beta) {
  using T = typename V::T;
  using grad::ActGrad;
  const T zero = V::zero(), one = V::set1(1.f);
  auto run = [&](auto f) { map2<V>(in, 1, dy, 1, dx, n, [&](T x, T g) { return V::mul(g, f(x)); }); };
  switch (kind) {
    case ActGrad::relu: return run([&](T x) { return V::select(V::gt(x, zero), one, zero); });
    case ActGrad::relu6: {
      const T six = V::set1(6.f);
      return run([&](T x) { return V::select(V::gt(x, zero), V::select(V::lt(x, six), one, zero), zero); });
    }
    case ActGrad::leaky_relu: {
      const T a = V::set1(alpha);
      return run([&](T x) { return V::select(V::gt(x, zero), one, a); });
    }
    case ActGrad::elu: {
      const T a = V::set1(alpha);
      return run([&](T x) { return V::select(V::gt(x, zero), one, V::mul(a, simd::vexp<V>(x))); });
    }
    case ActGrad::sigmoid: return run([&](T y) { return V::mul(y, V::sub(one, y)); });
    case ActGrad::tanh: return run([&](T y) { return V::sub(one, V::mul(y, y)); });
    case ActGrad::softplus: return run([](T x) { return simd::vsigmoid<V>(x); });
    case ActGrad::swish:
      return run([&](T x) {
        const T sg = simd::vsigmoid<V>(x);
        return V::add(sg, V::mul(V::mul(x, sg), V::sub(one, sg)));
      });
    case ActGrad::clip: {
      // 1 on [alpha, beta] including the bounds, 0 outside and for NaN.
      const T lo = V::set1(alpha), hi = V::set1(beta);
      return run([&](T x) {
        return V::select(V::lt(x, lo), zero, V::select(V::gt(x, hi), zero, V::select(V::isnan(x), zero, one)));
      });
    }
  }
}

template <typename V>
float reduce_row(int op, const float* x, std::size_t n) {
  using T = typename V::T;
  constexpr std::size_t W = V::W;
  const float init = op == 0 ? 0.f : (op == 1 ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity());
  // Four independent accumulators: latency hiding, and pairwise-ish summation for accuracy.
  T acc[4] = {V::set1(init), V::set1(init), V::set1(init), V::set1(init)};
  std::size_t i = 0;
  auto step = [&](T& a, T v) {
    if (op == 0) a = V::add(a, v);
    else if (op == 1) a = nan_max<V>(v, a);
    else a = nan_min<V>(v, a);
  };
  for (; i + 4 * W <= n; i += 4 * W)
    for (int k = 0; k < 4; ++k) step(acc[k], V::load(x + i + k * W));
  for (; i + W <= n; i += W) step(acc[0], V::load(x + i));
  alignas(64) float lanes[4 * W];
  for (int k = 0; k < 4; ++k) V::store(lanes + k * W, acc[k]);
  float r = init;
  auto sstep = [&](float v) {
    if (op == 0) r += v;
    else if (v != v || r != r) r = std::numeric_limits<float>::quiet_NaN();
    else if (op == 1) r = v > r ? v : r;
    else r = v < r ? v : r;
  };
  for (std::size_t k = 0; k < 4 * W; ++k) sstep(lanes[k]);
  for (; i < n; ++i) sstep(x[i]);
  return r;
}

// Softmax of one row: m = max(x); e = exp(x - m); s = sum(e); y = e / s, or log: y = x - m - log(s).
// Subtracting the max makes every exponent <= 0, so nothing overflows.
template <typename V>
void softmax_rows(const float* x, float* y, std::size_t rows, std::size_t n, bool log) {
  using T = typename V::T;
  for (std::size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * n;
    float* yr = y + r * n;
    if (n == 0) continue;
    float m = reduce_row<V>(1, xr, n);
    if (std::isinf(m) && m < 0) m = 0.f;  // all -inf: exp gives 0s, sum 0 -> NaN, as in TF
    const T vm = V::set1(m);
    if (log) {
      // sum of exp(x - m) without storing it, then y = x - m - log(sum).
      double s = 0;
      alignas(64) float buf[256];
      for (std::size_t i = 0; i < n; i += 256) {
        std::size_t len = n - i < 256 ? n - i : 256;
        map1<V>(xr + i, buf, len, [&](T v) { return simd::vexp<V>(V::sub(v, vm)); });
        s += reduce_row<V>(0, buf, len);
      }
      const T shift = V::set1(m + static_cast<float>(std::log(s)));
      map1<V>(xr, yr, n, [&](T v) { return V::sub(v, shift); });
    } else {
      map1<V>(xr, yr, n, [&](T v) { return simd::vexp<V>(V::sub(v, vm)); });
      double s = 0;
      for (std::size_t i = 0; i < n; i += 4096) s += reduce_row<V>(0, yr + i, n - i < 4096 ? n - i : 4096);
      const T inv = V::set1(static_cast<float>(1.0 / s));
      map1<V>(yr, yr, n, [&](T v) { return V::mul(v, inv); });
    }
  }
}

template <typename V>
constexpr ElementwiseKernels make_kernels() {
  return ElementwiseKernels{&binary<V>, &unary<V>, &softmax_rows<V>, &act_grad<V>, &reduce_row<V>};
}

}  // namespace convkit::ew_impl
