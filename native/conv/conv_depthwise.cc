#include "conv/conv_depthwise.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <vector>

#include "conv/conv_common.h"
#include "conv/depthwise_kernels.h"
#include "runtime/thread_pool.h"

namespace convkit {

bool conv_is_depthwise1(const ConvDesc& d) { return d.groups > 1 && d.cin_g() == 1 && d.cout_g() == 1; }

void depthwise_row_pointers(const ConvDesc& d, const std::array<std::vector<long>, 2>& map, std::size_t r, std::size_t A,
                            std::size_t B, const float* src, std::size_t SD, std::size_t SH, std::size_t rowlen,
                            const float** rows) {
  const std::size_t b = r % B, a = (r / B) % A, n = r / (B * A);
  for (std::size_t kd = 0, t = 0; kd < d.kernel[0]; ++kd) {
    const long sd = map[0][a * d.kernel[0] + kd];
    for (std::size_t kh = 0; kh < d.kernel[1]; ++kh, ++t) {
      const long sh = map[1][b * d.kernel[1] + kh];
      rows[t] = (sd < 0 || sh < 0) ? nullptr : src + ((n * SD + (std::size_t)sd) * SH + (std::size_t)sh) * rowlen;
    }
  }
}

namespace {
std::atomic<std::size_t> g_stream_min_bytes{kDepthwiseStreamMinBytes};
}  // namespace

void set_depthwise_stream_min_bytes(std::size_t bytes) { g_stream_min_bytes.store(bytes, std::memory_order_relaxed); }
std::size_t depthwise_stream_min_bytes() { return g_stream_min_bytes.load(std::memory_order_relaxed); }

void conv_depthwise_forward(const ConvDesc& d, const float* x, const float* w, const float* bias, float* y,
                            const CancelToken& cancel) {
  if (!conv_is_depthwise1(d)) throw InvalidArgument("conv_depthwise_forward: not a depthwise convolution: " + d.str());
  const DepthwiseKernels& K = depthwise_kernels();
  const std::size_t C = d.C, R = d.kernel[0] * d.kernel[1], OW = d.out[2], W = d.in[2];
  std::array<std::vector<long>, 2> map;
  for (int i = 0; i < 2; ++i)
    map[i] = forward_tap_map(d.out[i], d.in[i], d.kernel[i], d.stride[i], d.dilation[i], d.pad_before[i]);
  const std::size_t nrows = d.N * d.out[0] * d.out[1];
  const float* b = d.has_bias ? bias : nullptr;
  // Large outputs: non-temporal stores for the interior pixels (see kDepthwiseStreamMinBytes). Not
  // with a fused activation, which re-reads each row right after the kernel wrote it.
  const bool stream = K.row_stream && d.act == Activation::none && C % 16 == 0 &&
                      reinterpret_cast<std::uintptr_t>(y) % 64 == 0 &&
                      d.output_size() * sizeof(float) >= depthwise_stream_min_bytes();
  const DepthwiseRowFn row = stream ? K.row_stream : K.row;
  parallel_range(nrows, 1, [&](std::size_t rb, std::size_t re) {
    std::vector<const float*> rows(R);
    for (std::size_t r = rb; r < re; ++r) {
      cancel.check();
      depthwise_row_pointers(d, map, r, d.out[0], d.out[1], x, d.in[0], d.in[1], W * C, rows.data());
      float* out = y + r * OW * C;
      row(rows.data(), R, d.kernel[2], W, C, w, C, b, C, OW, d.stride[2], d.dilation[2], d.pad_before[2], out, C);
      if (d.act != Activation::none) apply_activation(out, OW * C, d.act, d.leaky_alpha);
    }
  });
}

}  // namespace convkit
