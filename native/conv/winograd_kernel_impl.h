// Template bodies of the Winograd transforms (see winograd.h). Each product with a constant matrix
// is a sequence of axpy's over the channel vector (channels are contiguous in NHWC), which the
// compiler vectorises with the ISA flags of the including file; zero coefficients are skipped.
#pragma once
#include <cstddef>

#include "conv/winograd.h"

namespace convkit {
namespace {

inline void wk_input(int a, const float* BT, const float* d, std::size_t C, float* tmp, float* V,
                     std::size_t vstride) {
  // tmp = B^T d   (rows of d combined)
  for (int i = 0; i < a; ++i)
    for (int j = 0; j < a; ++j) {
      float* __restrict t = tmp + (i * a + j) * C;
      for (std::size_t c = 0; c < C; ++c) t[c] = 0.f;
      for (int k = 0; k < a; ++k) {
        float b = BT[i * a + k];
        if (b == 0.f) continue;
        const float* __restrict s = d + (k * a + j) * C;
        for (std::size_t c = 0; c < C; ++c) t[c] += b * s[c];
      }
    }
  // V = tmp B   (columns combined)
  for (int i = 0; i < a; ++i)
    for (int j = 0; j < a; ++j) {
      float* __restrict v = V + (i * a + j) * vstride;
      for (std::size_t c = 0; c < C; ++c) v[c] = 0.f;
      for (int l = 0; l < a; ++l) {
        float b = BT[j * a + l];
        if (b == 0.f) continue;
        const float* __restrict s = tmp + (i * a + l) * C;
        for (std::size_t c = 0; c < C; ++c) v[c] += b * s[c];
      }
    }
}

inline void wk_output(int a, int m, const float* AT, const float* M, std::size_t mstride, std::size_t K, float* tmp,
                      float* Y) {
  // tmp[i][v] = sum_u AT[i][u] M[u][v]
  for (int i = 0; i < m; ++i)
    for (int v = 0; v < a; ++v) {
      float* __restrict t = tmp + (i * a + v) * K;
      for (std::size_t k = 0; k < K; ++k) t[k] = 0.f;
      for (int u = 0; u < a; ++u) {
        float c = AT[i * a + u];
        if (c == 0.f) continue;
        const float* __restrict s = M + (u * a + v) * mstride;
        for (std::size_t k = 0; k < K; ++k) t[k] += c * s[k];
      }
    }
  // Y[i][j] = sum_v tmp[i][v] AT[j][v]
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j) {
      float* __restrict y = Y + (i * m + j) * K;
      for (std::size_t k = 0; k < K; ++k) y[k] = 0.f;
      for (int v = 0; v < a; ++v) {
        float c = AT[j * a + v];
        if (c == 0.f) continue;
        const float* __restrict s = tmp + (i * a + v) * K;
        for (std::size_t k = 0; k < K; ++k) y[k] += c * s[k];
      }
    }
}

}  // namespace
}  // namespace convkit
