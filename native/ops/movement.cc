#include "ops/movement.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/errors.h"
#include "runtime/thread_pool.h"

namespace convkit::movement {

namespace {
// Rows of this many elements or more are worth a task of their own.
constexpr std::size_t kGrainElems = 1 << 15;

std::size_t grain_rows(std::size_t row_len) { return std::max<std::size_t>(1, kGrainElems / std::max<std::size_t>(1, row_len)); }
}  // namespace

void broadcast_to_f32(const float* x, const Shape& xs, float* out, const Shape& os) {
  if (xs.size() > os.size()) throw InvalidArgument("broadcastTo: cannot broadcast " + shape_str(xs) + " to " + shape_str(os));
  const std::size_t r = os.size();
  const std::size_t off = r - xs.size();
  // Strides of x aligned to out, 0 on broadcast axes.
  std::vector<std::size_t> xst(r, 0);
  {
    std::size_t acc = 1;
    for (std::size_t d = xs.size(); d-- > 0;) {
      if (xs[d] != os[d + off] && xs[d] != 1)
        throw InvalidArgument("broadcastTo: cannot broadcast " + shape_str(xs) + " to " + shape_str(os));
      xst[d + off] = xs[d] == 1 ? 0 : acc;
      acc *= xs[d];
    }
  }
  const std::size_t total = shape_numel(os);
  if (total == 0) return;
  if (r == 0) {
    out[0] = x[0];
    return;
  }
  const std::size_t inner = os[r - 1];
  const std::size_t rows = total / inner;
  const bool inner_bcast = xst[r - 1] == 0;
  parallel_range(rows, grain_rows(inner), [&](std::size_t b, std::size_t e) {
    // Decompose the first row index, then step like an odometer.
    std::vector<std::size_t> idx(r, 0);
    std::size_t rem = b, xo = 0;
    for (std::size_t d = r - 1; d-- > 0;) {
      idx[d] = rem % os[d];
      rem /= os[d];
      xo += idx[d] * xst[d];
    }
    for (std::size_t row = b; row < e; ++row) {
      float* o = out + row * inner;
      if (inner_bcast) std::fill(o, o + inner, x[xo]);
      else std::memcpy(o, x + xo, inner * sizeof(float));
      for (std::size_t d = r - 1; d-- > 0;) {
        xo += xst[d];
        if (++idx[d] < os[d]) break;
        xo -= xst[d] * os[d];
        idx[d] = 0;
      }
    }
  });
}

void pad_f32(const float* x, const Shape& xs, const std::size_t* before, float value, float* out, const Shape& os) {
  const std::size_t r = xs.size();
  if (os.size() != r) throw InvalidArgument("pad: output rank " + std::to_string(os.size()) + " differs from input rank " + std::to_string(r));
  for (std::size_t d = 0; d < r; ++d)
    if (before[d] + xs[d] > os[d])
      throw InvalidArgument("pad: input " + shape_str(xs) + " placed at offset " + std::to_string(before[d]) + " on axis " +
                            std::to_string(d) + " does not fit in " + shape_str(os));
  const std::size_t total = shape_numel(os);
  if (total == 0) return;
  if (r == 0) {
    out[0] = x[0];
    return;
  }
  const std::vector<std::size_t> xst = shape_strides(xs);
  const std::size_t inner = os[r - 1];
  const std::size_t rows = total / inner;
  const std::size_t lead = before[r - 1], len = xs[r - 1];
  parallel_range(rows, grain_rows(inner), [&](std::size_t b, std::size_t e) {
    for (std::size_t row = b; row < e; ++row) {
      float* o = out + row * inner;
      // Which input row (if any) lands on this output row.
      std::size_t rem = row, xo = 0;
      bool inside = true;
      for (std::size_t d = r - 1; d-- > 0;) {
        const std::size_t i = rem % os[d];
        rem /= os[d];
        if (i < before[d] || i >= before[d] + xs[d]) {
          inside = false;
          break;
        }
        xo += (i - before[d]) * xst[d];
      }
      if (!inside || len == 0) {
        std::fill(o, o + inner, value);
        continue;
      }
      std::fill(o, o + lead, value);
      std::memcpy(o + lead, x + xo, len * sizeof(float));
      std::fill(o + lead + len, o + inner, value);
    }
  });
}

void upsample_nearest2d_f32(const float* x, std::size_t n, std::size_t h, std::size_t w, std::size_t c, std::size_t sh,
                            std::size_t sw, float* out) {
  const std::size_t H = h * sh, W = w * sw, row = W * c;
  parallel_range(n * H, grain_rows(row), [&](std::size_t b, std::size_t e) {
    for (std::size_t r = b; r < e; ++r) {
      const std::size_t img = r / H, i = r % H;
      const float* src = x + (img * h + i / sh) * w * c;
      float* o = out + r * row;
      if (c == 1) {
        for (std::size_t j = 0; j < W; ++j) o[j] = src[j / sw];
      } else {
        for (std::size_t j = 0; j < w; ++j)
          for (std::size_t k = 0; k < sw; ++k) std::memcpy(o + (j * sw + k) * c, src + j * c, c * sizeof(float));
      }
    }
  });
}

namespace {
// The two taps and the weight of the second along one axis, for every output index.
struct Taps {
  std::vector<std::size_t> i0, i1;
  std::vector<double> frac;
};
Taps bilinear_taps(std::size_t len, std::size_t s) {
  Taps t;
  const std::size_t out = len * s;
  t.i0.resize(out);
  t.i1.resize(out);
  t.frac.resize(out);
  for (std::size_t i = 0; i < out; ++i) {
    double f = (static_cast<double>(i) + 0.5) / static_cast<double>(s) - 0.5;
    f = std::min(std::max(f, 0.0), static_cast<double>(len - 1));
    const auto a = static_cast<std::size_t>(f);
    t.i0[i] = a;
    t.i1[i] = std::min(a + 1, len - 1);
    t.frac[i] = f - static_cast<double>(a);
  }
  return t;
}
}  // namespace

void upsample_bilinear2d_f32(const float* x, std::size_t n, std::size_t h, std::size_t w, std::size_t c, std::size_t sh,
                             std::size_t sw, float* out) {
  if (n * h * w * c == 0) return;
  const Taps ty = bilinear_taps(h, sh), tx = bilinear_taps(w, sw);
  const std::size_t H = h * sh, W = w * sw;
  parallel_range(n * H, grain_rows(W * c), [&](std::size_t b, std::size_t e) {
    for (std::size_t r = b; r < e; ++r) {
      const std::size_t img = r / H, i = r % H;
      const double fy = ty.frac[i];
      const float* row0 = x + (img * h + ty.i0[i]) * w * c;
      const float* row1 = x + (img * h + ty.i1[i]) * w * c;
      float* o = out + r * W * c;
      for (std::size_t j = 0; j < W; ++j) {
        const double fx = tx.frac[j];
        const float w00 = static_cast<float>((1 - fy) * (1 - fx)), w01 = static_cast<float>((1 - fy) * fx);
        const float w10 = static_cast<float>(fy * (1 - fx)), w11 = static_cast<float>(fy * fx);
        const float *a = row0 + tx.i0[j] * c, *bb = row0 + tx.i1[j] * c, *cc = row1 + tx.i0[j] * c, *d = row1 + tx.i1[j] * c;
        float* oj = o + j * c;
        for (std::size_t k = 0; k < c; ++k) oj[k] = w00 * a[k] + w01 * bb[k] + w10 * cc[k] + w11 * d[k];
      }
    }
  });
}

void upsample_bilinear2d_adjoint_f32(const float* dy, std::size_t n, std::size_t h, std::size_t w, std::size_t c,
                                     std::size_t sh, std::size_t sw, float* dx) {
  std::fill(dx, dx + n * h * w * c, 0.f);
  if (n * h * w * c == 0) return;
  const Taps ty = bilinear_taps(h, sh), tx = bilinear_taps(w, sw);
  const std::size_t H = h * sh, W = w * sw;
  // Scatter-add: output rows of one image hit overlapping input rows, so one task per image.
  parallel_for(n, [&](std::size_t img) {
    for (std::size_t i = 0; i < H; ++i) {
      const double fy = ty.frac[i];
      float* row0 = dx + (img * h + ty.i0[i]) * w * c;
      float* row1 = dx + (img * h + ty.i1[i]) * w * c;
      const float* g = dy + (img * H + i) * W * c;
      for (std::size_t j = 0; j < W; ++j) {
        const double fx = tx.frac[j];
        const float w00 = static_cast<float>((1 - fy) * (1 - fx)), w01 = static_cast<float>((1 - fy) * fx);
        const float w10 = static_cast<float>(fy * (1 - fx)), w11 = static_cast<float>(fy * fx);
        float *a = row0 + tx.i0[j] * c, *bb = row0 + tx.i1[j] * c, *cc = row1 + tx.i0[j] * c, *d = row1 + tx.i1[j] * c;
        const float* gj = g + j * c;
        for (std::size_t k = 0; k < c; ++k) {
          a[k] += w00 * gj[k];
          bb[k] += w01 * gj[k];
          cc[k] += w10 * gj[k];
          d[k] += w11 * gj[k];
        }
      }
    }
  });
}

namespace {
inline std::uint32_t rotl(std::uint32_t v, int k) { return (v << k) | (v >> (32 - k)); }

// xoshiro128**: the same update as lib/random/index.ts Rng.nextUint32.
inline std::uint32_t next(RngState& st) {
  std::uint32_t* s = st.s;
  const std::uint32_t result = rotl(s[1] * 5u, 7) * 9u;
  const std::uint32_t t = s[1] << 9;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 11);
  return result;
}

// Rng.random(): 27 + 26 random bits, exact in double.
inline double uniform01(RngState& st) {
  const double hi = static_cast<double>(next(st) >> 5);
  const double lo = static_cast<double>(next(st) >> 6);
  return (hi * 67108864.0 + lo) / 9007199254740992.0;
}
}  // namespace

void random_mask(RngState& st, double rate, float keep, float* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = uniform01(st) >= rate ? keep : 0.f;
}

void random_uniform(RngState& st, double lo, double hi, float* out, std::size_t n) {
  const double span = hi - lo;
  for (std::size_t i = 0; i < n; ++i) {
    const double u = uniform01(st);
    const double p = span * u;  // two statements: the same two roundings as JavaScript's lo + (hi − lo)·u
    out[i] = static_cast<float>(lo + p);
  }
}

}  // namespace convkit::movement
