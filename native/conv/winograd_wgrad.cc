#include "conv/winograd_wgrad.h"

#include <algorithm>
#include <cstring>

#include "conv/conv_common.h"
#include "conv/winograd.h"
#include "conv/winograd_wgrad_kernels.h"
#include "gemm/gemm.h"
#include "runtime/aligned.h"
#include "runtime/thread_pool.h"

namespace convkit {
namespace {

// G^T, 3x4 (F(2, 3)'s G transposed): the output transform.
const float kGT[12] = {1, 0.5f, 0.5f, 0, 0, 0.5f, -0.5f, 0, 0, 0.5f, 0.5f, 1};

// Tiles per GEMM batch: V and U of one batch (16 x 256 x 64 floats each, 1 MiB) stay in L2 next
// to each other, and a 64 x 64 x 256 product already runs at the GEMM's full rate.
constexpr std::size_t kTileBatch = 256;

}  // namespace

void conv_winograd_wgrad(const ConvDesc& d, const float* x, const float* dy, float* dw, float* db,
                         const CancelToken& cancel) {
  const std::string why = winograd_unsupported_reason(d);
  if (!why.empty()) throw Unsupported("Winograd weight gradient: " + why);
  const WinogradWgradKernels& WK = winograd_wgrad_kernels();
  const std::size_t C = d.C, K = d.K, H = d.in[1], W = d.in[2], OH = d.out[1], OW = d.out[2];
  const std::size_t pt = d.pad_before[1], pl = d.pad_before[2];
  const std::size_t TH = (OH + 1) / 2, TW = (OW + 1) / 2, ntiles = d.N * TH * TW;
  const std::size_t CK = C * K;
  const std::size_t nw = static_cast<std::size_t>(std::max(1, num_threads()));
  // Batches: a multiple of the worker count, none larger than kTileBatch.
  std::size_t nb = (ntiles + kTileBatch - 1) / kTileBatch;
  nb = std::max<std::size_t>(1, (nb + nw - 1) / nw * nw);
  const std::size_t tb = (ntiles + nb - 1) / nb;
  nb = (ntiles + tb - 1) / tb;

  // Per worker: V [16][tb][C], U [16][tb][K], partial M [16][C][K], one gathered 4x4 tile of X
  // and 2x2 tile of dY (edge tiles).
  const std::size_t slice = 16 * tb * C + 16 * tb * K + 16 * CK + 16 * C + 4 * K;
  AlignedPtr<float> ws = aligned_array<float>(slice * nw);
  parallel_for(nw, [&](std::size_t wk) {
    float* V = ws.get() + wk * slice;
    float* U = V + 16 * tb * C;
    float* Mp = U + 16 * tb * K;
    float* xt = Mp + 16 * CK;
    float* et = xt + 16 * C;
    std::fill(Mp, Mp + 16 * CK, 0.f);
    for (std::size_t b = wk; b < nb; b += nw) {
      cancel.check();
      const std::size_t t0 = b * tb, nt = std::min(tb, ntiles - t0);
      for (std::size_t i = 0; i < nt; ++i) {
        const std::size_t t = t0 + i, tw = t % TW, th = (t / TW) % TH, n = t / (TW * TH);
        // X tile: rows 2*th - pt + k, columns 2*tw - pl + l. Inside the input: read in place;
        // touching the padding: gathered with zeros first.
        const long r0 = (long)(2 * th) - (long)pt, c0 = (long)(2 * tw) - (long)pl;
        if (r0 >= 0 && r0 + 4 <= (long)H && c0 >= 0 && c0 + 4 <= (long)W) {
          WK.input(x + ((n * H + (std::size_t)r0) * W + (std::size_t)c0) * C, (std::ptrdiff_t)(W * C),
                   (std::ptrdiff_t)C, C, V + i * C, tb * C);
        } else {
          for (long k = 0; k < 4; ++k)
            for (long l = 0; l < 4; ++l) {
              const long r = r0 + k, c = c0 + l;
              float* dst = xt + (k * 4 + l) * C;
              if (r < 0 || r >= (long)H || c < 0 || c >= (long)W)
                std::fill(dst, dst + C, 0.f);
              else
                std::memcpy(dst, x + ((n * H + (std::size_t)r) * W + (std::size_t)c) * C, C * sizeof(float));
            }
          WK.input(xt, (std::ptrdiff_t)(4 * C), (std::ptrdiff_t)C, C, V + i * C, tb * C);
        }
        // dY tile: rows 2*th + u, columns 2*tw + v (zero past the output's last row/column).
        const std::size_t oh0 = 2 * th, ow0 = 2 * tw;
        if (oh0 + 2 <= OH && ow0 + 2 <= OW) {
          WK.grad(dy + ((n * OH + oh0) * OW + ow0) * K, (std::ptrdiff_t)(OW * K), (std::ptrdiff_t)K, K, U + i * K, tb * K);
        } else {
          for (std::size_t u = 0; u < 2; ++u)
            for (std::size_t v = 0; v < 2; ++v) {
              float* dst = et + (u * 2 + v) * K;
              if (oh0 + u >= OH || ow0 + v >= OW)
                std::fill(dst, dst + K, 0.f);
              else
                std::memcpy(dst, dy + ((n * OH + oh0 + u) * OW + ow0 + v) * K, K * sizeof(float));
            }
          WK.grad(et, (std::ptrdiff_t)(2 * K), (std::ptrdiff_t)K, K, U + i * K, tb * K);
        }
      }
      // M[xi] += V[xi]^T U[xi]   (C x K, summed over this batch's tiles)
      for (std::size_t xi = 0; xi < 16; ++xi)
        sgemm(true, false, C, K, nt, 1.f, V + xi * tb * C, C, U + xi * tb * K, K, 1.f, Mp + xi * CK, K);
    }
  });
  // Sum the workers' partial M in a fixed order (the result does not depend on scheduling), then
  // dW = G^T M G for every (c, o) at once: the output kernel's channel vector is all C*K pairs.
  AlignedPtr<float> M = aligned_array<float>(16 * CK);
  parallel_range(16 * CK, 4096, [&](std::size_t b0, std::size_t e0) {
    for (std::size_t i = b0; i < e0; ++i) {
      float s = 0.f;
      for (std::size_t wk = 0; wk < nw; ++wk) s += ws.get()[wk * slice + 16 * tb * C + 16 * tb * K + i];
      M.get()[i] = s;
    }
  });
  AlignedPtr<float> otmp = aligned_array<float>(12 * CK);
  winograd_kernels().output(4, 3, kGT, M.get(), CK, CK, otmp.get(), dw);
  if (db) bias_gradient(dy, d.N * OH * OW, K, db);
}

}  // namespace convkit
