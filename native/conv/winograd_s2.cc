#include "conv/winograd_s2.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "conv/conv_common.h"
#include "conv/direct_kernels.h"
#include "conv/winograd.h"
#include "dispatch/cpu.h"
#include "runtime/thread_pool.h"

namespace convkit {

// A' = diag(1/4, -1/6, -1/6, 1/24, 1/24, 1) A  (winograd_s2.h), A the transpose of F(4,3)'s A^T.
const double kWinoS2Filter[24] = {1. / 4,  0,        0,       0,        -1. / 6, -1. / 6, -1. / 6, -1. / 6,
                                  -1. / 6, 1. / 6,   -1. / 6, 1. / 6,   1. / 24, 2. / 24, 4. / 24, 8. / 24,
                                  1. / 24, -2. / 24, 4. / 24, -8. / 24, 0,       0,       0,       1};
const double kWinoS2Output[18] = {1, 1, 1, 1, 1, 0, 0, 1, -1, 2, -2, 0, 0, 1, 1, 4, 4, 1};

std::string winograd_s2_unsupported_reason(const ConvDesc& d) {
  if (d.kernel[0] != 1 || d.pad_before[0] || d.pad_after[0] || d.stride[0] != 1)
    return "the stride-2 Winograd form is 2-D only (kernel depth 1)";
  if (d.stride[1] != 2 || d.stride[2] != 2) return "the stride-2 Winograd form needs stride 2";
  if (d.kernel[1] < 7 || d.kernel[1] > 8 || d.kernel[2] < 7 || d.kernel[2] > 8)
    return "the stride-2 Winograd form needs a 7x7 or 8x8 kernel";
  if (d.dilation[1] != 1 || d.dilation[2] != 1) return "the stride-2 Winograd form needs dilation 1";
  if (d.groups != 1) return "the stride-2 Winograd form needs groups = 1";
  return "";
}

void winograd_s2_prepare(const ConvDesc& d, const float* w, WinogradS2Weights* out) {
  std::string why = winograd_s2_unsupported_reason(d);
  if (!why.empty()) throw Unsupported("conv algorithm 'winograd-s2': " + why + " (" + d.str() + ")");
  const std::size_t C = d.C, K = d.K, C4 = 4 * C, KH = d.kernel[1], KW = d.kernel[2];
  out->C = C;
  out->K = K;
  out->U = aligned_array<float>(36 * C4 * K);
  float* U = out->U.get();
  // Phase filter h[p][q][a*2C + b*C + c][k] = w[2p+a][2q+b][c][k] (zero past the kernel), then
  // U[i][j] = sum_{p,q} A'[i][p] h[p][q] A'[j][q], in double (the 1/6 and 1/24 rounded once, at the end).
  // Once per weights; vectorised over k by the compiler.
  parallel_range(C4, 1, [&](std::size_t c0, std::size_t c1) {
    std::vector<double> h(16 * K), t(6 * 4 * K), u(K);
    for (std::size_t ch = c0; ch < c1; ++ch) {
      const std::size_t a = ch / (2 * C), b = (ch / C) % 2, c = ch % C;
      for (std::size_t p = 0; p < 4; ++p)
        for (std::size_t q = 0; q < 4; ++q) {
          const std::size_t kh = 2 * p + a, kw = 2 * q + b;
          double* hp = h.data() + (p * 4 + q) * K;
          if (kh >= KH || kw >= KW) {
            std::fill(hp, hp + K, 0.0);
            continue;
          }
          const float* src = w + ((kh * KW + kw) * C + c) * K;
          for (std::size_t k = 0; k < K; ++k) hp[k] = src[k];
        }
      // t[i][q] = sum_p A'[i][p] h[p][q]
      for (std::size_t i = 0; i < 6; ++i)
        for (std::size_t q = 0; q < 4; ++q) {
          double* tp = t.data() + (i * 4 + q) * K;
          std::fill(tp, tp + K, 0.0);
          for (std::size_t p = 0; p < 4; ++p) {
            const double f = kWinoS2Filter[i * 4 + p];
            if (f == 0) continue;
            const double* hp = h.data() + (p * 4 + q) * K;
            for (std::size_t k = 0; k < K; ++k) tp[k] += f * hp[k];
          }
        }
      for (std::size_t i = 0; i < 6; ++i)
        for (std::size_t j = 0; j < 6; ++j) {
          std::fill(u.begin(), u.end(), 0.0);
          for (std::size_t q = 0; q < 4; ++q) {
            const double f = kWinoS2Filter[j * 4 + q];
            if (f == 0) continue;
            const double* tp = t.data() + (i * 4 + q) * K;
            for (std::size_t k = 0; k < K; ++k) u[k] += f * tp[k];
          }
          float* dst = U + ((i * 6 + j) * C4 + ch) * K;
          for (std::size_t k = 0; k < K; ++k) dst[k] = static_cast<float>(u[k]);
        }
    }
  });
}

namespace {
// Tiles per block: a multiple of the product kernel's P (whole register blocks; the rows past the
// last tile are zeros whose outputs are dropped), about 36: each point's 3 KiB filter slice U[xi] is
// brought into L1 once per block and reused by its 36 / P register blocks, while the block's products
// M (36 x 36 x 64 floats = 324 KiB on the stem) still stay in L2 for the output transform.
// (Stem, 2 threads: busy machine, minima of 2 runs, 6 tiles 4.45-4.79 ms, 12 4.13-4.20, 24 3.44-3.60,
// 48 3.48-3.68; quiet machine, 6 interleaved triples, medians 24: 3.51-3.78, 36: 3.42-3.51,
// 48: 3.40-3.53.)
std::size_t block_tiles(int P) { return static_cast<std::size_t>(P) * std::max<std::size_t>(1, 36 / P); }
std::size_t slice_floats(const ConvDesc& d, std::size_t tb) {
  // patch (12 x 12 x C) + V (36 x tb x 4C) + M (36 x tb x K) + one 3x3 tile of Y
  return 144 * d.C + 36 * tb * 4 * d.C + 36 * tb * d.K + 9 * d.K + 64;
}
const DirectVariant& product_variant(const DirectKernels& DK) { return DK.v[0]; }
}  // namespace

std::size_t winograd_s2_workspace(const ConvDesc& d) {
  const std::size_t tb = block_tiles(product_variant(direct_kernels()).P);
  return static_cast<std::size_t>(std::max(1, num_threads())) * slice_floats(d, tb);
}

void conv_winograd_s2_forward(const ConvDesc& d, const WinogradS2Weights& UW, const float* x, const float* bias,
                              float* y, float* ws, const CancelToken& cancel) {
  std::string why = winograd_s2_unsupported_reason(d);
  if (!why.empty()) throw Unsupported("conv algorithm 'winograd-s2': " + why + " (" + d.str() + ")");
  if (UW.C != d.C || UW.K != d.K) throw InvalidArgument("winograd-s2: prepared weights do not match the descriptor");
  const DirectKernels& DK = direct_kernels();
  const DirectVariant& DV = product_variant(DK);
  const WinogradKernels& WK = winograd_kernels();
  const std::size_t C = d.C, C4 = 4 * C, K = d.K, P = static_cast<std::size_t>(DV.P), tb = block_tiles(DV.P);
  const std::size_t OH = d.out[1], OW = d.out[2], IH = d.in[1], IW = d.in[2];
  const std::size_t th = (OH + 2) / 3, tw = (OW + 2) / 3, ntiles = d.N * th * tw, nblocks = (ntiles + tb - 1) / tb;
  const std::size_t slice = slice_floats(d, tb);
  const std::size_t nw = static_cast<std::size_t>(std::max(1, num_threads()));
  AlignedPtr<float> own;
  if (!ws) {
    own = aligned_array<float>(slice * nw);
    ws = own.get();
  }
  const long pt = static_cast<long>(d.pad_before[1]), pl = static_cast<long>(d.pad_before[2]);
  const std::ptrdiff_t zoff = 0;
  std::atomic<std::size_t> next{0};

  auto worker = [&](std::size_t wk) {
    float* patch = ws + wk * slice;
    float* V = patch + 144 * C;
    float* Mb = V + 36 * tb * C4;
    float* Yt = Mb + 36 * tb * K;
    // Rows of V past the last tile of a short block are read by the last register block: zeros.
    std::memset(V, 0, 36 * tb * C4 * sizeof(float));
    float* outs[32];
    for (std::size_t blk = next.fetch_add(1); blk < nblocks; blk = next.fetch_add(1)) {
      cancel.check();
      const std::size_t t0 = blk * tb, nt = std::min(tb, ntiles - t0), ntp = (nt + P - 1) / P * P;
      // 1. input transforms: V[xi][tile][a*2C + (b*C + c)], one F(4,3) input transform per row phase a
      //    over the 2C channels (b, c) of the phase row pair.
      for (std::size_t i = 0; i < nt; ++i) {
        const std::size_t t = t0 + i, tx = t % tw, ty = (t / tw) % th, n = t / (tw * th);
        const long iy0 = static_cast<long>(6 * ty) - pt, ix0 = static_cast<long>(6 * tx) - pl;
        const float* img = x + n * IH * IW * C;
        const float* src;
        std::ptrdiff_t rowf;  // floats between consecutive input rows of the source
        if (iy0 >= 0 && iy0 + 11 < (long)IH && ix0 >= 0 && ix0 + 11 < (long)IW) {
          src = img + ((std::size_t)iy0 * IW + (std::size_t)ix0) * C;
          rowf = (std::ptrdiff_t)(IW * C);
          // The input comes from memory (4.8 MB on the stem, read once per call) and the transform's
          // loads stalled on it (perf: the masked loads were the hottest instructions of s2_input), so
          // the 12 rows' next two tiles (12 pixels to the right) are prefetched into L1. Stem, 2
          // threads, 6 interleaved pairs: medians 4.00-4.18 vs 4.15-4.32 ms (ahead in 5, one tie).
          for (std::size_t r = 0; r < 12; ++r) {
            __builtin_prefetch(src + r * rowf + 12 * C, 0, 3);
            __builtin_prefetch(src + r * rowf + 12 * C + 16, 0, 3);
          }
        } else {
          // Edge tile: the 12 x 12 input pixels it reads, zeros in the padding.
          const long xs = std::max(ix0, 0L), xe = std::min(ix0 + 12, (long)IW);  // columns inside
          for (std::size_t r = 0; r < 12; ++r) {
            const long iy = iy0 + (long)r;
            float* prow = patch + r * 12 * C;
            if (iy < 0 || iy >= (long)IH || xs >= xe) {
              std::memset(prow, 0, 12 * C * sizeof(float));
              continue;
            }
            std::memset(prow, 0, (std::size_t)(xs - ix0) * C * sizeof(float));
            std::memcpy(prow + (xs - ix0) * C, img + ((std::size_t)iy * IW + (std::size_t)xs) * C,
                        (std::size_t)(xe - xs) * C * sizeof(float));
            std::memset(prow + (xe - ix0) * C, 0, (std::size_t)(ix0 + 12 - xe) * C * sizeof(float));
          }
          src = patch;
          rowf = (std::ptrdiff_t)(12 * C);
        }
        WK.s2_input(src, rowf, C, V + i * C4, tb * C4);
      }
      if (ntp > nt)  // a short last block: the register block's extra rows read zeros
        for (std::size_t xi = 0; xi < 36; ++xi) std::memset(V + (xi * tb + nt) * C4, 0, (ntp - nt) * C4 * sizeof(float));
      // 2. 36 products M[xi][tile][k] = sum_ch V[xi][tile][ch] U[xi][ch][k]: the direct kernel's
      //    implicit block with one tap of 4C channels, P tiles at a stride of 4C floats.
      for (std::size_t xi = 0; xi < 36; ++xi) {
        const float* Vx = V + xi * tb * C4;
        const float* Ux = UW.U.get() + xi * C4 * K;
        float* Mx = Mb + xi * tb * K;
        for (std::size_t p0 = 0; p0 < ntp; p0 += P)
          for (std::size_t k0 = 0; k0 < K; k0 += (std::size_t)DV.cob) {
            const std::size_t nco = std::min((std::size_t)DV.cob, K - k0);
            for (std::size_t p = 0; p < P; ++p) outs[p] = Mx + (p0 + p) * K + k0;
            (nco == (std::size_t)DV.cob ? DV.ifull : DV.itail)(1, C4, Vx, &zoff, (std::ptrdiff_t)(p0 * C4),
                                                               (std::ptrdiff_t)C4, Ux + k0, K, 0, nco, outs, nullptr);
          }
      }
      // 3. output transforms, bias, activation; whole tiles in place, edge tiles through Yt.
      for (std::size_t i = 0; i < nt; ++i) {
        const std::size_t t = t0 + i, tx = t % tw, ty = (t / tw) % th, n = t / (tw * th);
        const std::size_t oy0 = 3 * ty, ox0 = 3 * tx;
        if (oy0 + 2 < OH && ox0 + 2 < OW) {
          float* y0 = y + ((n * OH + oy0) * OW + ox0) * K;
          WK.output3(Mb + i * K, tb * K, K, d.has_bias ? bias : nullptr, y0, (std::ptrdiff_t)(OW * K), (std::ptrdiff_t)K);
          if (d.act != Activation::none)
            for (int r = 0; r < 3; ++r) apply_activation(y0 + r * OW * K, 3 * K, d.act, d.leaky_alpha);
          continue;
        }
        WK.output3(Mb + i * K, tb * K, K, d.has_bias ? bias : nullptr, Yt, (std::ptrdiff_t)(3 * K), (std::ptrdiff_t)K);
        for (std::size_t r = 0; r < 3 && oy0 + r < OH; ++r) {
          const std::size_t nc = std::min<std::size_t>(3, OW - ox0);
          float* dst = y + ((n * OH + oy0 + r) * OW + ox0) * K;
          std::memcpy(dst, Yt + r * 3 * K, nc * K * sizeof(float));
          apply_activation(dst, nc * K, d.act, d.leaky_alpha);
        }
      }
    }
  };
  if (nblocks < 2 || nw == 1)
    worker(0);
  else
    parallel_for(nw, [&](std::size_t wk) { worker(wk); });
}

}  // namespace convkit
