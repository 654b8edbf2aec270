// Plain double-precision convolution references for the conv tests (independent of every kernel:
// straight loops over the definition, no shared code with native/conv beyond the descriptor).
#pragma once
#include <cmath>
#include <vector>

#include "conv/conv_desc.h"
#include "test_util.h"

namespace convkit::test {

// Calls f(n, o_pixel_index, x_pixel_index, tap_index) for every (output pixel, tap) pair that reads
// a real (non-padding) input pixel.
template <class F>
void for_each_pair(const ConvDesc& d, F f) {
  for (std::size_t n = 0; n < d.N; ++n)
    for (std::size_t od = 0; od < d.out[0]; ++od)
      for (std::size_t oh = 0; oh < d.out[1]; ++oh)
        for (std::size_t ow = 0; ow < d.out[2]; ++ow) {
          std::size_t op = ((n * d.out[0] + od) * d.out[1] + oh) * d.out[2] + ow;
          for (std::size_t kd = 0; kd < d.kernel[0]; ++kd)
            for (std::size_t kh = 0; kh < d.kernel[1]; ++kh)
              for (std::size_t kw = 0; kw < d.kernel[2]; ++kw) {
                long id = (long)(od * d.stride[0] + kd * d.dilation[0]) - (long)d.pad_before[0];
                long ih = (long)(oh * d.stride[1] + kh * d.dilation[1]) - (long)d.pad_before[1];
                long iw = (long)(ow * d.stride[2] + kw * d.dilation[2]) - (long)d.pad_before[2];
                if (id < 0 || ih < 0 || iw < 0 || id >= (long)d.in[0] || ih >= (long)d.in[1] || iw >= (long)d.in[2])
                  continue;
                std::size_t ip = ((n * d.in[0] + id) * d.in[1] + ih) * d.in[2] + iw;
                std::size_t t = (kd * d.kernel[1] + kh) * d.kernel[2] + kw;
                f(op, ip, t);
              }
        }
}

inline double ref_act(double v, Activation a, double alpha) {
  switch (a) {
    case Activation::relu: return v > 0 ? v : 0;
    case Activation::relu6: return v < 0 ? 0 : v > 6 ? 6 : v;
    case Activation::leaky_relu: return v > 0 ? v : alpha * v;
    case Activation::sigmoid: return 1 / (1 + std::exp(-v));
    case Activation::tanh: return std::tanh(v);
    default: return v;
  }
}

inline std::vector<double> ref_forward(const ConvDesc& d, const float* x, const float* w, const float* b) {
  std::vector<double> y(d.output_size(), 0.0);
  std::size_t cg = d.cin_g(), og = d.cout_g();
  for_each_pair(d, [&](std::size_t op, std::size_t ip, std::size_t t) {
    for (std::size_t o = 0; o < d.K; ++o) {
      std::size_t g = o / og;
      double s = 0;
      for (std::size_t c = 0; c < cg; ++c) s += (double)x[ip * d.C + g * cg + c] * w[(t * cg + c) * d.K + o];
      y[op * d.K + o] += s;
    }
  });
  for (std::size_t i = 0; i < y.size(); ++i) {
    if (d.has_bias && b) y[i] += b[i % d.K];
    y[i] = ref_act(y[i], d.act, d.leaky_alpha);
  }
  return y;
}

inline std::vector<double> ref_dgrad(const ConvDesc& d, const float* dy, const float* w) {
  std::vector<double> dx(d.input_size(), 0.0);
  std::size_t cg = d.cin_g(), og = d.cout_g();
  for_each_pair(d, [&](std::size_t op, std::size_t ip, std::size_t t) {
    for (std::size_t o = 0; o < d.K; ++o) {
      std::size_t g = o / og;
      double v = dy[op * d.K + o];
      for (std::size_t c = 0; c < cg; ++c) dx[ip * d.C + g * cg + c] += v * w[(t * cg + c) * d.K + o];
    }
  });
  return dx;
}

inline std::vector<double> ref_wgrad(const ConvDesc& d, const float* x, const float* dy, std::vector<double>* db) {
  std::vector<double> dw(d.filter_size(), 0.0);
  std::size_t cg = d.cin_g(), og = d.cout_g();
  for_each_pair(d, [&](std::size_t op, std::size_t ip, std::size_t t) {
    for (std::size_t o = 0; o < d.K; ++o) {
      std::size_t g = o / og;
      double v = dy[op * d.K + o];
      for (std::size_t c = 0; c < cg; ++c) dw[(t * cg + c) * d.K + o] += v * x[ip * d.C + g * cg + c];
    }
  });
  if (db) {
    db->assign(d.K, 0.0);
    for (std::size_t i = 0; i < d.output_size(); ++i) (*db)[i % d.K] += dy[i];
  }
  return dw;
}

// Error relative to the output's scale: max |got - want| / (max |want| + 1e-30).
inline double scaled_error(const float* got, const std::vector<double>& want) {
  double m = 0, e = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    m = std::max(m, std::fabs(want[i]));
    double d = std::fabs((double)got[i] - want[i]);
    if (!(d <= e)) e = d;
  }
  return e / (m + 1e-30);
}

