// Pooling drivers: per output pixel, gather the rows of the real input pixels under the window and
// hand them to the row kernels of the active ISA.
#include "pool/pool.h"

#include <algorithm>
#include <sstream>
#include <vector>

#include "dispatch/cpu.h"
#include "ops/elementwise_kernels.h"
#include "pool/pool_kernels.h"
#include "runtime/thread_pool.h"

namespace convkit {

const PoolKernels& pool_kernels() {
  switch (active_isa()) {
    case Isa::avx512: return pool_kernels_avx512();
    case Isa::avx2: return pool_kernels_avx2();
    default: return pool_kernels_scalar();
  }
}

std::string PoolDesc::str() const {
  std::ostringstream s;
  s << "N=" << N << " in=" << in[0] << "x" << in[1] << "x" << in[2] << "x" << C << " window=" << window[0] << "x"
    << window[1] << "x" << window[2] << " stride=" << stride[0] << "x" << stride[1] << "x" << stride[2];
  return s.str();
}

void PoolDesc::finalize(Padding mode) {
  auto bad = [&](const std::string& m) { throw InvalidArgument("pool: " + m + " (" + str() + ")"); };
  if (N == 0 || C == 0) bad("batch and channels must be >= 1");
  for (int i = 0; i < 3; ++i) {
    if (in[i] == 0 || window[i] == 0 || stride[i] == 0) bad("sizes, window and strides must be >= 1");
    if (mode == Padding::valid) pad_before[i] = pad_after[i] = 0;
    if (mode == Padding::same) same_padding(in[i], window[i], stride[i], 1, &pad_before[i], &pad_after[i]);
    if (pad_before[i] >= window[i] || pad_after[i] >= window[i]) bad("padding must be smaller than the window");
    out[i] = conv_output_length(in[i], window[i], stride[i], 1, pad_before[i], pad_after[i]);
    if (out[i] == 0) bad("window larger than the padded input");
  }
}

namespace {

// Calls f(first output pixel index, ow_begin, ow_end, nr) per output row piece in [b, e), with
// rowbase[0..nr) the input pixel indices (at w = 0) of the real input rows under the window.
template <class F>
void for_rows(const PoolDesc& d, std::size_t b, std::size_t e, std::vector<std::size_t>& rowbase, F f) {
  std::size_t op = b;
  while (op < e) {
    const std::size_t ow0 = op % d.out[2], row = op / d.out[2];
    const std::size_t oh = row % d.out[1], od = (row / d.out[1]) % d.out[0], n = row / (d.out[1] * d.out[0]);
    std::size_t nr = 0;
    for (std::size_t kd = 0; kd < d.window[0]; ++kd) {
      long id = (long)(od * d.stride[0] + kd) - (long)d.pad_before[0];
      if (id < 0 || id >= (long)d.in[0]) continue;
      for (std::size_t kh = 0; kh < d.window[1]; ++kh) {
        long ih = (long)(oh * d.stride[1] + kh) - (long)d.pad_before[1];
        if (ih < 0 || ih >= (long)d.in[1]) continue;
        rowbase[nr++] = ((n * d.in[0] + id) * d.in[1] + ih) * d.in[2];
      }
    }
    const std::size_t row_end = std::min(e, op - ow0 + d.out[2]);
    f(op, ow0, ow0 + (row_end - op), nr);
    op = row_end;
  }
}

// Calls f(output pixel index, n, count) per output pixel in [b, e), with pix[0..count) the input
// pixel indices under its window. The row part of the window (depth and height taps) comes once
// per output row from for_rows, so the per-pixel cost is the width taps only.
template <class F>
void for_windows(const PoolDesc& d, std::size_t b, std::size_t e, std::vector<std::size_t>& pix, F f) {
  std::vector<std::size_t> rowbase(d.window[0] * d.window[1]);
  for_rows(d, b, e, rowbase, [&](std::size_t op, std::size_t ow_begin, std::size_t ow_end, std::size_t nr) {
    const std::size_t n = op / d.out[2] / (d.out[1] * d.out[0]);
    for (std::size_t ow = ow_begin; ow < ow_end; ++op, ++ow) {
      const long iw0 = (long)(ow * d.stride[2]) - (long)d.pad_before[2];
      const std::size_t kw_lo = iw0 < 0 ? (std::size_t)(-iw0) : 0;
      const std::size_t kw_hi = std::min<long>((long)d.window[2], (long)d.in[2] - iw0);
      std::size_t m = 0;
      for (std::size_t r = 0; r < nr; ++r)
        for (std::size_t kw = kw_lo; kw < kw_hi; ++kw) pix[m++] = rowbase[r] + (std::size_t)(iw0 + (long)kw);
      f(op, n, m);
    }
  });
}

// 2x2 windows at stride 2 in height and width (depth window 1), no padding, the windows tiling the
// input exactly: the case of pool_2x2_impl.h.
bool tiled_2x2(const PoolDesc& d) {
  for (int i = 0; i < 3; ++i) {
    const std::size_t w = i == 0 ? 1 : 2;
    if (d.window[i] != w || d.stride[i] != w || d.pad_before[i] != 0 || d.pad_after[i] != 0 || d.out[i] * w != d.in[i])
      return false;
  }
  return true;
}

// Output rows per task of the 2x2 kernels: at least ~16K input floats, so a small pool (a few
// images) is not split into tasks that cost more to hand out than to run.
std::size_t rows_grain_2x2(const PoolDesc& d) {
  const std::size_t row = 2 * d.in[2] * d.C;
  return std::max<std::size_t>(1, (std::size_t(1) << 14) / row);
}

PoolRowGeom row_geom(const PoolDesc& d, std::size_t ow_begin, std::size_t ow_end) {
  return PoolRowGeom{d.C, d.in[2], d.window[2], d.stride[2], d.pad_before[2], ow_begin, ow_end};
}

}  // namespace

void pool_forward(const PoolDesc& d, PoolKind kind, const float* x, float* y, const CancelToken& cancel) {
  const PoolKernels& K = pool_kernels();
  const std::size_t wn = d.window[0] * d.window[1] * d.window[2];
  const std::size_t total = d.N * d.out[0] * d.out[1] * d.out[2];
  if (kind == PoolKind::max && tiled_2x2(d)) {
    const std::size_t rows = d.N * d.out[0] * d.out[1];
    parallel_range(rows, rows_grain_2x2(d), [&](std::size_t b, std::size_t e) {
      cancel.check();
      K.max2x2_fwd(x, d.in[2], d.C, b, e, y);
    });
    return;
  }
  if (kind == PoolKind::max) {
    parallel_range(total, 16, [&](std::size_t b, std::size_t e) {
      cancel.check();
      std::vector<std::size_t> rowbase(d.window[0] * d.window[1]);
      std::vector<const float*> rows(rowbase.size());
      for_rows(d, b, e, rowbase, [&](std::size_t op, std::size_t ow_b, std::size_t ow_e, std::size_t nr) {
        for (std::size_t r = 0; r < nr; ++r) rows[r] = x + rowbase[r] * d.C;
        K.max_fwd_row(rows.data(), nr, row_geom(d, ow_b, ow_e), y + op * d.C);
      });
    });
    return;
  }
  parallel_range(total, 16, [&](std::size_t b, std::size_t e) {
    cancel.check();
    std::vector<std::size_t> pix(wn);
    std::vector<const float*> rows(wn);
    for_windows(d, b, e, pix, [&](std::size_t op, std::size_t, std::size_t m) {
      float* out = y + op * d.C;
      if (m == 0) {
        std::fill(out, out + d.C, 0.f);
        return;
      }
      for (std::size_t i = 0; i < m; ++i) rows[i] = x + pix[i] * d.C;
      if (kind == PoolKind::max)
        K.max_rows(rows.data(), m, d.C, out);
      else
        K.avg_rows(rows.data(), m, d.C, 1.f / static_cast<float>(m), out);
    });
  });
}

void pool_backward(const PoolDesc& d, PoolKind kind, const float* x, const float* dy, float* dx,
                   const CancelToken& cancel, bool relu) {
  if (relu && kind != PoolKind::max) throw InvalidArgument("pool backward: the fused ReLU gradient is for max pooling only");
  const PoolKernels& K = pool_kernels();
  const std::size_t wn = d.window[0] * d.window[1] * d.window[2];
  const std::size_t per_image = d.out[0] * d.out[1] * d.out[2];
  const std::size_t in_image = d.input_size() / d.N;
  // Max pooling with disjoint windows (stride >= window: LeNet's and VGG's 2x2/2) routes at most
  // one gradient to each input pixel, so the kernel stores instead of adding; when the windows
  // also tile the input exactly (no padding, out * stride = in), every pixel is stored and dx
  // needs no zero fill at all.
  bool disjoint = kind == PoolKind::max, tiles = true;
  for (int i = 0; i < 3; ++i) {
    disjoint = disjoint && d.stride[i] >= d.window[i];
    tiles = tiles && d.stride[i] == d.window[i] && d.pad_before[i] == 0 && d.pad_after[i] == 0 &&
            d.out[i] * d.stride[i] == d.in[i];
  }
  const bool fill = !(disjoint && tiles);
  if (kind == PoolKind::max && tiled_2x2(d)) {
    const std::size_t rows = d.N * d.out[0] * d.out[1];
    parallel_range(rows, rows_grain_2x2(d), [&](std::size_t b, std::size_t e) {
      cancel.check();
      K.max2x2_back(x, dy, dx, d.in[2], d.C, b, e, relu);
    });
    return;
  }
  // Windows of one image overlap (stride < window), so the scatter is serial within an image and
  // the images run in parallel. Each image's dx is zeroed by its own task just before the scatter:
  // in parallel and still in L1/L2 when the scatter adds into it (a whole-tensor fill up front was
  // a serial pass over memory).
  parallel_for(d.N, [&](std::size_t n) {
    cancel.check();
    if (fill) std::fill(dx + n * in_image, dx + (n + 1) * in_image, 0.f);
    if (kind == PoolKind::max) {
      std::vector<std::size_t> rowbase(d.window[0] * d.window[1]);
      std::vector<const float*> xr(rowbase.size());
      std::vector<float*> dr(rowbase.size());
      for_rows(d, n * per_image, (n + 1) * per_image, rowbase,
               [&](std::size_t op, std::size_t ow_b, std::size_t ow_e, std::size_t nr) {
                 for (std::size_t r = 0; r < nr; ++r) {
                   xr[r] = x + rowbase[r] * d.C;
                   dr[r] = dx + rowbase[r] * d.C;
                 }
                 PoolRowGeom g = row_geom(d, ow_b, ow_e);
                 g.overwrite = disjoint;
                 g.relu = relu && disjoint;
                 K.max_back_row(xr.data(), dr.data(), nr, g, dy + op * d.C);
               });
      return;
    }
    std::vector<std::size_t> pix(wn);
    std::vector<const float*> xrows(wn);
    std::vector<float*> drows(wn);
    for_windows(d, n * per_image, (n + 1) * per_image, pix, [&](std::size_t op, std::size_t, std::size_t m) {
      if (m == 0) return;
      for (std::size_t i = 0; i < m; ++i) {
        xrows[i] = x + pix[i] * d.C;
        drows[i] = dx + pix[i] * d.C;
      }
      if (kind == PoolKind::max)
        K.max_back(xrows.data(), drows.data(), m, d.C, dy + op * d.C);
      else
        K.avg_back(drows.data(), m, d.C, 1.f / static_cast<float>(m), dy + op * d.C);
    });
  });
  // Overlapping windows add several gradients into one pixel: relu'(x) multiplies the sum, after.
  if (relu && !disjoint) {
    parallel_range(d.input_size(), 1 << 14, [&](std::size_t b, std::size_t e) {
      elementwise_kernels().act_grad(grad::ActGrad::relu, x + b, dx + b, dx + b, e - b, 0.f, 0.f);
    });
  }
}

void global_pool_forward(std::size_t N, std::size_t P, std::size_t C, PoolKind kind, const float* x, float* y) {
  if (P == 0) throw InvalidArgument("global pool: no spatial positions");
  const PoolKernels& K = pool_kernels();
  parallel_for(N, [&](std::size_t n) {
    std::vector<const float*> rows(P);
    for (std::size_t p = 0; p < P; ++p) rows[p] = x + (n * P + p) * C;
    if (kind == PoolKind::max)
      K.max_rows(rows.data(), P, C, y + n * C);
    else
      K.avg_rows(rows.data(), P, C, 1.f / static_cast<float>(P), y + n * C);
  });
}

void global_pool_backward(std::size_t N, std::size_t P, std::size_t C, PoolKind kind, const float* x,
                          const float* dy, float* dx) {
  if (P == 0) throw InvalidArgument("global pool: no spatial positions");
  const PoolKernels& K = pool_kernels();
  std::fill(dx, dx + N * P * C, 0.f);
  parallel_for(N, [&](std::size_t n) {
    std::vector<const float*> xr(P);
    std::vector<float*> dr(P);
    for (std::size_t p = 0; p < P; ++p) {
      xr[p] = x + (n * P + p) * C;
      dr[p] = dx + (n * P + p) * C;
    }
    if (kind == PoolKind::max)
      K.max_back(xr.data(), dr.data(), P, C, dy + n * C);
    else
      K.avg_back(dr.data(), P, C, 1.f / static_cast<float>(P), dy + n * C);
  });
}

}  // namespace convkit
