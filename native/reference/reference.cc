#include "reference/reference.h"

#include <string>

namespace convkit {

void reference_matmul(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, const float* A,
                      const float* B, float* C, const CancelToken& cancel) {
  for (std::size_t m = 0; m < M; ++m) {
    cancel.check();
    for (std::size_t n = 0; n < N; ++n) {
      double s = 0;
      for (std::size_t k = 0; k < K; ++k) {
        double a = trans_a ? A[k * M + m] : A[m * K + k];
        double b = trans_b ? B[n * K + k] : B[k * N + n];
        s += a * b;
      }
      C[m * N + n] = static_cast<float>(s);
    }
  }
}

Conv2dParams conv2d_params(std::size_t N, std::size_t H, std::size_t W, std::size_t C, std::size_t KH, std::size_t KW,
                           std::size_t filter_in, std::size_t OC, std::size_t stride_h, std::size_t stride_w,
                           std::size_t dilation_h, std::size_t dilation_w, Padding padding, std::size_t groups) {
  if (stride_h == 0 || stride_w == 0) throw InvalidArgument("conv2d: strides must be >= 1");
  if (dilation_h == 0 || dilation_w == 0) throw InvalidArgument("conv2d: dilations must be >= 1");
  if (KH == 0 || KW == 0) throw InvalidArgument("conv2d: filter height and width must be >= 1");
  if (groups == 0 || C % groups != 0 || OC % groups != 0)
    throw InvalidArgument("conv2d: groups (" + std::to_string(groups) + ") must divide input channels (" +
                          std::to_string(C) + ") and filters (" + std::to_string(OC) + ")");
  if (filter_in != C / groups)
    throw InvalidArgument("conv2d: filter expects " + std::to_string(filter_in) + " input channels per group, input has " +
                          std::to_string(C) + " channels in " + std::to_string(groups) + " group(s), i.e. " +
                          std::to_string(C / groups));
  Conv2dParams p;
  p.N = N, p.H = H, p.W = W, p.C = C, p.KH = KH, p.KW = KW, p.OC = OC;
  p.stride_h = stride_h, p.stride_w = stride_w, p.dilation_h = dilation_h, p.dilation_w = dilation_w;
  p.groups = groups;
  const std::size_t ekh = (KH - 1) * dilation_h + 1, ekw = (KW - 1) * dilation_w + 1;  // dilated extents
  if (padding == Padding::valid) {
    p.OH = H >= ekh ? (H - ekh) / stride_h + 1 : 0;
    p.OW = W >= ekw ? (W - ekw) / stride_w + 1 : 0;
  } else {
    p.OH = (H + stride_h - 1) / stride_h;
    p.OW = (W + stride_w - 1) / stride_w;
    std::size_t need_h = p.OH ? (p.OH - 1) * stride_h + ekh : 0, need_w = p.OW ? (p.OW - 1) * stride_w + ekw : 0;
    p.pad_top = need_h > H ? (need_h - H) / 2 : 0;
    p.pad_left = need_w > W ? (need_w - W) / 2 : 0;
  }
  return p;
}

void reference_conv2d(const Conv2dParams& p, const float* x, const float* w, const float* bias, float* y,
                      const CancelToken& cancel) {
  const std::size_t cg = p.C / p.groups, og = p.OC / p.groups;
  for (std::size_t n = 0; n < p.N; ++n) {
    for (std::size_t oh = 0; oh < p.OH; ++oh) {
      cancel.check();
      for (std::size_t ow = 0; ow < p.OW; ++ow) {
        for (std::size_t oc = 0; oc < p.OC; ++oc) {
          const std::size_t g = oc / og;
          double s = bias ? bias[oc] : 0.0;
          for (std::size_t kh = 0; kh < p.KH; ++kh) {
            // Signed arithmetic for the padded position: it may be negative.
            long long ih = static_cast<long long>(oh * p.stride_h + kh * p.dilation_h) - static_cast<long long>(p.pad_top);
            if (ih < 0 || ih >= static_cast<long long>(p.H)) continue;
            for (std::size_t kw = 0; kw < p.KW; ++kw) {
              long long iw =
                  static_cast<long long>(ow * p.stride_w + kw * p.dilation_w) - static_cast<long long>(p.pad_left);
              if (iw < 0 || iw >= static_cast<long long>(p.W)) continue;
              const float* xp = x + ((n * p.H + static_cast<std::size_t>(ih)) * p.W + static_cast<std::size_t>(iw)) * p.C + g * cg;
              const float* wp = w + (kh * p.KW + kw) * cg * p.OC + oc;
              for (std::size_t ci = 0; ci < cg; ++ci) s += static_cast<double>(xp[ci]) * wp[ci * p.OC];
            }
          }
          y[((n * p.OH + oh) * p.OW + ow) * p.OC + oc] = static_cast<float>(s);
        }
      }
    }
  }
}

}  // namespace convkit