// A spread of configurations: ranks 1-3, odd sizes, strides, dilations, every padding mode
// (including asymmetric 'same'), groups, depthwise with and without multiplier, batch 1 and >1.
struct CaseSpec {
  ConvDesc d;
  Padding pad;
  const char* what;
};

inline ConvDesc mk(std::size_t N, std::array<std::size_t, 3> in, std::size_t C, std::size_t K,
                   std::array<std::size_t, 3> k, std::array<std::size_t, 3> s = {1, 1, 1},
                   std::array<std::size_t, 3> dil = {1, 1, 1}, std::size_t groups = 1) {
  ConvDesc d;
  d.N = N;
  d.in = in;
  d.C = C;
  d.K = K;
  d.kernel = k;
  d.stride = s;
  d.dilation = dil;
  d.groups = groups;
  return d;
}

inline std::vector<CaseSpec> conv_cases() {
  std::vector<CaseSpec> v;
  auto add = [&](ConvDesc d, Padding p, const char* what) { v.push_back({d, p, what}); };
  add(mk(2, {1, 9, 11}, 3, 5, {1, 3, 3}), Padding::same, "2d 3x3 same odd");
  add(mk(1, {1, 10, 9}, 7, 19, {1, 3, 3}, {1, 2, 2}), Padding::same, "2d 3x3 stride2 same (asymmetric)");
  add(mk(3, {1, 8, 7}, 5, 70, {1, 5, 5}), Padding::valid, "2d 5x5 valid 70 out");
  add(mk(1, {1, 12, 13}, 6, 9, {1, 3, 3}, {1, 1, 1}, {1, 2, 2}), Padding::same, "2d dilated 2");
  add(mk(2, {1, 11, 9}, 8, 12, {1, 3, 2}, {1, 2, 3}, {1, 1, 2}), Padding::valid, "2d stride 2x3 dil 1x2 valid");
  add(mk(1, {1, 9, 9}, 8, 12, {1, 3, 3}, {1, 1, 1}, {1, 1, 1}, 4), Padding::same, "2d groups 4");
  add(mk(2, {1, 10, 11}, 17, 17, {1, 3, 3}, {1, 1, 1}, {1, 1, 1}, 17), Padding::same, "depthwise 17ch");
  add(mk(1, {1, 9, 8}, 5, 10, {1, 3, 3}, {1, 2, 2}, {1, 1, 1}, 5), Padding::same, "depthwise mult 2 stride 2");
  add(mk(2, {1, 7, 9}, 40, 33, {1, 1, 1}), Padding::valid, "1x1");
  add(mk(1, {1, 9, 9}, 6, 8, {1, 1, 1}, {1, 2, 2}), Padding::valid, "1x1 stride 2");
  add(mk(2, {1, 1, 17}, 4, 6, {1, 1, 5}, {1, 1, 2}), Padding::same, "1d k5 stride 2 same");
  add(mk(1, {1, 1, 20}, 3, 5, {1, 1, 3}, {1, 1, 1}, {1, 1, 3}), Padding::valid, "1d dilated 3");
  add(mk(2, {5, 6, 7}, 3, 4, {3, 3, 3}), Padding::same, "3d 3x3x3 same");
  add(mk(1, {6, 7, 5}, 4, 6, {2, 3, 2}, {2, 1, 2}), Padding::valid, "3d stride valid");
  add(mk(1, {1, 14, 13}, 3, 8, {1, 7, 7}, {1, 2, 2}), Padding::same, "7x7 stride 2 stem-like");
  add(mk(1, {1, 16, 15}, 4, 5, {1, 9, 9}), Padding::same, "9x9 same");
  ConvDesc e = mk(2, {1, 9, 10}, 5, 7, {1, 3, 4}, {1, 2, 1});
  e.pad_before = {0, 2, 0};
  e.pad_after = {0, 1, 3};
  add(e, Padding::explicit_, "explicit asymmetric pad");
  ConvDesc b = mk(2, {1, 8, 9}, 6, 20, {1, 3, 3});
  b.has_bias = true;
  b.act = Activation::relu;
  add(b, Padding::same, "bias + relu");
  return v;
}

}  // namespace convkit::test
