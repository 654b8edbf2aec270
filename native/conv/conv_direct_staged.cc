#include "conv/conv_direct_staged.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <vector>

#include "conv/conv_common.h"
#include "conv/direct_kernels.h"
#include "runtime/aligned.h"
#include "runtime/thread_pool.h"

namespace convkit {
namespace {

// Largest per-thread row buffer (floats) before the pointer-table driver is used instead.
constexpr std::size_t kMaxStageFloats = std::size_t(4) << 20;

// Output rows go to the workers in runs claimed from a shared counter, each ceil(left / (2*threads))
// of the rows still left but at least kMinChunkMacs multiply-adds (OpenMP's "guided" schedule):
// the first runs are long (a quarter of the rows on 2 threads, so a quiet machine splits much as
// equal shares would), the last ones a row or two, so the workers finish within about a row of
// each other even when one of them lost time to another process. parallel_range's 8 equal runs
// (one image each on the stem and AlexNet) left the faster worker idle for up to a run (~0.5 ms)
// under contention and 0.11 ms (median) on a quiet machine. Each worker keeps its staged rows
// across its runs and claims its next run one row early, so the source rows of the run's first
// row are prefetched like any other's. Session 9, 2 threads, `convkit_bench conv stem|alexnet`,
// 4 interleaved process pairs, busy machine, medians: stem 4.61-4.90 -> 4.59-4.66 ms, AlexNet
// 4.13-4.28 -> 4.05-4.14 (new ahead in every pair); with the floor at 8e6 (stem 8 rows, AlexNet 4)
// AlexNet's medians were 4.05-4.52 against 4.04-4.22 at 2e6 (about one row on both).
constexpr double kMinChunkMacs = 2e6;

// Blocks a row of OW pixels splits into with P-pixel kernels: with OW = m*P + r, k = P - r blocks
// of P - 1 pixels (DirectVariant::ifull1) and the rest of P cover it exactly when OW >= k*(P - 1);
// else ceil(OW / P) blocks of P, the last partial. `nP` of them have P pixels.
struct RowSplit {
  std::size_t nblk, nP, pixels;  // blocks, blocks of P pixels, pixels computed
};
RowSplit row_split(std::size_t OW, std::size_t P) {
  const std::size_t k = (P - OW % P) % P;
  if (k > 0 && OW >= k * (P - 1)) return {(OW - k * (P - 1)) / P + k, (OW - k * (P - 1)) / P, OW};
  const std::size_t n = (OW + P - 1) / P;
  return {n, n, n * P};
}

// Channel block and pixels per block: the variant with the least work counting the lanes wasted in
// the last channel block (96 channels = 3 x 32 or 2 x 48 rather than 64 + a half-empty 64) and the
// pixels wasted in a row's partial last block (none when the row splits exactly, row_split), with a
// small premium on the narrower blocks, which broadcast each input value to fewer weight vectors.
const DirectVariant& pick_variant(const DirectKernels& K, std::size_t nco_g, std::size_t OW) {
  const DirectVariant* cand[4] = {&K.v[0], &K.v3, &K.v[1], &K.v[2]};
  const double premium[4] = {1.0, 1.03, 1.1, 1.3};
  double best = 1e300;
  const DirectVariant* pick = cand[0];
  for (int i = 0; i < 4; ++i) {
    const std::size_t cob = (std::size_t)cand[i]->cob, P = (std::size_t)cand[i]->P;
    const double cost = (double)((nco_g + cob - 1) / cob * cob) * (double)row_split(OW, P).pixels * premium[i];
    if (cost < best) best = cost, pick = cand[i];
  }
  return *pick;
}

struct Geometry {
  std::size_t P, nblk, rows, wbuf;  // pixels per block, blocks per row, staged rows, buffer width (pixels)
};

Geometry geometry(const ConvDesc& d, std::size_t P) {
  Geometry g;
  g.P = P;
  g.nblk = (d.out[2] + P - 1) / P;
  g.rows = d.kernel[0] * d.kernel[1];
  // The last block's last pixel reads buffer column (nblk*P - 1)*stride + (KW-1)*dil; the source
  // row itself occupies [pad, pad + W).
  g.wbuf = std::max((g.nblk * P - 1) * d.stride[2] + (d.kernel[2] - 1) * d.dilation[2] + 1, d.pad_before[2] + d.in[2]);
  return g;
}

}  // namespace

bool conv_direct_staged_ok(const ConvDesc& d) {
  if (d.cin_g() == 1 && d.cout_g() == 1 && d.groups > 1) return false;  // depthwise has its own kernel
  const DirectKernels& K = direct_kernels();
  const Geometry g = geometry(d, (std::size_t)pick_variant(K, d.cout_g(), d.out[2]).P);
  return 2 * g.rows * g.wbuf * d.C <= kMaxStageFloats;  // the slots below
}

void conv_direct_staged_forward(const ConvDesc& d, const float* x, const float* w, const float* bias, float* y,
                                const CancelToken& cancel) {
  const DirectKernels& K = direct_kernels();
  const std::size_t C = d.C, Ko = d.K, cg = d.cin_g(), og = d.cout_g(), OW = d.out[2];
  const DirectVariant& V = pick_variant(K, og, OW);
  const Geometry geo = geometry(d, (std::size_t)V.P);
  // Staged rows start on cache lines, an odd number of lines apart: rows a multiple of 4 KiB apart
  // would all map to the same L1 sets (the taps of one pixel read them together).
  std::size_t rowlen = (geo.wbuf * C + 15) / 16 * 16;
  if ((rowlen / 16) % 2 == 0) rowlen += 16;
  const std::size_t P = geo.P;
  std::array<std::vector<long>, 2> map;
  for (int i = 0; i < 2; ++i)
    map[i] = forward_tap_map(d.out[i], d.in[i], d.kernel[i], d.stride[i], d.dilation[i], d.pad_before[i]);
  // Without groups or width dilation, the KW taps of one kernel row read KW*Cin consecutive floats
  // of the staged row (pixel col+kw, channel c at (col+kw)*Cin + c) and their weights [kh][kw][c][:]
  // are consecutive rows of the filter, so a kernel row is ONE tap of KW*Cin channels: the kernel's
  // inner loop runs 21 (7x7 on RGB) or 33 (11x11) times instead of 3.
  const bool merge = d.groups == 1 && d.dilation[2] == 1;
  const std::size_t T = merge ? geo.rows : geo.rows * d.kernel[2];
  const std::size_t cin = merge ? d.kernel[2] * cg : cg;
  const std::size_t wtap = cin * Ko;  // filter [KD][KH][KW][cg][K]
  const std::ptrdiff_t pstride = (std::ptrdiff_t)(d.stride[2] * C);
  const std::size_t nrows = d.N * d.out[0] * d.out[1];
  // Slots of staged rows per worker: twice the rows one output row reads, so the rows the next
  // output row shares with this one (KH - stride of them) stay staged and only new rows are copied
  // (with stride 2 on a 7x7 kernel, 2 copies per output row instead of 7).
  const std::size_t S = 2 * geo.rows;
  // 7x7/2 stem (112 = 17 x 6 + 2 x 5 instead of 19 x 6 with 2 pixels computed and dropped per row),
  // interleaved A/B minima of 4 process pairs each: 1 thread 9.88-10.10 -> 9.67-9.81 ms, 2 threads
  // median 5.36 -> 4.91; AlexNet (55 = 6 x 8 + 7) 1 thread median 8.79 -> 8.66.
  const RowSplit split = row_split(OW, P);
  const std::size_t nP = split.nP, nblk = split.nblk;

  // Which blocks must read staged rows. A row's blocks are the same for every output row: block b
  // covers buffer columns [ow0*stride, (ow0 + bp - 1)*stride + (KW-1)*dil]; it is an edge block when
  // that range reaches into the left padding (< padL) or past the source row (>= padL + W). Every
  // other block reads the input row in place, at source column = buffer column - padL, so an output
  // row whose kernel rows all exist (no top/bottom padding) copies only the columns its edge blocks
  // read: none on AlexNet's valid 11x11/4, ~2 x 16 pixels of the stem's 224 (it copied 2 whole rows
  // per output row before, ~3% of a single-thread run in memmove).
  struct Block {
    std::size_t ow0, bp;
    bool shortb, edge;
  };
  std::vector<Block> blocks(nblk);
  const std::size_t padL = d.pad_before[2], W = d.in[2], span = (d.kernel[2] - 1) * d.dilation[2];
  std::size_t lend = 0, rbeg = geo.wbuf;  // the edge blocks read buffer columns [0, lend) and [rbeg, wbuf)
  bool any_interior = false, any_edge = false;
  for (std::size_t b = 0, ow0 = 0; b < nblk; ++b) {
    const bool shortb = b >= nP;
    const std::size_t bp = shortb ? P - 1 : P, first = ow0 * d.stride[2], last = (ow0 + bp - 1) * d.stride[2] + span;
    const bool left = first < padL, right = last >= padL + W;
    blocks[b] = {ow0, bp, shortb, left || right};
    if (left) lend = std::max(lend, last + 1);
    if (right) rbeg = std::min(rbeg, first);
    any_interior |= !(left || right);
    any_edge |= left || right;
    ow0 += bp;
  }
  // Source columns an edge-only staging copies: [0, c1) and [c2, W); the whole row when they meet.
  std::size_t c1 = std::min(W, lend > padL ? lend - padL : 0), c2 = rbeg > padL ? std::min(W, rbeg - padL) : 0;
  if (c2 <= c1) c1 = c2 = W;
  const std::size_t cstride = d.in[2] * C;  // floats per input row

  // claim(rb, re) -> bool hands the worker its next run of output rows.
  auto worker = [&](auto&& claim) {
    // Claim first: a worker that finds no rows left (a small layer, or a nested region running
    // the workers one after another) sets up nothing.
    std::size_t rb = 0, re = 0;
    if (!claim(rb, re)) return;
    AlignedPtr<float> stage = aligned_array<float>(S * rowlen + 16);
    std::fill(stage.get(), stage.get() + S * rowlen + 16, 0.f);
    // Per slot: the source row it holds (image row index (n*D + d)*H + h), -1 = zeros; whether all of
    // it is copied (or only the edge blocks' columns); when it was last used (for eviction).
    std::vector<long> held(S, -1), ids(geo.rows);
    std::vector<char> whole(S, 1);
    std::vector<std::size_t> used(S, 0), assigned(geo.rows);
    std::vector<std::ptrdiff_t> toff(T), toffx(T);
    AlignedPtr<float> tail = aligned_array<float>(P * Ko);
    std::size_t clock = 0;
    for (std::size_t r = rb;;) {
      cancel.check();
      ++clock;
      bool vpad = false;
      for_each_kernel_row(d, map, r, [&](std::size_t sr, long id) {
        ids[sr] = id;
        vpad |= id < 0;
      });
      // A row with top/bottom padding (or with no interior block) stages every block's rows whole,
      // the zero rows included; otherwise only the edge blocks read staged columns.
      const bool all_staged = vpad || !any_interior;
      if (all_staged || any_edge) {
        for (std::size_t sr = 0; sr < geo.rows; ++sr) {
          const long id = ids[sr];
          std::size_t slot = S;
          for (std::size_t k = 0; k < S && slot == S; ++k)
            if (held[k] == id) slot = k;
          const bool fresh = slot == S;
          if (fresh) {
            // Evict the least recently used slot not already taken by this output row.
            for (std::size_t k = 0; k < S; ++k)
              if (used[k] != clock && (slot == S || used[k] < used[slot])) slot = k;
          }
          float* dst = stage.get() + slot * rowlen + padL * C;
          if (id < 0) {
            if (fresh) std::fill(dst, dst + cstride, 0.f), whole[slot] = 1;
          } else if (fresh || (all_staged && !whole[slot])) {
            // Copy all of the row, or only the edge blocks' columns (the rest of the slot is then
            // stale and never read; a later whole staging of the same row completes it).
            const float* src = x + (std::size_t)id * cstride;
            if (all_staged) {
              std::memcpy(dst, src, cstride * sizeof(float));
            } else {
              std::memcpy(dst, src, c1 * C * sizeof(float));
              std::memcpy(dst + c2 * C, src + c2 * C, (W - c2) * C * sizeof(float));
            }
            whole[slot] = all_staged || (c1 == W);
          }
          held[slot] = id;
          used[slot] = clock;
          assigned[sr] = slot;
        }
      }
      // Prefetch (into L2) the source rows the next output row reads that this one does not: the
      // in-place reads and the row copies would otherwise take them from memory (AlexNet: 6% of a
      // single-thread run in the copies' rep movsb before this prefetch), and this output row's
      // kernel calls give the prefetches ample time. Measured with the per-call zero fill of `oj`
      // below dropped too (1 thread, CPU-time minima of 6 interleaved runs, busy machine): stem
      // 12.9-13.1 -> 12.2-12.7 ms (12.3-12.9 without the prefetch), AlexNet median 10.2 -> 10.0.
      // The next row of this worker: r + 1 inside the run, else the first of the next run, claimed
      // now (one row early) so that its source rows are prefetched too.
      std::size_t rn = r + 1;
      if (rn == re) {
        std::size_t nb = 0, ne = 0;
        if (claim(nb, ne))
          rb = nb, re = ne, rn = nb;
        else
          rn = nrows;  // none
      }
      if (rn < nrows)
        prefetch_kernel_rows(d, map, rn, x, cstride,
                             [&](long id) { return std::find(ids.begin(), ids.end(), id) != ids.end(); });
      // Tap offsets: into the staged slots (from the stage), and into the input rows themselves
      // (from x; with boff = ow0*stride*C an interior block's sum is >= the row's start).
      for (std::size_t sr = 0, t = 0; sr < geo.rows; ++sr)
        for (std::size_t kw = 0; kw < (merge ? 1 : d.kernel[2]); ++kw, ++t) {
          if (all_staged || any_edge) toff[t] = (std::ptrdiff_t)(assigned[sr] * rowlen + kw * d.dilation[2] * C);
          if (!all_staged)
            toffx[t] = (ids[sr] * (std::ptrdiff_t)W + (std::ptrdiff_t)(kw * d.dilation[2]) - (std::ptrdiff_t)padL) *
                       (std::ptrdiff_t)C;
        }
      float* yrow = y + r * OW * Ko;
      for (const Block& blk : blocks) {
        // The first nP blocks have P pixels, the rest P - 1 (DirectVariant::ifull1); without P - 1
        // blocks the last may be partial and goes through the tail buffer.
        const std::size_t bp = blk.bp, ow0 = blk.ow0, np = std::min(bp, OW - ow0);
        float* out0 = np == bp ? yrow + ow0 * Ko : tail.get();
        const std::ptrdiff_t boff = (std::ptrdiff_t)(ow0 * d.stride[2] * C);
        const bool staged = all_staged || blk.edge;
        const float* base = staged ? stage.get() : x;
        const std::ptrdiff_t* offs = staged ? toff.data() : toffx.data();
        for (std::size_t g = 0; g < d.groups; ++g) {
          const float* wg = w + g * og;
          const float* bg = d.has_bias ? bias + g * og : nullptr;
          for (std::size_t j0 = 0; j0 < og; j0 += V.cob) {
            const std::size_t nco = std::min<std::size_t>(V.cob, og - j0);
            std::array<float*, 16> oj;  // the kernel reads the first bp (no zero fill per call)
            for (std::size_t p = 0; p < bp; ++p) oj[p] = out0 + p * Ko + g * og + j0;
            const bool full = nco == (std::size_t)V.cob;
            (blk.shortb ? (full ? V.ifull1 : V.itail1) : (full ? V.ifull : V.itail))(
                T, cin, base + g * cg, offs, boff, pstride, wg + j0, Ko, wtap, nco, oj.data(), bg ? bg + j0 : nullptr);
          }
        }
        if (np < bp) std::memcpy(yrow + ow0 * Ko, tail.get(), np * Ko * sizeof(float));
        if (d.act != Activation::none) apply_activation(yrow + ow0 * Ko, np * Ko, d.act, d.leaky_alpha);
      }
      if (rn == nrows) break;
      r = rn;
    }
  };
  // Guided split (kMinChunkMacs): each claim takes ceil(left / (2 * threads)) of the rows left and
  // at least min_rows, itself at most nrows / (4 * threads) so that small layers still split into
  // parallel_range's 4 runs per thread.
  const std::size_t nt = (std::size_t)num_threads();
  const double row_macs = (double)OW * (double)(og * d.groups) * (double)(T * cin);
  std::size_t min_rows = std::max<std::size_t>(1, (std::size_t)(kMinChunkMacs / row_macs));
  min_rows = std::min(min_rows, std::max<std::size_t>(1, nrows / (4 * nt)));
  std::atomic<std::size_t> next{0};
  parallel_for(nt, [&](std::size_t) {
    worker([&](std::size_t& rb, std::size_t& re) {
      std::size_t cur = next.load(std::memory_order_relaxed);
      for (;;) {
        if (cur >= nrows) return false;
        const std::size_t left = nrows - cur;
        const std::size_t take = std::min(left, std::max(min_rows, (left + 2 * nt - 1) / (2 * nt)));
        if (next.compare_exchange_weak(cur, cur + take, std::memory_order_relaxed)) {
          rb = cur, re = cur + take;
          return true;
        }
      }
    });
  });
}

}  // namespace convkit
