// One-lane "vector" traits: the baseline kernels run the very same templated code as the SIMD ones
// (same polynomials, same special-case handling), so every ISA computes the same function.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

namespace convkit::simd {

struct VecScalar {
  using T = float;
  static constexpr int W = 1;
  static T load(const float* p) { return *p; }
  static void store(float* p, T v) { *p = v; }
  static T set1(float x) { return x; }
  static T zero() { return 0.f; }
  static T add(T a, T b) { return a + b; }
  static T sub(T a, T b) { return a - b; }
  static T mul(T a, T b) { return a * b; }
  static T div(T a, T b) { return a / b; }
  static T fmadd(T a, T b, T c) { return a * b + c; }  // not fused: baseline x86-64 has no FMA
  // max/min with the SSE rule: if either operand is NaN the SECOND one is returned. The math
  // templates rely on it (max(lo, x) keeps a NaN x).
  static T max(T a, T b) { return a > b ? a : b; }
  static T min(T a, T b) { return a < b ? a : b; }
  static T sqrt(T a) { return std::sqrt(a); }
  static T abs(T a) { return std::fabs(a); }
  static T round(T a) { return std::nearbyint(a); }
  // 2^n for integer-valued n in [-126, 127].
  static T pow2n(T n) {
    std::uint32_t bits = static_cast<std::uint32_t>(static_cast<std::int32_t>(n) + 127) << 23;
    float r;
    std::memcpy(&r, &bits, 4);
    return r;
  }
  // x = m * 2^e with m in [1, 2), for positive normal x; returns m, sets e (as float).
  static T mant_exp(T x, T* e) {
    std::uint32_t bits;
    std::memcpy(&bits, &x, 4);
    *e = static_cast<float>(static_cast<std::int32_t>((bits >> 23) & 0xff) - 127);
    bits = (bits & 0x007fffffu) | 0x3f800000u;
    float m;
    std::memcpy(&m, &bits, 4);
    return m;
  }
  using M = bool;
  static M lt(T a, T b) { return a < b; }
  static M gt(T a, T b) { return a > b; }
  static M eq(T a, T b) { return a == b; }
  static M isnan(T a) { return a != a; }
  static T select(M m, T a, T b) { return m ? a : b; }  // m ? a : b
  static float hsum(T a) { return a; }
  static float hmax(T a) { return a; }
};

}  // namespace convkit::simd
