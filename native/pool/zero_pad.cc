#include "pool/zero_pad.h"

#include <algorithm>
#include <cstring>

#include "runtime/thread_pool.h"

namespace convkit {

void zero_pad_forward(std::size_t N, std::array<std::size_t, 3> in, std::size_t C, std::array<std::size_t, 3> b,
                      std::array<std::size_t, 3> a, const float* x, float* y) {
  std::array<std::size_t, 3> o{{in[0] + b[0] + a[0], in[1] + b[1] + a[1], in[2] + b[2] + a[2]}};
  std::size_t rows = N * o[0] * o[1];
  parallel_range(rows, 8, [&](std::size_t rb, std::size_t re) {
    for (std::size_t r = rb; r < re; ++r) {
      std::size_t oh = r % o[1], od = (r / o[1]) % o[0], n = r / (o[1] * o[0]);
      float* yr = y + r * o[2] * C;
      bool inside = od >= b[0] && od < b[0] + in[0] && oh >= b[1] && oh < b[1] + in[1];
      if (!inside) {
        std::fill(yr, yr + o[2] * C, 0.f);
        continue;
      }
      std::fill(yr, yr + b[2] * C, 0.f);
      const float* xr = x + ((n * in[0] + (od - b[0])) * in[1] + (oh - b[1])) * in[2] * C;
      std::memcpy(yr + b[2] * C, xr, in[2] * C * sizeof(float));
      std::fill(yr + (b[2] + in[2]) * C, yr + o[2] * C, 0.f);
    }
  });
}

void zero_pad_backward(std::size_t N, std::array<std::size_t, 3> in, std::size_t C, std::array<std::size_t, 3> b,
                       std::array<std::size_t, 3> a, const float* dy, float* dx) {
  std::array<std::size_t, 3> o{{in[0] + b[0] + a[0], in[1] + b[1] + a[1], in[2] + b[2] + a[2]}};
  std::size_t rows = N * in[0] * in[1];
  parallel_range(rows, 8, [&](std::size_t rb, std::size_t re) {
    for (std::size_t r = rb; r < re; ++r) {
      std::size_t ih = r % in[1], id = (r / in[1]) % in[0], n = r / (in[1] * in[0]);
      const float* src = dy + (((n * o[0] + id + b[0]) * o[1] + ih + b[1]) * o[2] + b[2]) * C;
      std::memcpy(dx + r * in[2] * C, src, in[2] * C * sizeof(float));
    }
  });
}

}  // namespace convkit
