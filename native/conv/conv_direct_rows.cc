// Drivers of the row-vectorised direct convolution (see conv_direct_rows.h for the method): planar
// repacking, register-block choice, the tap-offset tables and row-pair lists handed to the kernels
// of rows_kernels.h, and the transpose of the channel-major row block into the NHWC output.
#include "conv/conv_direct_rows.h"

#include <algorithm>
#include <vector>

#include "conv/conv_common.h"
#include "conv/conv_transform.h"
#include "conv/rows_kernels.h"
#include "runtime/aligned.h"
#include "runtime/thread_pool.h"

namespace convkit {
namespace {

std::size_t ceil_div(std::size_t a, std::size_t b) { return (a + b - 1) / b; }

// Planar geometry along the width: stride s splits the zero-padded row into s phases of L slots.
struct Planar {
  std::size_t s, L;     // phases, slots per phase
  std::size_t nvec;     // width vectors covering the output row
  std::size_t planes;   // N*C*D*H rows of s*L floats
  std::size_t tap_phase(std::size_t kw, std::size_t dil) const { return (kw * dil) % s; }
  std::size_t tap_shift(std::size_t kw, std::size_t dil) const { return (kw * dil) / s; }
};

Planar planar_geometry(const ConvDesc& d, int W) {
  Planar p;
  p.s = d.stride[2];
  p.nvec = ceil_div(d.out[2], (std::size_t)W);
  // Every load (slot ow0 + shift + v*W, v < nvec) stays inside the phase row; 16-float rounding
  // keeps rows apart by whole cache lines.
  std::size_t need = p.nvec * W + ((d.kernel[2] - 1) * d.dilation[2]) / p.s;
  p.L = ceil_div(need, 16) * 16;
  p.planes = d.N * d.C * d.in[0] * d.in[1];
  return p;
}

// x'[n][c][d][h][phase][j] = x[n, d, h, j*s + phase - pad_left, c], 0 outside the row. Per phase
// the slots inside the row are one contiguous range [j0, j1) (a strided copy; memcpy for one
// channel at stride 1), zeros on either side.
void repack_input(const ConvDesc& d, const Planar& P, const float* x, float* xp) {
  const std::size_t IW = d.in[2], C = d.C, s = P.s, L = P.L, pw = d.pad_before[2];
  std::vector<std::size_t> j0(s), j1(s);
  for (std::size_t ph = 0; ph < s; ++ph) {
    // slot j holds iw = j*s + ph - pw: inside for pw <= j*s + ph < pw + IW
    j0[ph] = std::min(L, pw > ph ? ceil_div(pw - ph, s) : 0);
    j1[ph] = std::max(j0[ph], std::min(L, pw + IW > ph ? ceil_div(pw + IW - ph, s) : 0));
  }
  const std::size_t rows = d.N * d.in[0] * d.in[1];
  const std::size_t DH = d.in[0] * d.in[1];
  parallel_range(rows, std::max<std::size_t>(1, 4096 / (IW * C + 1)), [&](std::size_t b, std::size_t e) {
    for (std::size_t r = b; r < e; ++r) {
      const float* xr = x + r * IW * C;
      std::size_t n = r / DH, dh = r % DH;
      for (std::size_t c = 0; c < C; ++c) {
        float* dst = xp + ((n * C + c) * DH + dh) * s * L;
        for (std::size_t ph = 0; ph < s; ++ph, dst += L) {
          std::fill(dst, dst + j0[ph], 0.f);
          const std::size_t cnt = j1[ph] - j0[ph], step = s * C;
          if (cnt) {
            const float* src = xr + (j0[ph] * s + ph - pw) * C + c;
            if (step == 1)
              std::copy(src, src + cnt, dst + j0[ph]);
            else
              for (std::size_t j = 0; j < cnt; ++j) dst[j0[ph] + j] = src[j * step];
          }
          std::fill(dst + j1[ph], dst + L, 0.f);
        }
      }
    }
  });
}

// Register block for the forward kernel: CO output channels x NV width vectors, chosen to minimise
// an estimate of issue cycles per (tap, channel) step over all blocks of the row:
//   max(FMAs, loads) with loads = NV input vectors + CO broadcasts + 2 pointer loads (2 ports each),
// subject to CO*NV accumulators + NV inputs + 1 broadcast fitting the register file.
struct FwdBlock {
  int co, nv;
};
FwdBlock choose_forward_block(std::size_t nvec, std::size_t K, int regs) {
  FwdBlock best{1, 1};
  double best_cost = 1e300;
  for (int nv = 1; nv <= kRowsMaxNv && (std::size_t)nv <= std::max<std::size_t>(nvec, 1); ++nv)
    for (int co = 1; co <= kRowsMaxCo && (std::size_t)co <= K; ++co) {
      if (co * nv + nv + 1 > regs) continue;
      double cost = 0;
      for (std::size_t c0 = 0; c0 < K; c0 += co)
        for (std::size_t v0 = 0; v0 < nvec; v0 += nv) {
          double cb = (double)std::min<std::size_t>(co, K - c0), vb = (double)std::min<std::size_t>(nv, nvec - v0);
          cost += std::max(cb * vb, cb + vb + 2);
        }
      if (cost < best_cost) best_cost = cost, best = {co, nv};
    }
  return best;
}

// Register block for the wgrad kernel: KB kw taps x CO output channels; per width vector it loads
// CO dY vectors and KB input vectors for KB*CO FMAs.
struct WgradBlock {
  int kb, co;
};
WgradBlock choose_wgrad_block(std::size_t KW, std::size_t K, int regs) {
  WgradBlock best{1, 1};
  double best_cost = 1e300;
  for (int kb = 1; kb <= kRowsMaxKb && (std::size_t)kb <= KW; ++kb)
    for (int co = 1; co <= kRowsMaxWco && (std::size_t)co <= K; ++co) {
      if (kb * co + co + 1 > regs) continue;
      double cost = 0;
      for (std::size_t k0 = 0; k0 < KW; k0 += kb)
        for (std::size_t c0 = 0; c0 < K; c0 += co) {
          double a = (double)std::min<std::size_t>(kb, KW - k0), b = (double)std::min<std::size_t>(co, K - c0);
          cost += std::max(a * b, a + b) + 1;
        }
      if (cost < best_cost) best_cost = cost, best = {kb, co};
    }
  return best;
}

bool tap_in(long v, std::size_t n) { return v >= 0 && v < (long)n; }

}  // namespace

std::string conv_rows_unsupported_reason(const ConvDesc& d, ConvPass p) {
  if (d.groups != 1) return "the row-vectorised direct kernel computes ungrouped convolutions only";
  if (p == ConvPass::dgrad) {
    ConvDesc f;
    std::string why = dgrad_as_forward(d, &f);
    if (!why.empty()) return "row-vectorised " + why;
  }
  return "";
}

// Few input channels: each (tap, channel) step of the channel kernel then reads only Cin values
// per pointer it builds, while the row kernel's step is a whole width vector. Rows narrower than
// half a vector waste most lanes, so those stay on the channel kernel. The input gradient's
// forward form has Cout input channels and Cin outputs: it pays while both stay small. The weight
// gradient loses to im2col's GEMM once Cout is large (RGB stems with 64/96 filters: measured
// 38 vs 31 ms and 40 vs 22 ms single-threaded), so it is kept to Cout <= 16. The forward pass
// keeps Cout <= 32: from 64 outputs on, the channel kernel's interior tiles fill whole vectors
// and need no transpose (7x7/2 stem 3 -> 64: 18.0 vs 20.7 ms; 3x3/2 4 -> 64: 0.39 vs 0.62 ms;
// 3x3 3 -> 32: rows 0.86 vs 1.07 ms). The forward also takes up to 15 input channels (LeNet conv2
// 6 -> 16: 2.06 vs 2.67 ms; 3x3 8 -> 16: 0.83 vs 1.26; 12 -> 24: 1.73 vs 4.23), the gradients
// stay at 4 (LeNet conv2 wgrad: rows 3.7 vs im2col 2.9 ms). All single-threaded, shared machine.
bool conv_rows_few_channels(const ConvDesc& d, ConvPass p) {
  if (!conv_rows_unsupported_reason(d, p).empty() || d.C > (p == ConvPass::forward ? 15u : 4u)) return false;
  if (p == ConvPass::dgrad) return d.K <= 32 && d.in[2] >= 8;
  if (p == ConvPass::wgrad) return d.K <= 16 && d.out[2] >= 8;
  return d.K <= 32 && d.out[2] >= 8;
}

bool conv_rows_preferred(const ConvDesc& d, ConvPass p) {
  if (!conv_rows_unsupported_reason(d, p).empty() || d.C > (p == ConvPass::forward ? 15u : 4u)) return false;
  const std::size_t W = (std::size_t)rows_kernels().W;
  if (p == ConvPass::dgrad) return d.K <= 32 && 2 * d.in[2] >= W;
  if (p == ConvPass::wgrad) return d.K <= 16 && 2 * d.out[2] >= W;
  return d.K <= 32 && 2 * d.out[2] >= W;
}

void conv_rows_forward(const ConvDesc& d, const float* x, const float* w, const float* bias, float* y,
                       const CancelToken& cancel) {
  std::string why = conv_rows_unsupported_reason(d, ConvPass::forward);
  if (!why.empty()) throw Unsupported("conv rows kernel: " + why + " (" + d.str() + ")");
  const RowsKernels& RK = rows_kernels();
  const int W = RK.W;
  const Planar P = planar_geometry(d, W);
  auto xp = aligned_array<float>(P.planes * P.s * P.L);
  repack_input(d, P, x, xp.get());

  const std::size_t C = d.C, K = d.K, OW = d.out[2], T = d.taps();
  const std::size_t KD = d.kernel[0], KH = d.kernel[1], KW = d.kernel[2];
  const std::size_t ldt = P.nvec * W;
  const FwdBlock B = choose_forward_block(P.nvec, K, RK.regs);
  const float* b = d.has_bias ? bias : nullptr;
  const std::size_t rows = d.N * d.out[0] * d.out[1];
  const std::size_t per_row = std::max<std::size_t>(1, OW * K * T * C);

  // Every (tap, channel)'s offset from its output row's origin, the planar position of
  // (n, c = 0, od*sd - pad, oh*sh - pad, phase 0, slot ow0) -- one table for all interior rows.
  const std::ptrdiff_t sL = (std::ptrdiff_t)(P.s * P.L), Hs = (std::ptrdiff_t)d.in[1] * sL;
  const std::ptrdiff_t Ds = (std::ptrdiff_t)d.in[0] * Hs;
  std::vector<std::ptrdiff_t> toff(T * C);
  std::vector<const float*> tw(T * C);
  for (std::size_t kd = 0, m = 0; kd < KD; ++kd)
    for (std::size_t kh = 0; kh < KH; ++kh)
      for (std::size_t kw = 0; kw < KW; ++kw)
        for (std::size_t c = 0; c < C; ++c, ++m) {
          const std::size_t t = (kd * KH + kh) * KW + kw;
          toff[m] = (std::ptrdiff_t)c * Ds + (std::ptrdiff_t)(kd * d.dilation[0]) * Hs +
                    (std::ptrdiff_t)(kh * d.dilation[1]) * sL +
                    (std::ptrdiff_t)(P.tap_phase(kw, d.dilation[2]) * P.L + P.tap_shift(kw, d.dilation[2]));
          tw[m] = w + (t * C + c) * K;
        }

  parallel_range(rows, std::max<std::size_t>(1, 32768 / per_row), [&](std::size_t rb, std::size_t re) {
    std::vector<std::ptrdiff_t> eoff(T * C);
    std::vector<const float*> ew(T * C);
    auto tmp = aligned_array<float>(K * ldt);
    for (std::size_t r = rb; r < re; ++r) {
      cancel.check();
      const std::size_t oh = r % d.out[1], od = (r / d.out[1]) % d.out[0], n = r / (d.out[1] * d.out[0]);
      const long id0 = (long)(od * d.stride[0]) - (long)d.pad_before[0];
      const long ih0 = (long)(oh * d.stride[1]) - (long)d.pad_before[1];
      const std::ptrdiff_t base = (std::ptrdiff_t)(n * d.C) * Ds + id0 * Hs + ih0 * sL;
      const bool interior = id0 >= 0 && id0 + (long)((KD - 1) * d.dilation[0]) < (long)d.in[0] && ih0 >= 0 &&
                            ih0 + (long)((KH - 1) * d.dilation[1]) < (long)d.in[1];
      const std::ptrdiff_t* offs = toff.data();
      const float* const* wr = tw.data();
      std::size_t m = T * C;
      if (!interior) {  // keep the taps whose input row exists (the others read padding: zero)
        m = 0;
        for (std::size_t kd = 0; kd < KD; ++kd) {
          const bool okd = tap_in(id0 + (long)(kd * d.dilation[0]), d.in[0]);
          for (std::size_t kh = 0; kh < KH; ++kh) {
            const bool ok = okd && tap_in(ih0 + (long)(kh * d.dilation[1]), d.in[1]);
            const std::size_t i0 = (kd * KH + kh) * KW * C;
            if (ok)
              for (std::size_t i = i0; i < i0 + KW * C; ++i, ++m) eoff[m] = toff[i], ew[m] = tw[i];
          }
        }
        offs = eoff.data();
        wr = ew.data();
      }
      for (std::size_t c0 = 0; c0 < K; c0 += B.co) {
        const std::size_t cb = std::min<std::size_t>(B.co, K - c0);
        for (std::size_t v0 = 0; v0 < P.nvec; v0 += B.nv) {
          const std::size_t vb = std::min<std::size_t>(B.nv, P.nvec - v0);
          RK.fwd[cb - 1][vb - 1](m, xp.get(), base + (std::ptrdiff_t)(v0 * W), offs, wr, c0, b ? b + c0 : nullptr,
                                 tmp.get() + c0 * ldt + v0 * W, ldt);
        }
      }
      // Channel-major row block -> NHWC: y[r][ow][k] = tmp[k][ow]; then the activation.
      float* yr = y + r * OW * K;
      RK.transpose(tmp.get(), ldt, K, OW, yr, K);
      if (d.act != Activation::none) apply_activation(yr, OW * K, d.act, d.leaky_alpha);
    }
  });
}

void conv_rows_dgrad(const ConvDesc& d, const float* dy, const float* w, float* dx, const CancelToken& cancel) {
  std::string why = conv_rows_unsupported_reason(d, ConvPass::dgrad);
  if (!why.empty()) throw Unsupported("conv rows kernel: " + why + " (" + d.str() + ")");
  ConvDesc f;
  dgrad_as_forward(d, &f);
  auto wf = aligned_array<float>(d.filter_size());
  dgrad_filter(d, w, wf.get());
  conv_rows_forward(f, dy, wf.get(), nullptr, dx, cancel);
}

void conv_rows_wgrad(const ConvDesc& d, const float* x, const float* dy, float* dw, float* db,
                     const CancelToken& cancel) {
  std::string why = conv_rows_unsupported_reason(d, ConvPass::wgrad);
  if (!why.empty()) throw Unsupported("conv rows kernel: " + why + " (" + d.str() + ")");
  const RowsKernels& RK = rows_kernels();
  const std::size_t W = (std::size_t)RK.W;
  const Planar P = planar_geometry(d, (int)W);
  auto xp = aligned_array<float>(P.planes * P.s * P.L);
  repack_input(d, P, x, xp.get());

  const std::size_t C = d.C, K = d.K, OW = d.out[2], T = d.taps();
  const std::size_t KD = d.kernel[0], KH = d.kernel[1], KW = d.kernel[2];
  const std::size_t rows = d.N * d.out[0] * d.out[1];
  const std::size_t Ld = P.nvec * W;  // dY' row length (zeros past OW, so padded lanes add nothing)

  // dY'[r][o][ow] = dY[r][ow][o] with the ISA's transpose, made per chunk of rows just before the
  // chunk's taps read it (so it stays in cache: a whole-tensor dY' was written to and read back
  // from memory, LeNet conv1's is 1.4 MB). The transpose may read each pixel's channels rounded up
  // to the vector width, i.e. up to W - K floats past a row: inside dY except near its end, so the
  // rows whose reads could pass the end of dY (the last one, or more when rows are shorter than a
  // vector) go through a copy with room behind it.
  const std::size_t rowlen = OW * K;
  const std::size_t tail_rows = std::min(rows, (W + rowlen - 1) / rowlen + 1);
  const std::size_t tail_first = rows - tail_rows;
  std::vector<float> tail(tail_rows * rowlen + W, 0.f);
  std::copy(dy + tail_first * rowlen, dy + rows * rowlen, tail.begin());

  const WgradBlock B = choose_wgrad_block(KW, K, RK.regs);
  std::vector<std::size_t> xoff(KW);
  for (std::size_t kw = 0; kw < KW; ++kw)
    xoff[kw] = P.tap_phase(kw, d.dilation[2]) * P.L + P.tap_shift(kw, d.dilation[2]);

  // A fixed number of row partitions (not tied to the thread count), each with its own vector
  // partial sums, reduced in partition order: the result is the same for any number of threads.
  // The bias gradient is summed from dY' in the same partitions (float sums per row, double
  // across rows).
  const std::size_t parts = std::min<std::size_t>(rows, 16);
  const std::size_t TCK = T * C * K;
  std::vector<double> part(parts * (TCK + K), 0.0);
  // Rows per sub-chunk: keep the chunk's dY' (reused by every tap) within ~64 KB.
  const std::size_t chunk = std::max<std::size_t>(1, 16384 / (K * Ld));
  const std::ptrdiff_t sL = (std::ptrdiff_t)(P.s * P.L), Hs = (std::ptrdiff_t)d.in[1] * sL;
  const std::ptrdiff_t Ds = (std::ptrdiff_t)d.in[0] * Hs;

  parallel_for(parts, [&](std::size_t p) {
    const std::size_t rb = rows * p / parts, re = rows * (p + 1) / parts;
    auto acc = aligned_array<float>(TCK * W);
    std::fill(acc.get(), acc.get() + TCK * W, 0.f);
    auto dyt = aligned_array<float>(chunk * K * Ld);  // dY' of the current chunk
    double* bsum = part.data() + p * (TCK + K) + TCK;
    std::vector<const float*> xr(chunk), dr(chunk);
    std::vector<long> id0(chunk), ih0(chunk);
    std::vector<std::ptrdiff_t> base(chunk);
    for (std::size_t a = rb; a < re; a += chunk) {
      cancel.check();
      const std::size_t e = std::min(re, a + chunk);
      for (std::size_t r = a; r < e; ++r) {
        float* t = dyt.get() + (r - a) * K * Ld;
        RK.transpose(r >= tail_first ? tail.data() + (r - tail_first) * rowlen : dy + r * rowlen, K, OW, K, t, Ld);
        for (std::size_t o = 0; o < K; ++o) std::fill(t + o * Ld + OW, t + (o + 1) * Ld, 0.f);
      }
      for (std::size_t r = a; r < e; ++r) {  // each row's origin in the planar input (cf. forward)
        const std::size_t oh = r % d.out[1], od = (r / d.out[1]) % d.out[0], n = r / (d.out[1] * d.out[0]);
        id0[r - a] = (long)(od * d.stride[0]) - (long)d.pad_before[0];
        ih0[r - a] = (long)(oh * d.stride[1]) - (long)d.pad_before[1];
        base[r - a] = (std::ptrdiff_t)(n * C) * Ds + id0[r - a] * Hs + ih0[r - a] * sL;
        if (db) {
          const float* t = dyt.get() + (r - a) * K * Ld;
          for (std::size_t o = 0; o < K; ++o) {
            float s8[8] = {0, 0, 0, 0, 0, 0, 0, 0};
            for (std::size_t i = 0; i + 8 <= Ld; i += 8)
              for (int l = 0; l < 8; ++l) s8[l] += t[o * Ld + i + l];
            for (std::size_t i = Ld / 8 * 8; i < Ld; ++i) s8[0] += t[o * Ld + i];
            bsum[o] += (double)((s8[0] + s8[1]) + (s8[2] + s8[3])) + (double)((s8[4] + s8[5]) + (s8[6] + s8[7]));
          }
        }
      }
      for (std::size_t kd = 0; kd < KD; ++kd)
        for (std::size_t kh = 0; kh < KH; ++kh)
          for (std::size_t c = 0; c < C; ++c) {
            const std::ptrdiff_t toff = (std::ptrdiff_t)c * Ds + (std::ptrdiff_t)(kd * d.dilation[0]) * Hs +
                                        (std::ptrdiff_t)(kh * d.dilation[1]) * sL;
            std::size_t m = 0;
            for (std::size_t r = a; r < e; ++r) {
              if (!tap_in(id0[r - a] + (long)(kd * d.dilation[0]), d.in[0]) ||
                  !tap_in(ih0[r - a] + (long)(kh * d.dilation[1]), d.in[1]))
                continue;
              xr[m] = xp.get() + (base[r - a] + toff);
              dr[m] = dyt.get() + (r - a) * K * Ld;
              ++m;
            }
            if (!m) continue;
            const std::size_t t0 = (kd * KH + kh) * KW;
            for (std::size_t k0 = 0; k0 < KW; k0 += B.kb) {
              const std::size_t kb = std::min<std::size_t>(B.kb, KW - k0);
              for (std::size_t c0 = 0; c0 < K; c0 += B.co) {
                const std::size_t cb = std::min<std::size_t>(B.co, K - c0);
                float* ap = acc.get() + (((t0 + k0) * C + c) * K + c0) * W;
                RK.wgrad[kb - 1][cb - 1](m, xr.data(), dr.data(), xoff.data() + k0, c0 * Ld, Ld, P.nvec, ap,
                                         C * K * W);
              }
            }
          }
    }
    double* out = part.data() + p * (TCK + K);
    for (std::size_t i = 0; i < TCK; ++i) {
      double s = 0;
      for (std::size_t l = 0; l < W; ++l) s += acc.get()[i * W + l];
      out[i] = s;
    }
  });
  for (std::size_t i = 0; i < TCK + (db ? K : 0); ++i) {
    double s = 0;
    for (std::size_t p = 0; p < parts; ++p) s += part[p * (TCK + K) + i];
    if (i < TCK)
      dw[i] = static_cast<float>(s);
    else
      db[i - TCK] = static_cast<float>(s);
  }
}

}  // namespace convkit
