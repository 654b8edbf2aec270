#include "conv/conv_depthwise_grad.h"

#include <algorithm>
#include <array>
#include <vector>

#include "conv/conv_common.h"
#include "conv/conv_depthwise.h"
#include "conv/depthwise_grad_kernels.h"
#include "runtime/aligned.h"
#include "runtime/thread_pool.h"

namespace convkit {

void conv_depthwise_dgrad(const ConvDesc& d, const float* dy, const float* w, float* dx, const CancelToken& cancel) {
  if (!conv_is_depthwise1(d)) throw InvalidArgument("conv_depthwise_dgrad: not a depthwise convolution: " + d.str());
  const DepthwiseGradKernels& K = depthwise_grad_kernels();
  const std::size_t C = d.C, R = d.kernel[0] * d.kernel[1], OW = d.out[2], W = d.in[2];
  // map[i][in * k + tap] = the dy coordinate that reaches input coordinate `in` through `tap`, or -1.
  std::array<std::vector<long>, 2> map;
  for (int i = 0; i < 2; ++i)
    map[i] = gradient_tap_map(d.in[i], d.out[i], d.kernel[i], d.stride[i], d.dilation[i], d.pad_before[i]);
  // One task per dx row: each writes its own row, so no reduction (gather form of the transpose).
  const std::size_t nrows = d.N * d.in[0] * d.in[1];
  parallel_range(nrows, 1, [&](std::size_t rb, std::size_t re) {
    std::vector<const float*> rows(R);
    for (std::size_t r = rb; r < re; ++r) {
      cancel.check();
      depthwise_row_pointers(d, map, r, d.in[0], d.in[1], dy, d.out[0], d.out[1], OW * C, rows.data());
      K.dgrad_row(rows.data(), R, d.kernel[2], OW, C, w, C, C, W, d.stride[2], d.dilation[2], d.pad_before[2],
                  dx + r * W * C, C);
    }
  });
}

void conv_depthwise_wgrad(const ConvDesc& d, const float* x, const float* dy, float* dw, float* db,
                          const CancelToken& cancel) {
  if (!conv_is_depthwise1(d)) throw InvalidArgument("conv_depthwise_wgrad: not a depthwise convolution: " + d.str());
  const DepthwiseGradKernels& K = depthwise_grad_kernels();
  const std::size_t C = d.C, R = d.kernel[0] * d.kernel[1], OW = d.out[2], W = d.in[2];
  const std::size_t fsize = d.filter_size();  // taps * C
  std::array<std::vector<long>, 2> map;
  for (int i = 0; i < 2; ++i)
    map[i] = forward_tap_map(d.out[i], d.in[i], d.kernel[i], d.stride[i], d.dilation[i], d.pad_before[i]);
  const std::size_t nrows = d.N * d.out[0] * d.out[1];
  // Every dy row adds to the whole (small) filter gradient: contiguous row ranges accumulate into
  // their own partial sums, added up in a fixed order afterwards (the same result for a given
  // thread count whichever thread runs which part).
  const std::size_t nparts = std::max<std::size_t>(1, std::min<std::size_t>(nrows, 4 * num_threads()));
  auto part = aligned_array<float>(nparts * fsize);
  std::fill(part.get(), part.get() + nparts * fsize, 0.f);
  // The bias gradient rides along: each dy row is summed right after the kernel read it (still in
  // cache) instead of in a second pass over dy (bias_gradient), which re-read all of dy from memory
  // (0.33 ms of 1.01 over 8x56x56x128, busy machine). Float sum over the row's OW pixels, added into
  // a double per part: the rounding of an OW-term float sum, however many rows.
  std::vector<double> dbpart(db ? nparts * C : 0, 0.0);
  parallel_for(nparts, [&](std::size_t q) {
    std::vector<const float*> rows(R);
    std::vector<float> rowsum(db ? C : 0);
    float* acc = part.get() + q * fsize;
    for (std::size_t r = q * nrows / nparts, re = (q + 1) * nrows / nparts; r < re; ++r) {
      cancel.check();
      depthwise_row_pointers(d, map, r, d.out[0], d.out[1], x, d.in[0], d.in[1], W * C, rows.data());
      K.wgrad_row(rows.data(), R, d.kernel[2], W, C, dy + r * OW * C, C, C, OW, d.stride[2], d.dilation[2],
                  d.pad_before[2], acc, C);
      if (db) {
        const float* dyr = dy + r * OW * C;
        float* rs = rowsum.data();
        std::fill(rs, rs + C, 0.f);
        K.row_sum(dyr, OW, C, C, rs);
        double* pd = dbpart.data() + q * C;
        for (std::size_t c = 0; c < C; ++c) pd[c] += rs[c];
      }
    }
  });
  std::copy(part.get(), part.get() + fsize, dw);
  for (std::size_t q = 1; q < nparts; ++q) {
    const float* p = part.get() + q * fsize;
    for (std::size_t i = 0; i < fsize; ++i) dw[i] += p[i];
  }
  if (db) sum_partials(dbpart.data(), nparts, C, db);
}

}  // namespace convkit
