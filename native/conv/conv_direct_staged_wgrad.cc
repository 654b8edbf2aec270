#include "conv/conv_direct_staged_wgrad.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "conv/conv_common.h"
#include "conv/direct_kernels.h"
#include "runtime/aligned.h"
#include "runtime/thread_pool.h"

namespace convkit {
namespace {

// Largest per-chunk row buffer (floats).
constexpr std::size_t kMaxStageFloats = std::size_t(4) << 20;
// Largest filter (floats) summed per chunk: 256 Ki floats = 1 MiB per chunk.
constexpr std::size_t kMaxFilterFloats = std::size_t(1) << 18;

std::size_t stage_width(const ConvDesc& d) {  // padded row width (pixels) the runs read
  return std::max((d.out[2] - 1) * d.stride[2] + (d.kernel[2] - 1) * d.dilation[2] + 1, d.pad_before[2] + d.in[2]);
}

// The block (CB channels x cob outputs) with the least work counting the lanes and channels its
// last blocks waste, with a small premium on the narrower output blocks (more broadcasts per
// multiply-add). AlexNet's 33 x 96: 12 x 32 blocks (36 x 96 computed) rather than 6 x 64 (36 x 128):
// 5.24-5.28 vs 6.99-7.06 ms (2 threads, busy machine); the stem's 21 x 64 stays 6 x 64.
const DirectVariant& pick_wgrad_variant(const DirectKernels& K, std::size_t cin, std::size_t Ko) {
  const double premium[3] = {1.0, 1.1, 1.3};
  double best = 1e300;
  int pick = 0;
  for (int i = 0; i < 3; ++i) {
    const std::size_t cob = (std::size_t)K.v[i].cob, CB = (std::size_t)K.v[i].CB;
    const double cost = (double)((Ko + cob - 1) / cob * cob) * (double)((cin + CB - 1) / CB * CB) * premium[i];
    if (cost < best) best = cost, pick = i;
  }
  return K.v[pick];
}

}  // namespace

bool conv_direct_staged_wgrad_ok(const ConvDesc& d) {
  if (d.groups != 1) return false;
  // Every chunk of output rows (4 per thread) sums into its own copy of the filter.
  if (d.filter_size() > kMaxFilterFloats) return false;
  return 2 * d.kernel[0] * d.kernel[1] * (stage_width(d) * d.C + 32) <= kMaxStageFloats;
}

void conv_direct_staged_wgrad(const ConvDesc& d, const float* x, const float* dy, float* dw, float* db,
                              const CancelToken& cancel) {
  const DirectKernels& K = direct_kernels();
  const std::size_t C = d.C, Ko = d.K, OW = d.out[2], W = d.in[2], padL = d.pad_before[2];
  const std::size_t rows = d.kernel[0] * d.kernel[1];
  // Without width dilation a kernel row's KW taps are one run of KW*Cin floats (filter rows
  // [kh][kw][c] consecutive too); with it, one run of Cin per kw.
  const bool merge = d.dilation[2] == 1;
  const std::size_t nkw = merge ? 1 : d.kernel[2], cin = merge ? d.kernel[2] * C : C;
  const DirectVariant& V = pick_wgrad_variant(K, cin, Ko);
  const std::size_t CB = (std::size_t)V.CB, cob = (std::size_t)V.cob;
  const std::ptrdiff_t pstride = (std::ptrdiff_t)(d.stride[2] * C);
  // In place when the row's runs stay inside the row (no left/right padding read): AlexNet.
  const bool in_place = padL == 0 && (OW - 1) * d.stride[2] + (d.kernel[2] - 1) * d.dilation[2] < W;
  std::size_t rowlen = (stage_width(d) * C + 15) / 16 * 16;
  if ((rowlen / 16) % 2 == 0) rowlen += 16;  // rows an odd number of cache lines apart (L1 sets)
  const std::size_t S = 2 * rows;            // slots: rows shared with the next output row stay staged
  std::array<std::vector<long>, 2> map;
  for (int i = 0; i < 2; ++i)
    map[i] = forward_tap_map(d.out[i], d.in[i], d.kernel[i], d.stride[i], d.dilation[i], d.pad_before[i]);
  const std::size_t nrows = d.N * d.out[0] * d.out[1], fsize = d.filter_size();
  const std::size_t nchunks = std::min<std::size_t>(nrows, 4 * (std::size_t)num_threads());
  const std::size_t step = (nrows + nchunks - 1) / nchunks, nch = (nrows + step - 1) / step;
  AlignedPtr<float> part = aligned_array<float>(nch * fsize);
  std::vector<double> dbp(db ? nch * Ko : 0, 0.0);

  parallel_for(nch, [&](std::size_t ch) {
    float* dwp = part.get() + ch * fsize;
    std::fill(dwp, dwp + fsize, 0.f);
    AlignedPtr<float> stage = aligned_array<float>(in_place ? 16 : S * rowlen + 16);
    if (!in_place) std::fill(stage.get(), stage.get() + S * rowlen + 16, 0.f);
    std::vector<long> held(S, -1);
    std::vector<std::size_t> used(S, 0);
    std::vector<const float*> src(rows);
    std::vector<float> rsum(db ? Ko : 0);
    std::size_t clock = 0;
    for (std::size_t r = ch * step; r < std::min(nrows, (ch + 1) * step); ++r) {
      cancel.check();
      ++clock;
      // Each kernel row's source: the padded staged row (or the input row itself), null in the
      // top/bottom padding.
      for_each_kernel_row(d, map, r, [&](std::size_t sr, long id) {
        src[sr] = nullptr;
        if (id < 0) return;
        if (in_place) {
          src[sr] = x + (std::size_t)id * W * C;
          return;
        }
        std::size_t slot = S;
        for (std::size_t k = 0; k < S && slot == S; ++k)
          if (held[k] == id) slot = k;
        if (slot == S) {
          for (std::size_t k = 0; k < S; ++k)
            if (used[k] != clock && (slot == S || used[k] < used[slot])) slot = k;
          std::memcpy(stage.get() + slot * rowlen + padL * C, x + (std::size_t)id * W * C, W * C * sizeof(float));
          held[slot] = id;
        }
        used[slot] = clock;
        src[sr] = stage.get() + slot * rowlen;
      });
      const float* dyrow = dy + r * OW * Ko;
      // dy is read from memory once (25.7 MB on the stem): while this row's kernels run, the next
      // row's dy and its new input rows are prefetched into L2.
      if (r + 1 < std::min(nrows, (ch + 1) * step)) {
        const char* q = reinterpret_cast<const char*>(dyrow + OW * Ko);
        for (std::size_t off = 0; off < OW * Ko * sizeof(float); off += 64) __builtin_prefetch(q + off, 0, 2);
        prefetch_kernel_rows(d, map, r + 1, x, W * C, [&](long id) {
          return !in_place && std::find(held.begin(), held.end(), id) != held.end();
        });
      }
      for (std::size_t sr = 0; sr < rows; ++sr) {
        if (!src[sr]) continue;
        for (std::size_t kw = 0; kw < nkw; ++kw) {
          const float* xr = src[sr] + kw * d.dilation[2] * C;
          float* dwt = dwp + (sr * nkw + kw) * cin * Ko;  // filter [kd][kh][kw][c][K]
          for (std::size_t c0 = 0; c0 < cin; c0 += CB) {
            const std::size_t cb = std::min(CB, cin - c0);
            for (std::size_t k0 = 0; k0 < Ko; k0 += cob) {
              const std::size_t nco = std::min(cob, Ko - k0);
              (nco == cob ? V.wifull : V.witail)(OW, xr + c0, pstride, dyrow + k0, Ko, cb, nco, dwt + c0 * Ko + k0, Ko);
            }
          }
        }
      }
      if (db) {
        // The row's bias sums in float, rows summed in double.
        // (restrict: without it the sums went through the stack on every add, 7% of the run)
        float* __restrict rs = rsum.data();
        const float* __restrict dq = dyrow;
        std::fill(rs, rs + Ko, 0.f);
        for (std::size_t p = 0; p < OW; ++p)
          for (std::size_t k = 0; k < Ko; ++k) rs[k] += dq[p * Ko + k];
        for (std::size_t k = 0; k < Ko; ++k) dbp[ch * Ko + k] += rs[k];
      }
    }
  });
  // Chunks summed in order, spread over the pool by filter slices.
  parallel_range(fsize, 4096, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) dw[i] = part.get()[i];
    for (std::size_t ch = 1; ch < nch; ++ch) {
      const float* q = part.get() + ch * fsize;
      for (std::size_t i = b; i < e; ++i) dw[i] += q[i];
    }
  });
  if (db) sum_partials(dbp.data(), nch, Ko, db);
}

}  // namespace convkit
