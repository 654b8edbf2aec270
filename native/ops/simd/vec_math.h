// Vectorised float32 exp, log, sigmoid and tanh, templated on the vector traits (vec_*.h) so the
// scalar, AVX2 and AVX-512 kernels evaluate the same formulas.
//
// exp: Cody-Waite range reduction x = n ln2 + r, |r| <= ln2/2, with ln2 split in a high part
//   exact in float and a low correction; e^r by its degree-6 Taylor polynomial (truncation error
//   r^7/7! < 2e-7 relative for |r| <= 0.347); then scaled by 2^n built in the exponent bits.
//   2^128 is not a float, so n = 128 is applied as 2^127 * 2. Results below FLT_MIN flush to 0.
// log: x = m 2^e with m in [sqrt(1/2), sqrt(2)), log(x) = e ln2 + log1p(f), f = m - 1, with the
//   degree-9 minimax polynomial of the Cephes library (S. Moshier, "Methods and Programs for
//   Mathematical Functions", 1989) for log1p(f) - f + f^2/2; denormal inputs are prescaled by 2^23.
// tanh: |x| < 0.625 by the Cephes odd polynomial (no cancellation near 0), else 1 - 2/(e^{2|x|}+1).
// sigmoid: 1 / (1 + e^{-x}) (saturates to exact 0 and 1 without overflow trouble).
// Special values follow IEEE/libm: exp(-inf)=0, exp(inf)=inf, log(0)=-inf, log(x<0)=NaN, NaN->NaN.
#pragma once
#include <cstdint>
#include <limits>

namespace convkit::simd {

template <typename V>
inline typename V::T vexp(typename V::T x) {
  using T = typename V::T;
  // Order max(lo, x), min(hi, x): with the SSE NaN rule a NaN x passes through.
  T xc = V::min(V::set1(88.72283935546875f), V::max(V::set1(-88.0f), x));
  T n = V::round(V::mul(xc, V::set1(1.44269504088896341f)));
  T r = V::fmadd(n, V::set1(-0.693359375f), xc);
  r = V::fmadd(n, V::set1(2.12194440e-4f), r);
  T p = V::set1(1.f / 720.f);
  p = V::fmadd(p, r, V::set1(1.f / 120.f));
  p = V::fmadd(p, r, V::set1(1.f / 24.f));
  p = V::fmadd(p, r, V::set1(1.f / 6.f));
  p = V::fmadd(p, r, V::set1(0.5f));
  p = V::fmadd(p, r, V::set1(1.f));
  p = V::fmadd(p, r, V::set1(1.f));
  T n1 = V::max(V::set1(-126.f), V::min(n, V::set1(127.f)));  // n is never NaN here: min(NaN,127)=127
  T y = V::mul(p, V::pow2n(n1));
  y = V::select(V::gt(n, V::set1(127.f)), V::mul(y, V::set1(2.f)), y);
  y = V::select(V::lt(x, V::set1(-87.33654022216797f)), V::zero(), y);  // below FLT_MIN: flush to 0
  return y;
}

template <typename V>
inline typename V::T vlog(typename V::T x) {
  using T = typename V::T;
  const T fmin = V::set1(std::numeric_limits<float>::min());
  auto den = V::lt(x, fmin);  // denormals (and <= 0, fixed below): scale into the normal range
  T xs = V::select(den, V::mul(x, V::set1(8388608.f)), x);
  T e;
  T m = V::mant_exp(xs, &e);
  e = V::select(den, V::sub(e, V::set1(23.f)), e);
  auto big = V::gt(m, V::set1(1.41421356237309505f));
  m = V::select(big, V::mul(m, V::set1(0.5f)), m);
  e = V::select(big, V::add(e, V::set1(1.f)), e);
  T f = V::sub(m, V::set1(1.f));
  T z = V::mul(f, f);
  T p = V::set1(7.0376836292e-2f);
  p = V::fmadd(p, f, V::set1(-1.1514610310e-1f));
  p = V::fmadd(p, f, V::set1(1.1676998740e-1f));
  p = V::fmadd(p, f, V::set1(-1.2420140846e-1f));
  p = V::fmadd(p, f, V::set1(1.4249322787e-1f));
  p = V::fmadd(p, f, V::set1(-1.6668057665e-1f));
  p = V::fmadd(p, f, V::set1(2.0000714765e-1f));
  p = V::fmadd(p, f, V::set1(-2.4999993993e-1f));
  p = V::fmadd(p, f, V::set1(3.3333331174e-1f));
  T y = V::mul(V::mul(p, f), z);
  y = V::fmadd(e, V::set1(-2.12194440e-4f), y);
  y = V::fmadd(z, V::set1(-0.5f), y);
  T r = V::add(f, y);
  r = V::fmadd(e, V::set1(0.693359375f), r);
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  r = V::select(V::eq(x, V::zero()), V::set1(-inf), r);
  r = V::select(V::lt(x, V::zero()), V::set1(nan), r);
  r = V::select(V::eq(x, V::set1(inf)), V::set1(inf), r);
  r = V::select(V::isnan(x), x, r);
  return r;
}

// e^x - 1 without the cancellation of exp(x) - 1 near 0: for |x| < 0.35 its Taylor series to
// degree 7 (truncation |x|^8/8! < 6e-8 |x| relative), else exp(x) - 1 (no cancellation there).
template <typename V>
inline typename V::T vexpm1(typename V::T x) {
  using T = typename V::T;
  T p = V::set1(1.f / 5040.f);
  p = V::fmadd(p, x, V::set1(1.f / 720.f));
  p = V::fmadd(p, x, V::set1(1.f / 120.f));
  p = V::fmadd(p, x, V::set1(1.f / 24.f));
  p = V::fmadd(p, x, V::set1(1.f / 6.f));
  p = V::fmadd(p, x, V::set1(0.5f));
  T small = V::fmadd(V::mul(p, x), x, x);
  T big = V::sub(vexp<V>(x), V::set1(1.f));
  return V::select(V::lt(V::abs(x), V::set1(0.35f)), small, big);
}

template <typename V>
inline typename V::T vsigmoid(typename V::T x) {
  using T = typename V::T;
  T one = V::set1(1.f);
  return V::div(one, V::add(one, vexp<V>(V::sub(V::zero(), x))));
}

template <typename V>
inline typename V::T vtanh(typename V::T x) {
  using T = typename V::T;
  T ax = V::abs(x);
  // Small |x|: odd polynomial x + x^3 P(x^2).
  T z = V::mul(x, x);
  T p = V::set1(-5.70498872745e-3f);
  p = V::fmadd(p, z, V::set1(2.06390887954e-2f));
  p = V::fmadd(p, z, V::set1(-5.37397155531e-2f));
  p = V::fmadd(p, z, V::set1(1.33314422036e-1f));
  p = V::fmadd(p, z, V::set1(-3.33332819422e-1f));
  T small = V::fmadd(V::mul(p, z), x, x);
  // Large |x|: 1 - 2/(e^{2|x|} + 1), sign restored. e^{2|x|} = inf gives exactly 1.
  T e2 = vexp<V>(V::add(ax, ax));
  T t = V::sub(V::set1(1.f), V::div(V::set1(2.f), V::add(e2, V::set1(1.f))));
  T large = V::select(V::lt(x, V::zero()), V::sub(V::zero(), t), t);
  return V::select(V::lt(ax, V::set1(0.625f)), small, large);
}

}  // namespace convkit::simd
