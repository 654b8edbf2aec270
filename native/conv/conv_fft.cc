#include "conv/conv_fft.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "conv/conv_common.h"
#include "conv/fft.h"
#include "gemm/gemm.h"
#include "runtime/thread_pool.h"

namespace convkit {
namespace {

constexpr std::size_t kTilesPerBlock = 32;

// Real-input 2-D FFT of tile [L][L][C] -> H [L][L/2+1][C] (re, im planes).
// Rows go two at a time through one complex FFT (z = a + i b), separated with
//   A[k] = (Z[k] + conj Z[L-k]) / 2,   B[k] = (Z[k] - conj Z[L-k]) / (2i);
// then the L/2+1 columns get a complex FFT each.
void rfft2(const FftPlan& P, const FftKernels& FK, const float* tile, std::size_t C, float* zr, float* zi, float* Hr,
           float* Hi, std::size_t nz_rows = SIZE_MAX) {
  const std::size_t L = P.L, Lh = L / 2 + 1;
  for (std::size_t a = 0; a < L; a += 2) {
    const std::size_t b = a + 1;
    if (a >= nz_rows) {  // both rows zero (a filter's rows past its extent): zero spectra
      std::fill(Hr + a * Lh * C, Hr + (b + 1) * Lh * C, 0.f);
      std::fill(Hi + a * Lh * C, Hi + (b + 1) * Lh * C, 0.f);
      continue;
    }
    std::memcpy(zr, tile + a * L * C, L * C * sizeof(float));
    std::memcpy(zi, tile + b * L * C, L * C * sizeof(float));
    FK.fft(P, zr, zi, C, C, false);
    for (std::size_t k = 0; k < Lh; ++k) {
      const std::size_t km = (L - k) % L;
      const float *r1 = zr + k * C, *i1 = zi + k * C, *r2 = zr + km * C, *i2 = zi + km * C;
      float *ar = Hr + (a * Lh + k) * C, *ai = Hi + (a * Lh + k) * C;
      float *br = Hr + (b * Lh + k) * C, *bi = Hi + (b * Lh + k) * C;
      for (std::size_t c = 0; c < C; ++c) {
        ar[c] = 0.5f * (r1[c] + r2[c]);
        ai[c] = 0.5f * (i1[c] - i2[c]);
        br[c] = 0.5f * (i1[c] + i2[c]);
        bi[c] = -0.5f * (r1[c] - r2[c]);
      }
    }
  }
  for (std::size_t k = 0; k < Lh; ++k) FK.fft(P, Hr + k * C, Hi + k * C, Lh * C, C, false);
}

// Inverse of rfft2 without the 1/L^2 (folded into the filter): columns first, then rows in pairs,
// each row's spectrum completed by Hermitian symmetry P[L-k] = conj P[k].
void irfft2(const FftPlan& P, const FftKernels& FK, float* Hr, float* Hi, std::size_t C, float* zr, float* zi,
            float* tile) {
  const std::size_t L = P.L, Lh = L / 2 + 1;
  for (std::size_t k = 0; k < Lh; ++k) FK.fft(P, Hr + k * C, Hi + k * C, Lh * C, C, true);
  for (std::size_t a = 0; a < L; a += 2) {
    const std::size_t b = a + 1;
    for (std::size_t k = 0; k < L; ++k) {
      const bool low = k < Lh;
      const std::size_t kk = low ? k : L - k;
      const float s = low ? 1.f : -1.f;  // conjugate for the upper half
      const float *par = Hr + (a * Lh + kk) * C, *pai = Hi + (a * Lh + kk) * C;
      const float *pbr = Hr + (b * Lh + kk) * C, *pbi = Hi + (b * Lh + kk) * C;
      float *r = zr + k * C, *i = zi + k * C;
      for (std::size_t c = 0; c < C; ++c) {
        r[c] = par[c] - s * pbi[c];
        i[c] = s * pai[c] + pbr[c];
      }
    }
    FK.fft(P, zr, zi, C, C, true);
    std::memcpy(tile + a * L * C, zr, L * C * sizeof(float));
    std::memcpy(tile + b * L * C, zi, L * C * sizeof(float));
  }
}

std::size_t slice_floats(const ConvDesc& d) {
  const std::size_t L = fft_tile_size(d), Lh = L / 2 + 1, F = L * Lh, CK = std::max(d.C, d.K);
  return L * L * CK          // tile (input or output)
         + 2 * L * CK        // zr, zi
         + 2 * F * CK        // Hr, Hi
         + F * kTilesPerBlock * 2 * d.C + F * kTilesPerBlock * 2 * d.K + 64;
}

}  // namespace

std::size_t fft_tile_size(const ConvDesc& d) {
  std::size_t ek = std::max(d.eff_kernel(1), d.eff_kernel(2));
  std::size_t L = 8;
  while (L < 2 * ek) L *= 2;
  return L;
}

std::string fft_unsupported_reason(const ConvDesc& d) {
  if (d.kernel[0] != 1 || d.pad_before[0] || d.pad_after[0]) return "FFT is 2-D only (kernel depth 1)";
  for (int i = 0; i < 3; ++i)
    if (d.stride[i] != 1) return "FFT needs stride 1";
  if (d.groups != 1) return "FFT needs groups = 1";
  if (std::max(d.eff_kernel(1), d.eff_kernel(2)) > 32) return "FFT supports dilated kernels up to 32";
  return "";
}

void fft_prepare(const ConvDesc& d, const float* w, FftWeights* out) {
  std::string why = fft_unsupported_reason(d);
  if (!why.empty()) throw Unsupported("conv algorithm 'fft': " + why + " (" + d.str() + ")");
  const std::size_t L = fft_tile_size(d), Lh = L / 2 + 1, F = L * Lh, C = d.C, K = d.K;
  out->L = L;
  out->C = C;
  out->K = K;
  out->B = aligned_array<float>(F * 4 * C * K);
  float* B = out->B.get();
  const FftPlan P(L);
  const FftKernels& FK = fft_kernels();
  const float scale = 1.f / static_cast<float>(L * L);
  // Two passes over one scratch block for the whole call (the filter transform runs on every
  // one-shot FFT convolution, 70% of conv_large's one-shot forward before: 17.2 ms vs 5.1 ms with
  // the spectra cached, 2 threads):
  //  1. per input channel c, the spectrum of filter slice c for every k at once (channel vector
  //     K) into S[c] (per-c vectors had cost a 128 KiB zero fill and page faults on glibc's mmap'ed
  //     blocks per slice; the taps land on the same tile positions for every c, so each worker
  //     zeroes its tile once, and rows past the dilated kernel extent skip their row transforms);
  //  2. per frequency, the 2C x 2K block of B written in order. Writing B per c instead scattered
  //     256-byte rows 2C*2K floats apart (16 KiB for C = K = 32: one L1 set, thrashed), which was
  //     a quarter of a single-thread one-shot forward in perf.
  // S rows are padded by 16 floats so the per-frequency reads of pass 2 do not share L1 sets.
  const std::size_t nw = std::min<std::size_t>(C, static_cast<std::size_t>(std::max(1, num_threads())));
  const std::size_t per = L * L * K + 2 * L * K, sc = 2 * F * K + 16;
  AlignedPtr<float> scratch = aligned_array<float>(nw * per + C * sc);
  float* S = scratch.get() + nw * per;
  const std::size_t nz_rows = d.eff_kernel(1);
  parallel_for(nw, [&](std::size_t wk) {
    float* tile = scratch.get() + wk * per;
    float *zr = tile + L * L * K, *zi = zr + L * K;
    std::fill(tile, tile + L * L * K, 0.f);
    for (std::size_t c = wk; c < C; c += nw) {
      for (std::size_t u = 0; u < d.kernel[1]; ++u)
        for (std::size_t v = 0; v < d.kernel[2]; ++v)
          std::memcpy(tile + ((u * d.dilation[1]) * L + v * d.dilation[2]) * K,
                      w + ((u * d.kernel[2] + v) * C + c) * K, K * sizeof(float));
      rfft2(P, FK, tile, K, zr, zi, S + c * sc, S + c * sc + F * K, nz_rows);
    }
  });
  parallel_range(F, 16, [&](std::size_t f0, std::size_t f1) {
    for (std::size_t f = f0; f < f1; ++f)
      for (std::size_t c = 0; c < C; ++c) {
        const float* Hr = S + c * sc + f * K;
        const float* Hi = Hr + F * K;
        float* top = B + (f * 2 * C + c) * 2 * K;      // row c:     [ Wr | -Wi ]
        float* bot = B + (f * 2 * C + C + c) * 2 * K;  // row C + c: [ Wi |  Wr ]
        for (std::size_t k = 0; k < K; ++k) {
          const float wr = Hr[k] * scale, wi = Hi[k] * scale;
          top[k] = wr;
          top[K + k] = -wi;
          bot[k] = wi;
          bot[K + k] = wr;
        }
      }
  });
}

std::size_t fft_workspace(const ConvDesc& d) {
  return static_cast<std::size_t>(std::max(1, num_threads())) * slice_floats(d);
}

void conv_fft_forward(const ConvDesc& d, const FftWeights& W, const float* x, const float* bias, float* y, float* ws,
                      const CancelToken& cancel) {
  std::string why = fft_unsupported_reason(d);
  if (!why.empty()) throw Unsupported("conv algorithm 'fft': " + why + " (" + d.str() + ")");
  if (W.C != d.C || W.K != d.K || W.L != fft_tile_size(d))
    throw InvalidArgument("fft: prepared weights do not match the descriptor");
  const std::size_t L = W.L, Lh = L / 2 + 1, F = L * Lh, C = d.C, K = d.K, CK = std::max(C, K), tb = kTilesPerBlock;
  const std::size_t OH = d.out[1], OW = d.out[2], IH = d.in[1], IW = d.in[2];
  const std::size_t bh = L - d.eff_kernel(1) + 1, bw = L - d.eff_kernel(2) + 1;
  const std::size_t th = (OH + bh - 1) / bh, tw = (OW + bw - 1) / bw;
  const std::size_t ntiles = d.N * d.in[0] * th * tw, nblocks = (ntiles + tb - 1) / tb;
  const std::size_t slice = slice_floats(d), nw = static_cast<std::size_t>(std::max(1, num_threads()));
  AlignedPtr<float> own;
  if (!ws) {
    own = aligned_array<float>(slice * nw);
    ws = own.get();
  }
  const FftPlan P(L);
  const FftKernels& FK = fft_kernels();
  const long pt = static_cast<long>(d.pad_before[1]), pl = static_cast<long>(d.pad_before[2]);

  parallel_for(nw, [&](std::size_t wk) {
    float* tile = ws + wk * slice;
    float* zr = tile + L * L * CK;
    float* zi = zr + L * CK;
    float* Hr = zi + L * CK;
    float* Hi = Hr + F * CK;
    float* XA = Hi + F * CK;
    float* YB = XA + F * tb * 2 * C;
    for (std::size_t blk = wk; blk < nblocks; blk += nw) {
      cancel.check();
      std::size_t t0 = blk * tb, nt = std::min(tb, ntiles - t0);
      for (std::size_t i = 0; i < nt; ++i) {
        std::size_t t = t0 + i, tx = t % tw, ty = (t / tw) % th, nd = t / (tw * th);
        long iy0 = static_cast<long>(ty * bh) - pt, ix0 = static_cast<long>(tx * bw) - pl;
        const float* img = x + nd * IH * IW * C;
        for (std::size_t r = 0; r < L; ++r) {
          long iy = iy0 + static_cast<long>(r);
          float* row = tile + r * L * C;
          if (iy < 0 || iy >= static_cast<long>(IH)) {
            std::memset(row, 0, L * C * sizeof(float));
            continue;
          }
          long xa = std::max<long>(ix0, 0), xb = std::min<long>(ix0 + static_cast<long>(L), static_cast<long>(IW));
          std::memset(row, 0, L * C * sizeof(float));
          if (xb > xa)
            std::memcpy(row + (xa - ix0) * C, img + (iy * IW + xa) * C, (xb - xa) * C * sizeof(float));
        }
        rfft2(P, FK, tile, C, zr, zi, Hr, Hi);
        for (std::size_t f = 0; f < F; ++f) {
          float* dst = XA + (f * tb + i) * 2 * C;
          std::memcpy(dst, Hr + f * C, C * sizeof(float));
          std::memcpy(dst + C, Hi + f * C, C * sizeof(float));
        }
      }
      sgemm_strided_batched(false, false, nt, 2 * K, 2 * C, 1.f, XA, 2 * C, tb * 2 * C, W.B.get(), 2 * K, 4 * C * K,
                            0.f, YB, 2 * K, tb * 2 * K, F);
      for (std::size_t i = 0; i < nt; ++i) {
        std::size_t t = t0 + i, tx = t % tw, ty = (t / tw) % th, nd = t / (tw * th);
        for (std::size_t f = 0; f < F; ++f) {
          const float* src = YB + (f * tb + i) * 2 * K;
          std::memcpy(Hr + f * K, src, K * sizeof(float));
          std::memcpy(Hi + f * K, src + K, K * sizeof(float));
        }
        irfft2(P, FK, Hr, Hi, K, zr, zi, tile);
        for (std::size_t r = 0; r < bh; ++r) {
          std::size_t oy = ty * bh + r;
          if (oy >= OH) break;
          for (std::size_t s = 0; s < bw; ++s) {
            std::size_t ox = tx * bw + s;
            if (ox >= OW) break;
            float* dst = y + ((nd * OH + oy) * OW + ox) * K;
            const float* src = tile + (r * L + s) * K;
            if (d.has_bias)
              for (std::size_t k = 0; k < K; ++k) dst[k] = src[k] + bias[k];
            else
              std::memcpy(dst, src, K * sizeof(float));
            apply_activation(dst, K, d.act, d.leaky_alpha);
          }
        }
      }
    }
  });
}

}  // namespace convkit
