// The tap walk of the per-ISA column kernels (column_kernel_impl.h). It is plain arithmetic on a
// POD geometry with internal linkage and no std:: calls, so an AVX-512 instantiation can never be
// picked by the linker for a baseline caller (see conv/simd_traits.h).
#pragma once
#include <cstddef>

namespace convkit {

// What the walk needs of a ConvDesc, and the forward tap maps: map[i][o*kernel[i] + t] is the input
// coordinate read by output coordinate o at tap t along dimension i (D, H, W), or -1 in the padding.
struct ColGeom {
  std::size_t out[3], in[3], kernel[3];
  std::size_t C;   // channels per pixel of x / dx
  std::size_t cg;  // channels per group (the column holds one group's taps)
  std::size_t stride_w, dilation_w, pad_w;  // along the width (the row-wise col2im needs 1, 1)
  const long* map[3];
};

namespace {

// Free functions, not members: a member would be an external inline symbol compiled once per ISA.
inline std::size_t col_out_pixels(const ColGeom& d) { return d.out[0] * d.out[1] * d.out[2]; }
inline std::size_t col_taps(const ColGeom& d) { return d.kernel[0] * d.kernel[1] * d.kernel[2]; }

// Calls f(r, t, src, len) for r < rows (output pixel p0 + r), covering every tap t once: taps
// t..t+len-1 read input pixels src..src+len-1 (or all lie in the padding when src = -1). Along the
// width, undilated taps of one kernel row read consecutive pixels, so a row of KW taps is one run of
// KW·Cin contiguous floats in both x and the column: with few channels (LeNet's 1 and 6) the copy is
// then one vectorisable span instead of KW calls of Cin floats. Pixel coordinates are stepped, not
// divided out per tap: this walk is the whole cost of the column step when channels are few.
template <class F>
inline void walk_taps(const ColGeom& d, std::size_t p0, std::size_t rows, F f) {
  const std::size_t P = col_out_pixels(d);
  std::size_t ow = p0 % d.out[2], oh = (p0 / d.out[2]) % d.out[1], od = (p0 / (d.out[2] * d.out[1])) % d.out[0];
  std::size_t n = p0 / P;
  for (std::size_t r = 0; r < rows; ++r) {
    std::size_t t = 0;
    for (std::size_t kd = 0; kd < d.kernel[0]; ++kd) {
      const long sd = d.map[0][od * d.kernel[0] + kd];
      for (std::size_t kh = 0; kh < d.kernel[1]; ++kh) {
        const long sh = d.map[1][oh * d.kernel[1] + kh];
        const long* mw = d.map[2] + ow * d.kernel[2];
        const long base = (sd < 0 || sh < 0) ? -1 : static_cast<long>((n * d.in[0] + sd) * d.in[1] + sh) * static_cast<long>(d.in[2]);
        for (std::size_t kw = 0; kw < d.kernel[2];) {
          const bool pad = base < 0 || mw[kw] < 0;
          std::size_t e = kw + 1;
          if (pad) {
            while (e < d.kernel[2] && (base < 0 || mw[e] < 0)) ++e;
          } else {
            while (e < d.kernel[2] && mw[e] == mw[e - 1] + 1) ++e;
          }
          f(r, t, pad ? -1 : base + mw[kw], e - kw);
          t += e - kw;
          kw = e;
        }
      }
    }
    if (++ow == d.out[2]) {
      ow = 0;
      if (++oh == d.out[1]) {
        oh = 0;
        if (++od == d.out[0]) od = 0, ++n;
      }
    }
  }
}

}  // namespace
}  // namespace convkit
