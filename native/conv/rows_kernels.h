// Micro-kernels of the row-vectorised direct convolution (conv_direct_rows.h), one table per ISA.
//
// The channel-vectorised direct kernels (direct_kernels.h) put output channels in the vector lanes,
// which leaves most lanes empty when a layer has few of them (LeNet's 1 -> 6, an RGB stem's 3 ->
// 64 reads 3 values per pointer it builds). These kernels put consecutive OUTPUT PIXELS OF ONE ROW
// in the lanes instead. The driver repacks the input into planar rows (one row per input channel,
// split into `stride` phases, zero padded), so every filter tap reads a contiguous vector:
//
//   forward  acc[co][v] (+)= sum_i  src[i][v*W + lane] * wrow[i][co0 + co]
//            i runs over the (tap, input channel) pairs whose input row exists; the weight is a
//            broadcast scalar, the input a plain unaligned load.
//   wgrad    acc[k][co] (+)= sum_r sum_v xr[r][xoff[k] + v*W + lane] * dr[r][co*ldd + v*W + lane]
//            over a list of (input row, output-gradient row) pairs (dr[r] + doff is the block's first
//            channel row); k runs over a block of kw taps.
//            The lanes are summed by the driver at the end (dW = sum over pixels).
#pragma once
#include <cstddef>

#include "dispatch/cpu.h"

namespace convkit {

constexpr int kRowsMaxCo = 12;  // forward: output channels per register block
constexpr int kRowsMaxNv = 4;   // forward: width vectors per register block
constexpr int kRowsMaxKb = 6;   // wgrad: kw taps per register block
constexpr int kRowsMaxWco = 8;  // wgrad: output channels per register block

// src[i] = x + (base + offs[i]) (the planar input, the output row's origin, each tap's offset from
// it: one table serves every row whose taps all fall inside the image). Writes
// out[co*ldo + v*W + lane] for co < CO, v < NV (full vectors: the caller's rows are padded).
// bias (may be null) is already offset to the block's first channel.
using RowsFwdFn = void (*)(std::size_t n, const float* x, std::ptrdiff_t base, const std::ptrdiff_t* offs,
                           const float* const* wrow, std::size_t co0, const float* bias, float* out,
                           std::size_t ldo);
// Accumulates into acc[k*ldk + co*W + lane] for k < KB, co < CO.
using RowsWgradFn = void (*)(std::size_t nrows, const float* const* xr, const float* const* dr,
                             const std::size_t* xoff, std::size_t doff, std::size_t ldd, std::size_t nvec, float* acc,
                             std::size_t ldk);

// dst[c*ldd + r] = src[r*lds + c] for r < rows, c < cols: the channel-major row block into NHWC.
// src rows must be readable up to cols rounded up to the vector width.
using RowsTransposeFn = void (*)(const float* src, std::size_t lds, std::size_t rows, std::size_t cols, float* dst,
                                 std::size_t ldd);

struct RowsKernels {
  int W;     // vector width (floats)
  int regs;  // vector registers of the ISA (the block chooser's budget)
  RowsFwdFn fwd[kRowsMaxCo][kRowsMaxNv];       // [CO-1][NV-1]
  RowsWgradFn wgrad[kRowsMaxKb][kRowsMaxWco];  // [KB-1][CO-1]
  RowsTransposeFn transpose;                  // in-register W x W tile transposes
};

const RowsKernels& rows_kernels_scalar();
const RowsKernels& rows_kernels_avx2();
const RowsKernels& rows_kernels_avx512();
// The table for the active ISA (read at call time).
const RowsKernels& rows_kernels();

}  // namespace convkit
