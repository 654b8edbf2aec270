#include "conv/conv_common.h"

#include <algorithm>
#include <cmath>

#include "runtime/thread_pool.h"

namespace convkit {

void apply_activation(float* y, std::size_t n, Activation act, float a) {
  switch (act) {
    case Activation::none: return;
    case Activation::relu:
      for (std::size_t i = 0; i < n; ++i) y[i] = y[i] > 0.f ? y[i] : 0.f;
      return;
    case Activation::relu6:
      for (std::size_t i = 0; i < n; ++i) y[i] = std::min(std::max(y[i], 0.f), 6.f);
      return;
    case Activation::leaky_relu:
      for (std::size_t i = 0; i < n; ++i) y[i] = y[i] > 0.f ? y[i] : a * y[i];
      return;
    case Activation::sigmoid:
      for (std::size_t i = 0; i < n; ++i) y[i] = 1.f / (1.f + std::exp(-y[i]));
      return;
    case Activation::tanh:
      for (std::size_t i = 0; i < n; ++i) y[i] = std::tanh(y[i]);
      return;
  }
}

void bias_gradient(const float* dy, std::size_t rows, std::size_t K, float* db) {
  // Parallel over row ranges with one partial sum per range, then a fixed-order reduction so the
  // result does not depend on the thread count's timing.
  std::size_t chunks = std::min<std::size_t>(rows, 64);
  if (chunks == 0) {
    std::fill(db, db + K, 0.f);
    return;
  }
  // Within a range, blocks of kBlock rows are summed in float (vectorised adds, error ~kBlock
  // roundings) and the block sums added in double, so the rounding error stays that of a short float
  // sum however many rows there are; converting every element to double cost more than reading dy
  // (0.87 of 1.56 ms of a depthwise 3x3 wgrad over 8x56x56x128, busy machine).
  constexpr std::size_t kBlock = 32;
  std::vector<double> part(chunks * K, 0.0);
  parallel_for(chunks, [&](std::size_t c) {
    std::size_t b = rows * c / chunks, e = rows * (c + 1) / chunks;
    double* acc = part.data() + c * K;
    std::vector<float> blk(K);
    for (std::size_t r0 = b; r0 < e; r0 += kBlock) {
      const std::size_t r1 = std::min(e, r0 + kBlock);
      std::copy(dy + r0 * K, dy + r0 * K + K, blk.begin());
      for (std::size_t r = r0 + 1; r < r1; ++r) {
        const float* row = dy + r * K;
        float* bk = blk.data();
        for (std::size_t o = 0; o < K; ++o) bk[o] += row[o];
      }
      for (std::size_t o = 0; o < K; ++o) acc[o] += blk[o];
    }
  });
  sum_partials(part.data(), chunks, K, db);
}

void sum_partials(const double* part, std::size_t parts, std::size_t K, float* out) {
  for (std::size_t k = 0; k < K; ++k) {
    double s = 0;
    for (std::size_t p = 0; p < parts; ++p) s += part[p * K + k];
    out[k] = static_cast<float>(s);
  }
}

std::vector<long> forward_tap_map(std::size_t out, std::size_t in, std::size_t k, std::size_t stride,
                                  std::size_t dil, std::size_t pad_before) {
  std::vector<long> m(out * k);
  for (std::size_t o = 0; o < out; ++o)
    for (std::size_t t = 0; t < k; ++t) {
      long s = static_cast<long>(o * stride + t * dil) - static_cast<long>(pad_before);
      m[o * k + t] = (s >= 0 && s < static_cast<long>(in)) ? s : -1;
    }
  return m;
}

std::vector<long> gradient_tap_map(std::size_t in, std::size_t out, std::size_t k, std::size_t stride,
                                   std::size_t dil, std::size_t pad_before) {
  std::vector<long> m(in * k);
  for (std::size_t i = 0; i < in; ++i)
    for (std::size_t t = 0; t < k; ++t) {
      long num = static_cast<long>(i + pad_before) - static_cast<long>(t * dil);
      long s = -1;
      if (num >= 0 && num % static_cast<long>(stride) == 0) {
        s = num / static_cast<long>(stride);
        if (s >= static_cast<long>(out)) s = -1;
      }
      m[i * k + t] = s;
    }
  return m;
}

void transpose_filter_groups(const ConvDesc& d, const float* w, float* wt) {
  std::size_t T = d.taps(), cg = d.cin_g(), og = d.cout_g();
  for (std::size_t g = 0; g < d.groups; ++g)
    for (std::size_t t = 0; t < T; ++t)
      for (std::size_t o = 0; o < og; ++o)
        for (std::size_t c = 0; c < cg; ++c)
          wt[((g * T + t) * og + o) * cg + c] = w[(t * cg + c) * d.K + g * og + o];
}

}  // namespace convkit
