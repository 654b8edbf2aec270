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
  // Dilation dh x dw: output pixels of one phase (oh % dh, ow % dw) correlate with input pixels of
  // the same phase only (oh reads rows oh - pt + dh*kh), so the 2x2 dY tiles are cut from each
  // phase's decimated grid and the tiles read every dh-th row and dw-th column (one phase when
  // undilated).
  const std::size_t dh = d.dilation[1], dwl = d.dilation[2];
  const std::size_t TH = ((OH + dh - 1) / dh + 1) / 2, TW = ((OW + dwl - 1) / dwl + 1) / 2;
  const std::size_t tpp = TH * TW, ntiles = d.N * dh * dwl * tpp;
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
        const std::size_t t = t0 + i, tw = t % TW, th = (t / TW) % TH, ph = t / tpp;
        const std::size_t px = ph % dwl, py = (ph / dwl) % dh, n = ph / (dwl * dh);
        // X tile: rows py - pt + dh*(2*th + k), columns px - pl + dw*(2*tw + l). Inside the input:
        // read in place; touching the padding: gathered with zeros first.
        const long r0 = (long)(py + 2 * th * dh) - (long)pt, c0 = (long)(px + 2 * tw * dwl) - (long)pl;
        if (r0 >= 0 && r0 + (long)(3 * dh) < (long)H && c0 >= 0 && c0 + (long)(3 * dwl) < (long)W) {
          WK.input(x + ((n * H + (std::size_t)r0) * W + (std::size_t)c0) * C, (std::ptrdiff_t)(dh * W * C),
                   (std::ptrdiff_t)(dwl * C), C, V + i * C, tb * C);
        } else {
          for (long k = 0; k < 4; ++k)
            for (long l = 0; l < 4; ++l) {
              const long r = r0 + k * (long)dh, c = c0 + l * (long)dwl;
              float* dst = xt + (k * 4 + l) * C;
              if (r < 0 || r >= (long)H || c < 0 || c >= (long)W)
                std::fill(dst, dst + C, 0.f);
              else
                std::memcpy(dst, x + ((n * H + (std::size_t)r) * W + (std::size_t)c) * C, C * sizeof(float));
            }
          WK.input(xt, (std::ptrdiff_t)(4 * C), (std::ptrdiff_t)C, C, V + i * C, tb * C);
        }
        // dY tile: rows py + dh*(2*th + u), columns px + dw*(2*tw + v) (zero past the output).
        const std::size_t oh0 = py + 2 * th * dh, ow0 = px + 2 * tw * dwl;
        if (oh0 + dh < OH && ow0 + dwl < OW) {
          WK.grad(dy + ((n * OH + oh0) * OW + ow0) * K, (std::ptrdiff_t)(dh * OW * K), (std::ptrdiff_t)(dwl * K), K,
                  U + i * K, tb * K);
        } else {
          for (std::size_t u = 0; u < 2; ++u)
            for (std::size_t v = 0; v < 2; ++v) {
              float* dst = et + (u * 2 + v) * K;
              const std::size_t oh = oh0 + u * dh, ow = ow0 + v * dwl;
              if (oh >= OH || ow >= OW)
                std::fill(dst, dst + K, 0.f);
              else
                std::memcpy(dst, dy + ((n * OH + oh) * OW + ow) * K, K * sizeof(float));
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
