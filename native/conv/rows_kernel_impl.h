// Template bodies of the row-vectorised direct-convolution kernels (see rows_kernels.h), instantiated
// per ISA with a vector-traits type V from simd_traits.h. Internal linkage only.
#pragma once
#include <utility>

#include "conv/rows_kernels.h"
#include "conv/simd_traits.h"

namespace convkit {
namespace {

template <class V, int CO, int NV>
void rows_fwd(std::size_t n, const float* x, std::ptrdiff_t base, const std::ptrdiff_t* offs,
              const float* const* wrow, std::size_t co0, const float* bias, float* out, std::size_t ldo) {
  constexpr int W = V::W;
  typename V::T acc[CO][NV];
  for (int co = 0; co < CO; ++co) {
    typename V::T b = bias ? V::bcast(bias[co]) : V::zero();
    for (int v = 0; v < NV; ++v) acc[co][v] = b;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const float* s = x + (base + offs[i]);
    const float* wr = wrow[i] + co0;
    typename V::T x[NV];
    for (int v = 0; v < NV; ++v) x[v] = V::load(s + v * W);
    for (int co = 0; co < CO; ++co) {
      typename V::T b = V::bcast(wr[co]);
      for (int v = 0; v < NV; ++v) acc[co][v] = V::fma(b, x[v], acc[co][v]);
    }
  }
  for (int co = 0; co < CO; ++co)
    for (int v = 0; v < NV; ++v) V::store(out + co * ldo + v * W, acc[co][v]);
}

template <class V, int KB, int CO>
void rows_wgrad(std::size_t nrows, const float* const* xr, const float* const* dr, const std::size_t* xoff,
                std::size_t doff, std::size_t ldd, std::size_t nvec, float* acc, std::size_t ldk) {
  constexpr int W = V::W;
  typename V::T a[KB][CO];
  for (int k = 0; k < KB; ++k)
    for (int co = 0; co < CO; ++co) a[k][co] = V::load(acc + k * ldk + co * W);
  std::size_t xo[KB];
  for (int k = 0; k < KB; ++k) xo[k] = xoff[k];
  for (std::size_t r = 0; r < nrows; ++r) {
    const float* x = xr[r];
    const float* d = dr[r] + doff;
    for (std::size_t v = 0; v < nvec; ++v) {
      typename V::T dv[CO];
      for (int co = 0; co < CO; ++co) dv[co] = V::load(d + co * ldd + v * W);
      for (int k = 0; k < KB; ++k) {
        typename V::T xv = V::load(x + xo[k] + v * W);
        for (int co = 0; co < CO; ++co) a[k][co] = V::fma(xv, dv[co], a[k][co]);
      }
    }
  }
  for (int k = 0; k < KB; ++k)
    for (int co = 0; co < CO; ++co) V::store(acc + k * ldk + co * W, a[k][co]);
}

template <class V, int CO, int... NV>
void fill_fwd(RowsKernels& k, std::integer_sequence<int, NV...>) {
  ((k.fwd[CO - 1][NV] = &rows_fwd<V, CO, NV + 1>), ...);
}
template <class V, int... CO>
void fill_fwd_all(RowsKernels& k, std::integer_sequence<int, CO...>) {
  (fill_fwd<V, CO + 1>(k, std::make_integer_sequence<int, kRowsMaxNv>{}), ...);
}
template <class V, int KB, int... CO>
void fill_wgrad(RowsKernels& k, std::integer_sequence<int, CO...>) {
  ((k.wgrad[KB - 1][CO] = &rows_wgrad<V, KB, CO + 1>), ...);
}
template <class V, int... KB>
void fill_wgrad_all(RowsKernels& k, std::integer_sequence<int, KB...>) {
  (fill_wgrad<V, KB + 1>(k, std::make_integer_sequence<int, kRowsMaxWco>{}), ...);
}

// Portable transpose (the scalar table; the vector tables bring their own tile transposes).
void rows_transpose_plain(const float* src, std::size_t lds, std::size_t rows, std::size_t cols, float* dst,
                          std::size_t ldd) {
  for (std::size_t c = 0; c < cols; ++c)
    for (std::size_t r = 0; r < rows; ++r) dst[c * ldd + r] = src[r * lds + c];
}

template <class V>
RowsKernels make_rows_kernels(int regs, RowsTransposeFn transpose) {
  RowsKernels k{};
  k.transpose = transpose;
  k.W = V::W;
  k.regs = regs;
  fill_fwd_all<V>(k, std::make_integer_sequence<int, kRowsMaxCo>{});
  fill_wgrad_all<V>(k, std::make_integer_sequence<int, kRowsMaxKb>{});
  return k;
}

}  // namespace
}  // namespace convkit
