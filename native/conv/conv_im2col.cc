#include "conv/conv_im2col.h"

#include <algorithm>
#include <array>
#include <vector>

#include "conv/column_kernels.h"
#include "conv/conv_common.h"
#include "conv/im2col_walk.h"
#include "gemm/gemm.h"
#include "runtime/aligned.h"
#include "runtime/thread_pool.h"

namespace convkit {
namespace {

constexpr std::size_t kColBytes = 512 * 1024;  // one column tile ~ half the L2 of a core

bool is_pointwise(const ConvDesc& d) {
  for (int i = 0; i < 3; ++i)
    if (d.kernel[i] != 1 || d.stride[i] != 1 || d.pad_before[i] || d.pad_after[i]) return false;
  return true;
}

std::size_t workers() { return static_cast<std::size_t>(std::max(1, num_threads())); }

// Rows per column tile: fits kColBytes, and leaves at least two tiles per worker when possible.
std::size_t tile_rows(const ConvDesc& d) {
  std::size_t kk = d.taps() * d.cin_g();
  std::size_t rows = std::max<std::size_t>(16, kColBytes / (kk * sizeof(float)));
  std::size_t M = d.N * d.out_pixels();
  std::size_t balanced = (M + 2 * workers() - 1) / (2 * workers());
  rows = std::min(rows, std::max<std::size_t>(16, balanced));
  return std::min(rows, M);
}

// The forward tap maps of the three dimensions and the walk geometry pointing at them.
struct TapMaps {
  std::array<std::vector<long>, 3> m;
  ColGeom geom;
  explicit TapMaps(const ConvDesc& d) {
    for (int i = 0; i < 3; ++i) {
      m[i] = forward_tap_map(d.out[i], d.in[i], d.kernel[i], d.stride[i], d.dilation[i], d.pad_before[i]);
      geom.out[i] = d.out[i];
      geom.in[i] = d.in[i];
      geom.kernel[i] = d.kernel[i];
      geom.map[i] = m[i].data();
    }
    geom.C = d.C;
    geom.cg = d.cin_g();
    geom.stride_w = d.stride[2];
    geom.dilation_w = d.dilation[2];
    geom.pad_w = d.pad_before[2];
  }
  TapMaps(const TapMaps&) = delete;
  TapMaps& operator=(const TapMaps&) = delete;
};

// col[r][t*cg + c] = x[src(p0 + r, t)][g*cg + c] (zeros in the padding), by the active ISA's kernel.
void build_col(const TapMaps& maps, const float* x, std::size_t g, std::size_t p0, std::size_t rows, float* col) {
  column_kernels().im2col(maps.geom, x, g, p0, rows, col);
}

// dx[src(p0 + r, t)][g*cg + c] += col[r][t*cg + c], by the active ISA's kernel (column_kernels.h).
void col2im(const TapMaps& maps, const float* col, std::size_t g, std::size_t p0, std::size_t rows, float* dx) {
  column_kernels().col2im(maps.geom, col, g, p0, rows, dx);
}

// Runs body(worker, scratch) on `workers()` workers, each with its own slice of ws (or a fresh one).
template <class F>
void with_workers(std::size_t slice, float* ws, F body) {
  std::size_t nw = workers();
  AlignedPtr<float> own;
  if (!ws && slice) {
    own = aligned_array<float>(slice * nw);
    ws = own.get();
  }
  parallel_for(nw, [&](std::size_t w) { body(w, nw, ws ? ws + w * slice : nullptr); });
}

}  // namespace

// Few output pixels against many output channels (late layers at batch 1: ResNet-18's 7x7x512
// convs have M = 49 rows against a 2304 x 512 filter): the filter, not the column, is the big
// operand, and tiling the rows would make every worker's tiles stream all of it again (4.7 MB per
// tile, from DRAM once the model's weights no longer fit the caches). Then the whole column is
// built once (M x T*Cin_g, at most kWholeColFloats) and one GEMM splits the filter's columns
// between the threads, so the filter is read once per call.
constexpr std::size_t kWholeColFloats = 1 << 20;  // 4 MiB
bool whole_column(const ConvDesc& d) {
  const std::size_t M = d.N * d.out_pixels(), kk = d.taps() * d.cin_g();
  return workers() > 1 && M <= d.cout_g() && M * kk <= kWholeColFloats;
}

std::size_t im2col_forward_workspace(const ConvDesc& d) {
  if (is_pointwise(d)) return 0;
  if (whole_column(d)) return d.N * d.out_pixels() * d.taps() * d.cin_g();
  return workers() * tile_rows(d) * d.taps() * d.cin_g();
}
std::size_t im2col_dgrad_workspace(const ConvDesc& d) {
  return workers() * tile_rows(d) * d.taps() * d.cin_g();
}
std::size_t im2col_wgrad_workspace(const ConvDesc& d) {
  return workers() * ((is_pointwise(d) ? 0 : tile_rows(d) * d.taps() * d.cin_g()) + d.filter_size());
}

namespace {

// The forward pass with the product of each column block by the filter left to `gemm(g, rows, A,
// lda, C, ldc, epilogue)`: sgemm on the raw filter, or sgemm_packed on a prepacked one.
template <class Gemm>
void im2col_forward(const ConvDesc& d, const float* x, const float* bias, float* y, float* ws, const CancelToken& cancel,
                    Gemm gemm) {
  const std::size_t cg = d.cin_g(), og = d.cout_g(), M = d.N * d.out_pixels();
  GemmEpilogue ep;
  ep.act = d.act;
  ep.leaky_alpha = d.leaky_alpha;
  if (is_pointwise(d)) {
    for (std::size_t g = 0; g < d.groups; ++g) {
      cancel.check();
      ep.bias = d.has_bias ? bias + g * og : nullptr;
      gemm(g, M, x + g * cg, d.C, y + g * og, d.K, ep);
    }
    return;
  }
  const TapMaps maps(d);
  if (whole_column(d)) {
    const std::size_t kk = d.taps() * cg;
    AlignedPtr<float> own;
    if (!ws) (own = aligned_array<float>(M * kk), ws = own.get());
    for (std::size_t g = 0; g < d.groups; ++g) {
      cancel.check();
      parallel_range(M, 8, [&](std::size_t p0, std::size_t p1) { build_col(maps, x, g, p0, p1 - p0, ws + p0 * kk); });
      ep.bias = d.has_bias ? bias + g * og : nullptr;
      gemm(g, M, ws, kk, y + g * og, d.K, ep);  // parallel inside, over the filter's columns
    }
    return;
  }
  const std::size_t rows = tile_rows(d), kk = d.taps() * cg, ntiles = (M + rows - 1) / rows;
  with_workers(rows * kk, ws, [&](std::size_t wk, std::size_t nw, float* col) {
    GemmEpilogue e = ep;
    for (std::size_t tile = wk; tile < ntiles; tile += nw) {
      cancel.check();
      std::size_t p0 = tile * rows, r = std::min(rows, M - p0);
      for (std::size_t g = 0; g < d.groups; ++g) {
        build_col(maps, x, g, p0, r, col);
        e.bias = d.has_bias ? bias + g * og : nullptr;
        gemm(g, r, col, kk, y + p0 * d.K + g * og, d.K, e);
      }
    }
  });
}

}  // namespace

void conv_im2col_forward(const ConvDesc& d, const float* x, const float* w, const float* bias, float* y, float* ws,
                         const CancelToken& cancel) {
  const std::size_t og = d.cout_g(), kk = d.taps() * d.cin_g();
  im2col_forward(d, x, bias, y, ws, cancel,
                 [&](std::size_t g, std::size_t m, const float* a, std::size_t lda, float* c, std::size_t ldc, const GemmEpilogue& e) {
                   sgemm(false, false, m, og, kk, 1.f, a, lda, w + g * og, d.K, 0.f, c, ldc, &e);
                 });
}

void conv_im2col_forward_packed(const ConvDesc& d, const float* x, const PackedB* const* w_groups, const float* bias,
                                float* y, float* ws, const CancelToken& cancel) {
  im2col_forward(d, x, bias, y, ws, cancel,
                 [&](std::size_t g, std::size_t m, const float* a, std::size_t lda, float* c, std::size_t ldc, const GemmEpilogue& e) {
                   sgemm_packed(false, m, 1.f, a, lda, *w_groups[g], 0.f, c, ldc, &e);
                 });
}

void conv_im2col_dgrad(const ConvDesc& d, const float* dy, const float* w, float* dx, float* ws,
                       const CancelToken& cancel) {
  const std::size_t cg = d.cin_g(), og = d.cout_g(), P = d.out_pixels();
  if (is_pointwise(d)) {
    // dX_g[M, cg] = dY_g[M, og] * W_g^T
    for (std::size_t g = 0; g < d.groups; ++g)
      sgemm(false, true, d.N * P, cg, og, 1.f, dy + g * og, d.K, w + g * og, d.K, 0.f, dx + g * cg, d.C);
    return;
  }
  const TapMaps maps(d);
  const std::size_t rows = tile_rows(d), kk = d.taps() * cg, image_floats = d.N ? d.input_size() / d.N : 0;
  // Tiles of one image scatter into overlapping parts of its dx, so the workers take whole images.
  // With fewer images than workers the tiles run in order and sgemm itself goes parallel.
  auto image = [&](std::size_t n, float* col) {
    for (std::size_t q0 = 0; q0 < P; q0 += rows) {
      cancel.check();
      std::size_t p0 = n * P + q0, r = std::min(rows, P - q0);
      for (std::size_t g = 0; g < d.groups; ++g) {
        sgemm(false, true, r, kk, og, 1.f, dy + p0 * d.K + g * og, d.K, w + g * og, d.K, 0.f, col, kk);
        col2im(maps, col, g, p0, r, dx);
      }
    }
  };
  if (d.N >= workers()) {
    // Each worker takes a contiguous run of images and cuts it into full tiles that may span image
    // boundaries (walk_taps steps across them): few-pixel layers (LeNet's 10x10 outputs) then make a
    // few GEMMs of ~`rows` rows instead of one tiny GEMM per image.
    // Each worker also zeroes the dx of its own images (col2im adds only there) instead of the
    // caller zeroing all of dx first: the fill runs in parallel, and each dx line is made dirty in
    // the cache of the core that then adds into it rather than in the caller's (the other worker's
    // read-modify-writes had to pull its half across cores). LeNet-5 conv2 dgrad at batch 64:
    // 0.250-0.257 -> 0.238-0.249 ms (native bench, 2 threads, 4 interleaved pairs).
    with_workers(rows * kk, ws, [&](std::size_t wk, std::size_t nw, float* col) {
      const std::size_t n0 = d.N * wk / nw, n1 = d.N * (wk + 1) / nw, m0 = n0 * P, m1 = n1 * P;
      std::fill(dx + n0 * image_floats, dx + n1 * image_floats, 0.f);
      for (std::size_t p0 = m0; p0 < m1; p0 += rows) {
        cancel.check();
        std::size_t r = std::min(rows, m1 - p0);
        for (std::size_t g = 0; g < d.groups; ++g) {
          sgemm(false, true, r, kk, og, 1.f, dy + p0 * d.K + g * og, d.K, w + g * og, d.K, 0.f, col, kk);
          col2im(maps, col, g, p0, r, dx);
        }
      }
    });
  } else {
    std::fill(dx, dx + d.input_size(), 0.f);
    AlignedPtr<float> own;
    float* col = ws;
    if (!col) {
      own = aligned_array<float>(rows * kk);
      col = own.get();
    }
    for (std::size_t n = 0; n < d.N; ++n) image(n, col);
  }
}

void conv_im2col_wgrad(const ConvDesc& d, const float* x, const float* dy, float* dw, float* db, float* ws,
                       const CancelToken& cancel) {
  const std::size_t cg = d.cin_g(), og = d.cout_g(), M = d.N * d.out_pixels(), F = d.filter_size();
  if (is_pointwise(d)) {
    // dW_g[cg, og] = X_g^T[cg, M] * dY_g[M, og]
    for (std::size_t g = 0; g < d.groups; ++g)
      sgemm(true, false, cg, og, M, 1.f, x + g * cg, d.C, dy + g * og, d.K, 0.f, dw + g * og, d.K);
    if (db) bias_gradient(dy, M, d.K, db);
    return;
  }
  const TapMaps maps(d);
  const std::size_t rows = tile_rows(d), kk = d.taps() * cg, ntiles = (M + rows - 1) / rows;
  const std::size_t slice = rows * kk + F;
  std::size_t nw = workers();
  AlignedPtr<float> own;
  if (!ws) {
    own = aligned_array<float>(slice * nw);
    ws = own.get();
  }
  // The bias gradient db[k] = sum over all output pixels of dy[p][k] is summed by each worker over
  // its own tiles right after their GEMMs, while those dy rows are still in its cache, instead of a
  // separate parallel pass over all of dy afterwards. As in bias_gradient: blocks of kBiasBlock rows
  // in float, the block sums in double (rounding error of a short float sum at any batch size).
  constexpr std::size_t kBiasBlock = 32;
  std::vector<double> bparts(db ? nw * d.K : 0, 0.0);
  // One partial dW per worker (no write conflicts), summed in a fixed order afterwards.
  parallel_for(nw, [&](std::size_t wk) {
    float* col = ws + wk * slice;
    float* part = col + rows * kk;
    std::fill(part, part + F, 0.f);
    std::vector<float> bblk(db ? d.K : 0);
    for (std::size_t tile = wk; tile < ntiles; tile += nw) {
      cancel.check();
      std::size_t p0 = tile * rows, r = std::min(rows, M - p0);
      for (std::size_t g = 0; g < d.groups; ++g) {
        build_col(maps, x, g, p0, r, col);
        sgemm(true, false, kk, og, r, 1.f, col, kk, dy + p0 * d.K + g * og, d.K, 1.f, part + g * og, d.K);
      }
      if (!db) continue;
      double* bacc = bparts.data() + wk * d.K;
      float* bk = bblk.data();
      for (std::size_t b0 = p0; b0 < p0 + r; b0 += kBiasBlock) {
        const std::size_t b1 = std::min(p0 + r, b0 + kBiasBlock);
        std::copy(dy + b0 * d.K, dy + (b0 + 1) * d.K, bk);
        for (std::size_t q = b0 + 1; q < b1; ++q) {
          const float* row = dy + q * d.K;
          for (std::size_t k = 0; k < d.K; ++k) bk[k] += row[k];
        }
        for (std::size_t k = 0; k < d.K; ++k) bacc[k] += bk[k];
      }
    }
  });
  if (db)
    for (std::size_t k = 0; k < d.K; ++k) {
      double sum = 0;
      for (std::size_t wk = 0; wk < nw; ++wk) sum += bparts[wk * d.K + k];
      db[k] = static_cast<float>(sum);
    }
  parallel_range(F, 1024, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) {
      float s = 0;
      for (std::size_t wk = 0; wk < nw; ++wk) s += ws[wk * slice + rows * kk + i];
      dw[i] = s;
    }
  });
}

}  // namespace convkit
