// Drivers of the direct convolution: they walk output rows, build per-(tap, pixel) row pointers
// (see direct_kernels.h) and call the register-blocked micro-kernels of the active ISA.
#include "conv/conv_direct.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "conv/conv_common.h"
#include "conv/conv_depthwise.h"
#include "conv/conv_depthwise_grad.h"
#include "conv/conv_direct_rows.h"
#include "conv/conv_direct_staged.h"
#include "conv/conv_direct_staged_wgrad.h"
#include "conv/direct_kernels.h"
#include "runtime/aligned.h"
#include "runtime/thread_pool.h"

namespace convkit {
namespace {

// The gather form shared by the forward pass and the input gradient:
//   dst[n, o, g*nco_g + j] = bias + sum_{tap, c} src[n, map(o, tap), g*inner + c] * w_g[tap][c][j]
struct Gather {
  std::size_t N, groups, inner, nco_g, src_C, dst_C;
  std::array<std::size_t, 3> odim, sdim, kdim;
  std::array<std::vector<long>, 3> map;  // per dimension, [o * k + t]
  const float* src;
  const float* w;
  std::size_t w_goff, ldw, wtap;
  const float* bias;
  float* dst;
  Activation act;
  float alpha;
  // Forward only: src column = ow*wstride - wpad + kw*wdil, linear in ow, which lets interior
  // blocks use the implicit-addressing kernels.
  bool linear = false;
  std::size_t wstride = 1, wdil = 1, wpad = 0;
};

void run_gather(const Gather& G, const CancelToken& cancel) {
  const DirectKernels& K = direct_kernels();
  const std::size_t T = G.kdim[0] * G.kdim[1] * G.kdim[2];
  const std::size_t rows = G.N * G.odim[0] * G.odim[1];
  const std::size_t OW = G.odim[2];
  std::vector<float> zero(std::max(G.src_C, G.dst_C) + 64, 0.f);

  // Channel block: the widest variant unless its masked tail wastes lanes the narrower ones would
  // not (96 channels = 3 x 32 rather than 64 + a half-empty 64), with a small premium on the
  // narrower blocks, which load fewer weight vectors per broadcast.
  int vi = 2;
  {
    const double premium[3] = {1.0, 1.1, 1.3};
    double best = 1e300;
    for (int i = 0; i < 3; ++i) {
      const std::size_t cob = (std::size_t)K.v[i].cob;
      const double cost = (double)((G.nco_g + cob - 1) / cob * cob) * premium[i];
      if (cost < best) best = cost, vi = i;
    }
  }
  const DirectVariant& V = K.v[vi];
  const std::size_t P = V.P;

  parallel_range(rows, 1, [&](std::size_t rb, std::size_t re) {
    std::vector<const float*> ptrs(T * P), gp(T * P);
    std::vector<std::ptrdiff_t> toff(T);
    std::vector<float*> outs(P);
    for (std::size_t r = rb; r < re; ++r) {
      cancel.check();
      std::size_t oh = r % G.odim[1], od = (r / G.odim[1]) % G.odim[0], n = r / (G.odim[1] * G.odim[0]);
      // Interior blocks (forward, groups of ordinary channels): every tap's row exists and the
      // block's columns stay inside the input; tap t of pixel ow reads
      //   src + toff[t] + ow*wstride*C,  toff[t] = (row(kd, kh)*W + kw*wdil - wpad)*C.
      bool row_in = G.linear;
      if (row_in) {
        std::size_t t = 0;
        for (std::size_t kd = 0; kd < G.kdim[0] && row_in; ++kd) {
          long sd = G.map[0][od * G.kdim[0] + kd];
          for (std::size_t kh = 0; kh < G.kdim[1] && row_in; ++kh) {
            long sh = G.map[1][oh * G.kdim[1] + kh];
            row_in = sd >= 0 && sh >= 0;
            for (std::size_t kw = 0; kw < G.kdim[2] && row_in; ++kw, ++t)
              toff[t] = ((((std::ptrdiff_t)n * (std::ptrdiff_t)G.sdim[0] + sd) * (std::ptrdiff_t)G.sdim[1] + sh) *
                             (std::ptrdiff_t)G.sdim[2] +
                         (std::ptrdiff_t)(kw * G.wdil) - (std::ptrdiff_t)G.wpad) *
                        (std::ptrdiff_t)G.src_C;
          }
        }
      }
      for (std::size_t ow0 = 0; ow0 < OW; ow0 += P) {
        std::size_t np = std::min(P, OW - ow0);
        if (row_in && np == P && ow0 * G.wstride >= G.wpad &&
            (ow0 + P - 1) * G.wstride + (G.kdim[2] - 1) * G.wdil < G.sdim[2] + G.wpad) {
          float* out0 = G.dst + (((n * G.odim[0] + od) * G.odim[1] + oh) * OW + ow0) * G.dst_C;
          const std::ptrdiff_t boff = (std::ptrdiff_t)(ow0 * G.wstride * G.src_C);
          const std::ptrdiff_t pstride = (std::ptrdiff_t)(G.wstride * G.src_C);
          for (std::size_t g = 0; g < G.groups; ++g) {
            const float* wg = G.w + g * G.w_goff;
            const float* bg = G.bias ? G.bias + g * G.nco_g : nullptr;
            for (std::size_t j0 = 0; j0 < G.nco_g; j0 += V.cob) {
              std::size_t nco = std::min<std::size_t>(V.cob, G.nco_g - j0);
              std::array<float*, 16> oj{};
              for (std::size_t p = 0; p < P; ++p) oj[p] = out0 + p * G.dst_C + g * G.nco_g + j0;
              (nco == (std::size_t)V.cob ? V.ifull : V.itail)(T, G.inner, G.src + g * G.inner, toff.data(), boff,
                                                            pstride, wg + j0, G.ldw, G.wtap, nco, oj.data(),
                                                            bg ? bg + j0 : nullptr);
            }
          }
          if (G.act != Activation::none) apply_activation(out0, P * G.dst_C, G.act, G.alpha);
          continue;
        }
        for (std::size_t p = 0; p < P; ++p) {
          std::size_t ow = ow0 + (p < np ? p : 0);
          std::size_t t = 0;
          for (std::size_t kd = 0; kd < G.kdim[0]; ++kd) {
            long sd = G.map[0][od * G.kdim[0] + kd];
            for (std::size_t kh = 0; kh < G.kdim[1]; ++kh) {
              long sh = G.map[1][oh * G.kdim[1] + kh];
              for (std::size_t kw = 0; kw < G.kdim[2]; ++kw, ++t) {
                long sw = G.map[2][ow * G.kdim[2] + kw];
                const float* q = zero.data();
                if (sd >= 0 && sh >= 0 && sw >= 0)
                  q = G.src + (((n * G.sdim[0] + sd) * G.sdim[1] + sh) * G.sdim[2] + sw) * G.src_C;
                ptrs[t * P + p] = q;
              }
            }
          }
          outs[p] = G.dst + (((n * G.odim[0] + od) * G.odim[1] + oh) * OW + ow0 + p) * G.dst_C;
        }
        for (std::size_t g = 0; g < G.groups; ++g) {
          std::size_t soff = g * G.inner;
          const float* const* use = ptrs.data();
          if (soff) {
            for (std::size_t i = 0; i < T * P; ++i) gp[i] = ptrs[i] == zero.data() ? ptrs[i] : ptrs[i] + soff;
            use = gp.data();
          }
          std::array<float*, 16> go{};
          for (std::size_t p = 0; p < P; ++p) go[p] = outs[p] + g * G.nco_g;
          const float* wg = G.w + g * G.w_goff;
          const float* bg = G.bias ? G.bias + g * G.nco_g : nullptr;
          for (std::size_t j0 = 0; j0 < G.nco_g; j0 += V.cob) {
            std::size_t nco = std::min<std::size_t>(V.cob, G.nco_g - j0);
            std::array<float*, 16> oj{};
            for (std::size_t p = 0; p < P; ++p) oj[p] = go[p] + j0;
            (nco == (std::size_t)V.cob ? V.full : V.tail)(T, G.inner, use, wg + j0, G.ldw, G.wtap, nco, np,
                                                        oj.data(), bg ? bg + j0 : nullptr);
          }
        }
        if (G.act != Activation::none)
          for (std::size_t p = 0; p < np; ++p) apply_activation(outs[p], G.dst_C, G.act, G.alpha);
      }
    }
  });
}

}  // namespace

void conv_direct_forward(const ConvDesc& d, const float* x, const float* w, const float* bias, float* y,
                         const CancelToken& cancel) {
  // Few input channels: vectorise over the output row instead of the output channels.
  if (conv_rows_preferred(d, ConvPass::forward)) return conv_rows_forward(d, x, w, bias, y, cancel);
  conv_direct_channels_forward(d, x, w, bias, y, cancel);
}

void conv_direct_channels_forward(const ConvDesc& d, const float* x, const float* w, const float* bias, float* y,
                                  const CancelToken& cancel) {
  // Depthwise: the row kernel vectorised over channels (conv_depthwise.h).
  if (conv_is_depthwise1(d)) return conv_depthwise_forward(d, x, w, bias, y, cancel);
  // Ordinary channels: every block through the implicit kernels over staged rows (conv_direct_staged.h).
  if (conv_direct_staged_ok(d)) return conv_direct_staged_forward(d, x, w, bias, y, cancel);
  Gather G;
  G.N = d.N;
  G.groups = d.groups;
  G.inner = d.cin_g();
  G.nco_g = d.cout_g();
  G.src_C = d.C;
  G.dst_C = d.K;
  G.odim = d.out;
  G.sdim = d.in;
  G.kdim = d.kernel;
  for (int i = 0; i < 3; ++i)
    G.map[i] = forward_tap_map(d.out[i], d.in[i], d.kernel[i], d.stride[i], d.dilation[i], d.pad_before[i]);
  G.src = x;
  G.w = w;
  G.w_goff = d.cout_g();
  G.ldw = d.K;
  G.wtap = d.cin_g() * d.K;
  G.bias = d.has_bias ? bias : nullptr;
  G.dst = y;
  G.act = d.act;
  G.alpha = d.leaky_alpha;
  G.linear = true;
  G.wstride = d.stride[2];
  G.wdil = d.dilation[2];
  G.wpad = d.pad_before[2];
  run_gather(G, cancel);
}

void conv_direct_dgrad(const ConvDesc& d, const float* dy, const float* w, float* dx, const CancelToken& cancel) {
  if (conv_rows_preferred(d, ConvPass::dgrad)) return conv_rows_dgrad(d, dy, w, dx, cancel);
  conv_direct_channels_dgrad(d, dy, w, dx, cancel);
}

void conv_direct_channels_dgrad(const ConvDesc& d, const float* dy, const float* w, float* dx,
                                const CancelToken& cancel) {
  // Depthwise: row kernels vectorised over channels (conv_depthwise_grad.h).
  if (conv_is_depthwise1(d)) return conv_depthwise_dgrad(d, dy, w, dx, cancel);
  Gather G;
  G.N = d.N;
  G.groups = d.groups;
  G.inner = d.cout_g();
  G.nco_g = d.cin_g();
  G.src_C = d.K;
  G.dst_C = d.C;
  G.odim = d.in;
  G.sdim = d.out;
  G.kdim = d.kernel;
  for (int i = 0; i < 3; ++i)
    G.map[i] = gradient_tap_map(d.in[i], d.out[i], d.kernel[i], d.stride[i], d.dilation[i], d.pad_before[i]);
  G.src = dy;
  AlignedPtr<float> wt = aligned_array<float>(d.filter_size());
  transpose_filter_groups(d, w, wt.get());
  G.w = wt.get();
  G.w_goff = d.taps() * d.cout_g() * d.cin_g();
  G.ldw = d.cin_g();
  G.wtap = d.cout_g() * d.cin_g();
  G.bias = nullptr;
  G.dst = dx;
  G.act = Activation::none;
  G.alpha = 0;
  run_gather(G, cancel);
}

void conv_direct_wgrad(const ConvDesc& d, const float* x, const float* dy, float* dw, float* db,
                       const CancelToken& cancel) {
  if (conv_rows_preferred(d, ConvPass::wgrad)) return conv_rows_wgrad(d, x, dy, dw, db, cancel);
  conv_direct_channels_wgrad(d, x, dy, dw, db, cancel);
}

void conv_direct_channels_wgrad(const ConvDesc& d, const float* x, const float* dy, float* dw, float* db,
                                const CancelToken& cancel) {
  if (conv_is_depthwise1(d)) return conv_depthwise_wgrad(d, x, dy, dw, db, cancel);
  if (conv_direct_staged_wgrad_ok(d)) return conv_direct_staged_wgrad(d, x, dy, dw, db, cancel);
  const DirectKernels& K = direct_kernels();
  const std::size_t T = d.taps(), cg = d.cin_g(), og = d.cout_g();
  const std::size_t npix = d.N * d.out_pixels();
  std::array<std::vector<long>, 3> map;
  for (int i = 0; i < 3; ++i)
    map[i] = forward_tap_map(d.out[i], d.in[i], d.kernel[i], d.stride[i], d.dilation[i], d.pad_before[i]);
  std::fill(dw, dw + d.filter_size(), 0.f);
  constexpr std::size_t kChunk = 256;

  // Source pixel index (or -1) of every output pixel in [p0, p0 + n) through tap t, written to src[];
  // pixel coordinates are stepped rather than divided out per pixel.
  auto srcs_of = [&](std::size_t p0, std::size_t cnt, std::size_t t, long* src) {
    std::size_t kw = t % d.kernel[2], kh = (t / d.kernel[2]) % d.kernel[1], kd = t / (d.kernel[2] * d.kernel[1]);
    std::size_t ow = p0 % d.out[2], oh = (p0 / d.out[2]) % d.out[1], od = (p0 / (d.out[2] * d.out[1])) % d.out[0];
    std::size_t n = p0 / d.out_pixels();
    for (std::size_t i = 0; i < cnt; ++i) {
      long sd = map[0][od * d.kernel[0] + kd], sh = map[1][oh * d.kernel[1] + kh], sw = map[2][ow * d.kernel[2] + kw];
      src[i] = (sd < 0 || sh < 0 || sw < 0) ? -1 : static_cast<long>(((n * d.in[0] + sd) * d.in[1] + sh) * d.in[2] + sw);
      if (++ow == d.out[2]) {
        ow = 0;
        if (++oh == d.out[1]) {
          oh = 0;
          if (++od == d.out[0]) od = 0, ++n;
        }
      }
    }
  };

  {
    int vi = og >= (std::size_t)K.v[0].cob ? 0 : og >= (std::size_t)K.v[1].cob ? 1 : 2;
    const DirectVariant& V = K.v[vi];
    const std::size_t CB = V.CB, ncb = (cg + CB - 1) / CB;
    parallel_for(d.groups * T * ncb, [&](std::size_t task) {
      std::size_t cb_i = task % ncb, t = (task / ncb) % T, g = task / (ncb * T);
      std::size_t c0 = cb_i * CB, cb = std::min(CB, cg - c0);
      std::vector<const float*> xp(kChunk), dp(kChunk), xs(kChunk), ds(kChunk);
      std::vector<long> src(kChunk);
      float* dwt = dw + (t * cg + c0) * d.K + g * og;
      for (std::size_t p0 = 0; p0 < npix; p0 += kChunk) {
        cancel.check();
        std::size_t m = 0, cnt = std::min(kChunk, npix - p0);
        srcs_of(p0, cnt, t, src.data());
        for (std::size_t p = p0; p < p0 + cnt; ++p) {
          long s = src[p - p0];
          if (s < 0) continue;
          xp[m] = x + s * d.C + g * cg + c0;
          dp[m] = dy + p * d.K + g * og;
          ++m;
        }
        for (std::size_t j0 = 0; j0 < og; j0 += V.cob) {
          std::size_t nco = std::min<std::size_t>(V.cob, og - j0);
          for (std::size_t i = 0; i < m; ++i) ds[i] = dp[i] + j0;
          (nco == (std::size_t)V.cob ? V.wfull : V.wtail)(m, xp.data(), ds.data(), cb, nco, dwt + j0, d.K);
        }
      }
    });
  }
  if (db) bias_gradient(dy, npix, d.K, db);
}

}  // namespace convkit
