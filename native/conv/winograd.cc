#include "conv/winograd.h"

#include <algorithm>
#include <cstring>

#include "conv/conv_common.h"
#include "dispatch/cpu.h"
#include "gemm/gemm.h"
#include "gemm/gemm_config.h"
#include "runtime/thread_pool.h"

namespace convkit {
namespace {

// Lavin & Gray (2016), section 4.1 (F(2x2,3x3)) and 4.2 (F(4x4,3x3)).
// F(2,3):  B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
//          G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
//          A^T = [1 1 1 0; 0 1 -1 -1]
const float kBT2[16] = {1, 0, -1, 0, 0, 1, 1, 0, 0, -1, 1, 0, 0, 1, 0, -1};
const float kG2[12] = {1, 0, 0, .5f, .5f, .5f, .5f, -.5f, .5f, 0, 0, 1};
const float kAT2[8] = {1, 1, 1, 0, 0, 1, -1, -1};
// F(4,3):  B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
//          G   = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
//          A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
const float kBT4[36] = {4, 0, -5, 0,  1, 0, 0, -4, -4, 1, 1, 0, 0, 4, -4, -1, 1, 0,
                        0, -2, -1, 2, 1, 0, 0, 2,  -1, -2, 1, 0, 0, 4, 0,  -5, 0, 1};
const float kG4[18] = {1.f / 4,  0,         0,        -1.f / 6, -1.f / 6, -1.f / 6, -1.f / 6, 1.f / 6, -1.f / 6,
                       1.f / 24, 1.f / 12,  1.f / 6,  1.f / 24, -1.f / 12, 1.f / 6, 0,        0,       1};
const float kAT4[24] = {1, 1, 1, 1, 1, 0, 0, 1, -1, 2, -2, 0, 0, 1, 1, 4, 4, 0, 0, 1, -1, 8, -8, 1};

struct Mats {
  int m, a;
  const float *BT, *G, *AT;
};
Mats mats(int m) { return m == 2 ? Mats{2, 4, kBT2, kG2, kAT2} : Mats{4, 6, kBT4, kG4, kAT4}; }

// Tiles per block (the M of the a*a batched GEMMs): at most 64 (F2) / 32 (F4), which sizes the
// workspace, and a multiple of the GEMM's micro-tile rows when one fits, so the products end on
// whole micro-tiles (AVX-512 MR = 14: 28 and 56 rather than 32 = 2 x 14 + a 4-row tail tile and
// 64 = 4 x 14 + 8, which cost 7.6% of the F4 forward on VGG).
std::size_t max_tiles_per_block(int m) { return m == 2 ? 64 : 32; }
std::size_t tiles_per_block(int m) {
  const std::size_t cap = max_tiles_per_block(m);
  const std::size_t mr = static_cast<std::size_t>(std::max(1, gemm::gemm_config(active_isa()).mr));
  return mr <= cap ? cap / mr * mr : cap;
}

}  // namespace

const WinogradKernels& winograd_kernels() {
  switch (active_isa()) {
    case Isa::avx512: return winograd_kernels_avx512();
    case Isa::avx2: return winograd_kernels_avx2();
    default: return winograd_kernels_scalar();
  }
}

std::string winograd_unsupported_reason(const ConvDesc& d) {
  if (d.kernel[0] != 1 || d.pad_before[0] || d.pad_after[0]) return "Winograd is 2-D only (kernel depth 1)";
  if (d.kernel[1] != 3 || d.kernel[2] != 3) return "Winograd needs a 3x3 kernel";
  for (int i = 0; i < 3; ++i)
    if (d.stride[i] != 1) return "Winograd needs stride 1";
  if (d.groups != 1) return "Winograd needs groups = 1";
  return "";
}

void winograd_prepare(const ConvDesc& d, int m, const float* w, WinogradWeights* out) {
  std::string why = winograd_unsupported_reason(d);
  if (!why.empty()) throw Unsupported("conv algorithm 'winograd': " + why + " (" + d.str() + ")");
  const Mats M = mats(m);
  const std::size_t C = d.C, K = d.K, a = M.a;
  out->m = m;
  out->C = C;
  out->K = K;
  out->U = aligned_array<float>(a * a * C * K);
  float* U = out->U.get();
  // U[i][j][c][k] = sum_{p,q} G[i][p] g[p][q] G[j][q], vectorised over k (contiguous in HWIO):
  // for input channel c, tap (p, q) is the K-vector w[((p*3+q)*C + c)*K ...].
  const WinogradKernels& WK = winograd_kernels();
  parallel_range(C, 8, [&](std::size_t c0, std::size_t c1) {
    for (std::size_t c = c0; c < c1; ++c) WK.filter((int)a, M.G, w + c * K, C * K, K, U + c * K, C * K);
  });
}

namespace {
std::size_t slice_floats(const ConvDesc& d, int m) {
  const std::size_t a = m + 2, tb = max_tiles_per_block(m), CK = std::max(d.C, d.K);
  // patch + tmp + V + M + Y tile
  return a * a * d.C + a * a * CK + a * a * tb * d.C + a * a * tb * d.K + m * m * d.K + 64;
}
}  // namespace

void winograd_pack(WinogradWeights* w) {
  const std::size_t a = static_cast<std::size_t>(w->m) + 2, CK = w->C * w->K;
  w->packed.clear();
  w->packed_isa = active_isa();
  for (std::size_t xi = 0; xi < a * a; ++xi) w->packed.push_back(pack_b(false, w->C, w->K, w->U.get() + xi * CK, w->K));
}

std::size_t winograd_workspace(const ConvDesc& d, int m) {
  return static_cast<std::size_t>(std::max(1, num_threads())) * slice_floats(d, m);
}

void conv_winograd_forward(const ConvDesc& d, const WinogradWeights& UW, const float* x, const float* bias, float* y,
                           float* ws, const CancelToken& cancel) {
  std::string why = winograd_unsupported_reason(d);
  if (!why.empty()) throw Unsupported("conv algorithm 'winograd': " + why + " (" + d.str() + ")");
  if (UW.C != d.C || UW.K != d.K) throw InvalidArgument("winograd: prepared weights do not match the descriptor");
  const int m = UW.m;
  const Mats Mt = mats(m);
  const std::size_t a = Mt.a, aa = a * a, C = d.C, K = d.K, tb = tiles_per_block(m);
  const std::size_t OH = d.out[1], OW = d.out[2], IH = d.in[1], IW = d.in[2];
  // Dilation dh x dw: the outputs of one phase (oy % dh, ox % dw) form an ordinary 3x3 convolution
  // of the input pixels of the same phase (output oy reads rows oy - pt + dh*kh), so tiles are cut
  // from each phase's decimated grid (ceil(OH/dh) x ceil(OW/dw), the shorter phases' extra row or
  // column falling outside the output) and read/write every dh-th row and dw-th column. With
  // dilation 1 there is one phase and this is the plain tiling.
  const std::size_t dh = d.dilation[1], dw = d.dilation[2];
  const std::size_t th = ((OH + dh - 1) / dh + m - 1) / m, tw = ((OW + dw - 1) / dw + m - 1) / m;
  const std::size_t tpp = th * tw;  // tiles per phase
  const std::size_t ntiles = d.N * d.out[0] * dh * dw * tpp, nblocks = (ntiles + tb - 1) / tb;
  const std::size_t slice = slice_floats(d, m);
  const std::size_t nw = static_cast<std::size_t>(std::max(1, num_threads()));
  AlignedPtr<float> own;
  if (!ws) {
    own = aligned_array<float>(slice * nw);
    ws = own.get();
  }
  const WinogradKernels& WK = winograd_kernels();
  const long pt = static_cast<long>(d.pad_before[1]), pl = static_cast<long>(d.pad_before[2]);

  // Workers take whole tile blocks. With fewer blocks than workers (a 14x14 or 7x7 layer at batch 1
  // is one block) that would leave threads idle, so the blocks run in order on the caller and the
  // batched products inside go parallel instead: those products are the cost there, reading the
  // whole transformed filter for a handful of tiles (ResNet-18's 14x14x256 layer at batch 1:
  // 2.55 ms on one worker).
  auto worker = [&](std::size_t wk, std::size_t nworkers) {
    float* patch = ws + wk * slice;
    float* tmp = patch + aa * C;
    float* V = tmp + aa * std::max(C, K);
    float* Mb = V + aa * tb * C;
    float* Yt = Mb + aa * tb * K;
    for (std::size_t blk = wk; blk < nblocks; blk += nworkers) {
      cancel.check();
      std::size_t t0 = blk * tb, nt = std::min(tb, ntiles - t0);
      // 1. input transforms, V[xi][tile][c]
      for (std::size_t i = 0; i < nt; ++i) {
        const std::size_t t = t0 + i, tx = t % tw, ty = (t / tw) % th, ph = t / tpp;
        const std::size_t px = ph % dw, py = (ph / dw) % dh, nd = ph / (dw * dh);  // nd = n*D + depth
        const long iy0 = static_cast<long>(py + ty * m * dh) - pt, ix0 = static_cast<long>(px + tx * m * dw) - pl;
        const float* img = x + nd * IH * IW * C;
        if (m == 4 && iy0 >= 0 && iy0 + (long)(5 * dh) < (long)IH && ix0 >= 0 && ix0 + (long)(5 * dw) < (long)IW) {
          // Interior tile: the fixed F4 transform reads it in place.
          WK.input4(img + ((std::size_t)iy0 * IW + (std::size_t)ix0) * C, (std::ptrdiff_t)(dh * IW * C),
                    (std::ptrdiff_t)(dw * C), C, V + i * C, tb * C);
          continue;
        }
        for (std::size_t r = 0; r < a; ++r) {
          long iy = iy0 + static_cast<long>(r * dh);
          float* prow = patch + r * a * C;
          if (iy < 0 || iy >= static_cast<long>(IH)) {
            std::memset(prow, 0, a * C * sizeof(float));
            continue;
          }
          for (std::size_t s = 0; s < a; ++s) {
            long ix = ix0 + static_cast<long>(s * dw);
            if (ix < 0 || ix >= static_cast<long>(IW))
              std::memset(prow + s * C, 0, C * sizeof(float));
            else
              std::memcpy(prow + s * C, img + (iy * IW + ix) * C, C * sizeof(float));
          }
        }
        if (m == 4)
          WK.input4(patch, (std::ptrdiff_t)(a * C), (std::ptrdiff_t)C, C, V + i * C, tb * C);
        else
          WK.input(static_cast<int>(a), Mt.BT, patch, C, tmp, V + i * C, tb * C);
      }
      // 2. a*a independent products over channels, M[xi] = V[xi] * U[xi]
      if (UW.packed.size() == aa && UW.packed_isa == active_isa()) {
        // Over the pool when the caller runs the blocks, inline inside a worker's block.
        parallel_for(aa, [&](std::size_t xi) {
          sgemm_packed(false, nt, 1.f, V + xi * tb * C, C, *UW.packed[xi], 0.f, Mb + xi * tb * K, K);
        });
      } else {
        sgemm_strided_batched(false, false, nt, K, C, 1.f, V, C, tb * C, UW.U.get(), K, C * K, 0.f, Mb, K, tb * K, aa);
      }
      // 3. output transforms, bias, activation, store the part inside the image
      for (std::size_t i = 0; i < nt; ++i) {
        const std::size_t t = t0 + i, tx = t % tw, ty = (t / tw) % th, ph = t / tpp;
        const std::size_t px = ph % dw, py = (ph / dw) % dh, nd = ph / (dw * dh);
        const std::size_t oy0 = py + ty * m * dh, ox0 = px + tx * m * dw;
        if (m == 4 && oy0 + 3 * dh < OH && ox0 + 3 * dw < OW) {
          // Whole tile inside the output: transform, add the bias and store in place.
          float* y0 = y + ((nd * OH + oy0) * OW + ox0) * K;
          WK.output4(Mb + i * K, tb * K, K, d.has_bias ? bias : nullptr, y0, (std::ptrdiff_t)(dh * OW * K),
                     (std::ptrdiff_t)(dw * K));
          if (d.act != Activation::none)
            for (int r = 0; r < 4; ++r)
              for (int s = 0; s < 4; ++s) apply_activation(y0 + (r * dh * OW + s * dw) * K, K, d.act, d.leaky_alpha);
          continue;
        }
        if (m == 4)
          WK.output4(Mb + i * K, tb * K, K, nullptr, Yt, (std::ptrdiff_t)(4 * K), (std::ptrdiff_t)K);
        else
          WK.output(static_cast<int>(a), m, Mt.AT, Mb + i * K, tb * K, K, tmp, Yt);
        for (int r = 0; r < m; ++r) {
          std::size_t oy = py + (ty * m + r) * dh;
          if (oy >= OH) break;
          for (int s = 0; s < m; ++s) {
            std::size_t ox = px + (tx * m + s) * dw;
            if (ox >= OW) break;
            float* dst = y + ((nd * OH + oy) * OW + ox) * K;
            const float* src = Yt + (r * m + s) * K;
            if (d.has_bias)
              for (std::size_t k = 0; k < K; ++k) dst[k] = src[k] + bias[k];
            else
              std::memcpy(dst, src, K * sizeof(float));
            apply_activation(dst, K, d.act, d.leaky_alpha);
          }
        }
      }
    }
  };
  if (nblocks < nw)
    worker(0, 1);
  else
    parallel_for(nw, [&](std::size_t wk) { worker(wk, nw); });
}

}  // namespace convkit
