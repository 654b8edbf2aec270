// Portable SGEMM micro-kernel: MR x NR = 4 x 16, plain C++ (baseline x86-64 lets the compiler use
// SSE2 for the 16-wide rows; on other targets it is ordinary scalar code). It is the reference
// the SIMD kernels are tested against on machines without them, and the fallback on any CPU.
// Same contract as the SIMD kernels (microkernel.h), including edges and the fused epilogue.
#include <algorithm>
#include <cmath>

#include "gemm/microkernel.h"

namespace convkit::gemm {
namespace {

constexpr int MR = 4, NR = 16;

inline float activate(float x, Activation act, float leaky) {
  switch (act) {
    case Activation::none: return x;
    case Activation::relu: return x > 0.f ? x : 0.f;
    case Activation::relu6: return std::min(std::max(x, 0.f), 6.f);
    case Activation::leaky_relu: return x < 0.f ? x * leaky : x;
    case Activation::sigmoid: return 1.f / (1.f + std::exp(-x));
    case Activation::tanh: return std::tanh(x);
  }
  return x;
}

}  // namespace

void micro_scalar(const MicroTile& t) {
  float acc[MR][NR] = {};
  const int m = t.m, n = t.n;
  const float* a = t.a;
  const float* b = t.b;
  for (std::size_t k = 0; k < t.k; ++k, a += t.a_cs, b += t.ldb) {
    float bv[NR];
    if (n == NR) {
      for (int j = 0; j < NR; ++j) bv[j] = b[j];
    } else {
      for (int j = 0; j < NR; ++j) bv[j] = j < n ? b[j] : 0.f;
    }
    for (int i = 0; i < m; ++i) {
      const float av = a[i * t.a_rs];
      for (int j = 0; j < NR; ++j) acc[i][j] += av * bv[j];
    }
  }
  for (int i = 0; i < m; ++i) {
    float* c = t.c + i * t.ldc;
    for (int j = 0; j < n; ++j) {
      float x = t.alpha * acc[i][j];
      if (t.beta != 0.f) x += t.beta * c[j];
      if (t.bias) x += t.bias[j];
      c[j] = activate(x, t.act, t.leaky_alpha);
    }
  }
}

}  // namespace convkit::gemm
