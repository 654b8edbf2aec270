// Data-movement kernels (native/ops/movement.h) vs plain references, on every ISA (they have no
// per-ISA code, but run under each forced ISA like every kernel test): broadcast copies, constant
// padding, nearest upsampling with odd sizes and size-0/1 axes, and the xoshiro128** streams
// against a reference generator written here from the paper's update rule (and a known prefix of
// its output for state {1, 2, 3, 4}, computed independently in Python).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "ops/movement.h"
#include "runtime/errors.h"
#include "tests/test_util.h"

using namespace convkit;
using namespace convkit::movement;

namespace {

std::size_t numel(const Shape& s) {
  std::size_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

std::vector<std::size_t> unravel(std::size_t i, const Shape& s) {
  std::vector<std::size_t> idx(s.size());
  for (std::size_t d = s.size(); d-- > 0;) {
    idx[d] = i % s[d];
    i /= s[d];
  }
  return idx;
}

void test_broadcast() {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{}, {3, 2}}, {{1}, {5}}, {{3, 1}, {2, 3, 7}}, {{1, 7}, {3, 7}}, {{2, 1, 3, 1, 5}, {2, 4, 3, 2, 5}},
      {{5}, {2, 3, 5}}, {{4, 1}, {4, 0}}, {{33, 1, 17}, {33, 9, 17}}, {{1, 1, 1}, {2, 1, 3}}, {{1000, 1}, {1000, 97}}};
  for (const auto& [xs, os] : cases) {
    auto x = test::random_vector(std::max<std::size_t>(1, numel(xs)), 3);
    std::vector<float> out(numel(os) + 1, -7.f);  // one guard element past the end
    broadcast_to_f32(x.data(), xs, out.data(), os);
    const std::size_t off = os.size() - xs.size();
    bool ok = true;
    for (std::size_t i = 0; i < numel(os); ++i) {
      auto idx = unravel(i, os);
      std::size_t j = 0;
      for (std::size_t k = 0; k < xs.size(); ++k) j = j * xs[k] + (xs[k] == 1 ? 0 : idx[k + off]);
      ok = ok && out[i] == x[j];
    }
    CK_CHECK_MSG(ok && out[numel(os)] == -7.f, "broadcast %s -> %s", shape_str(xs).c_str(), shape_str(os).c_str());
  }
  bool threw = false;
  try {
    float a[3] = {}, b[6] = {};
    broadcast_to_f32(a, {3}, b, {2, 2});
  } catch (const InvalidArgument&) {
    threw = true;
  }
  CK_CHECK(threw);
}

void test_pad() {
  struct Case { Shape xs; std::vector<std::size_t> before, after; float value; };
  const std::vector<Case> cases = {
      {{3}, {2}, {1}, 0.f}, {{2, 3}, {0, 1}, {0, 2}, 1.5f}, {{2, 3, 4}, {1, 0, 3}, {0, 2, 1}, -2.f},
      {{1, 5, 7, 3}, {0, 2, 1, 0}, {0, 2, 3, 0}, 0.f}, {{2, 0, 3}, {1, 1, 0}, {1, 0, 1}, 4.f},
      {{2, 3, 1, 2, 3}, {0, 1, 2, 0, 1}, {1, 0, 2, 0, 1}, 0.f}, {{64, 129}, {3, 0}, {0, 5}, 9.f}};
  for (const auto& c : cases) {
    Shape os(c.xs.size());
    for (std::size_t d = 0; d < os.size(); ++d) os[d] = c.xs[d] + c.before[d] + c.after[d];
    auto x = test::random_vector(std::max<std::size_t>(1, numel(c.xs)), 5);
    std::vector<float> out(numel(os) + 1, -7.f);
    pad_f32(x.data(), c.xs, c.before.data(), c.value, out.data(), os);
    bool ok = true;
    for (std::size_t i = 0; i < numel(os); ++i) {
      auto idx = unravel(i, os);
      bool inside = true;
      std::size_t j = 0;
      for (std::size_t d = 0; d < os.size(); ++d) {
        inside = inside && idx[d] >= c.before[d] && idx[d] < c.before[d] + c.xs[d];
        j = j * c.xs[d] + (idx[d] - c.before[d]);
      }
      ok = ok && out[i] == (inside ? x[j] : c.value);
    }
    CK_CHECK_MSG(ok && out[numel(os)] == -7.f, "pad %s", shape_str(c.xs).c_str());
  }
}

void test_upsample() {
  const std::size_t cases[][6] = {{2, 3, 5, 3, 2, 3}, {1, 4, 2, 1, 3, 1}, {1, 1, 1, 17, 1, 1}, {3, 2, 3, 2, 1, 4}, {2, 9, 7, 16, 2, 2}};
  for (const auto& c : cases) {
    const std::size_t n = c[0], h = c[1], w = c[2], ch = c[3], sh = c[4], sw = c[5];
    auto x = test::random_vector(n * h * w * ch, 7);
    std::vector<float> out(n * h * sh * w * sw * ch + 1, -7.f);
    upsample_nearest2d_f32(x.data(), n, h, w, ch, sh, sw, out.data());
    bool ok = true;
    std::size_t o = 0;
    for (std::size_t b = 0; b < n; ++b)
      for (std::size_t i = 0; i < h * sh; ++i)
        for (std::size_t j = 0; j < w * sw; ++j)
          for (std::size_t k = 0; k < ch; ++k) ok = ok && out[o++] == x[((b * h + i / sh) * w + j / sw) * ch + k];
    CK_CHECK_MSG(ok && out[o] == -7.f, "upsample %zux%zux%zux%zu by %zux%zu", n, h, w, ch, sh, sw);
  }
}

// Bilinear (half-pixel centres) in double, and the adjoint identity <up(x), g> = <x, up*(g)>.
void test_bilinear() {
  const std::size_t cases[][6] = {{2, 3, 5, 3, 2, 3}, {1, 4, 2, 1, 3, 1}, {1, 1, 1, 5, 2, 2}, {3, 2, 3, 2, 1, 4}, {1, 6, 7, 17, 2, 2}};
  for (const auto& cs : cases) {
    const std::size_t n = cs[0], h = cs[1], w = cs[2], c = cs[3], sh = cs[4], sw = cs[5], H = h * sh, W = w * sw;
    auto x = test::random_vector(n * h * w * c, 11);
    auto g = test::random_vector(n * H * W * c, 12);
    std::vector<float> y(n * H * W * c), dx(n * h * w * c, 5.f);
    upsample_bilinear2d_f32(x.data(), n, h, w, c, sh, sw, y.data());
    upsample_bilinear2d_adjoint_f32(g.data(), n, h, w, c, sh, sw, dx.data());
    auto src = [](std::size_t i, std::size_t s, std::size_t len, std::size_t& a, std::size_t& b, double& fr) {
      double f = (i + 0.5) / s - 0.5;
      f = std::min(std::max(f, 0.0), double(len - 1));
      a = std::size_t(f);
      b = std::min(a + 1, len - 1);
      fr = f - a;
    };
    std::vector<double> ref(y.size());
    double worst = 0, lhs = 0, rhs = 0;
    for (std::size_t b = 0; b < n; ++b)
      for (std::size_t i = 0; i < H; ++i)
        for (std::size_t j = 0; j < W; ++j) {
          std::size_t y0, y1, x0, x1;
          double fy, fx;
          src(i, sh, h, y0, y1, fy);
          src(j, sw, w, x0, x1, fx);
          for (std::size_t k = 0; k < c; ++k) {
            auto at = [&](std::size_t yy, std::size_t xx) { return double(x[((b * h + yy) * w + xx) * c + k]); };
            const std::size_t o = ((b * H + i) * W + j) * c + k;
            ref[o] = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x1)) + fy * ((1 - fx) * at(y1, x0) + fx * at(y1, x1));
            worst = std::max(worst, std::fabs(ref[o] - y[o]));
            lhs += ref[o] * g[o];
          }
        }
    for (std::size_t i = 0; i < x.size(); ++i) rhs += double(x[i]) * dx[i];
    CK_CHECK_MSG(worst < 1e-6, "bilinear forward %zux%zux%zux%zu: max error %g", n, h, w, c, worst);
    CK_CHECK_MSG(std::fabs(lhs - rhs) < 1e-4 * (1 + std::fabs(lhs)), "bilinear adjoint: %g vs %g", lhs, rhs);
  }
}

// Reference xoshiro128** (Blackman & Vigna), written out again here.
struct RefGen {
  std::uint32_t s[4];
  static std::uint32_t rotl(std::uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }
  std::uint32_t next() {
    const std::uint32_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 9;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 11);
    return r;
  }
  double u() {
    const std::uint64_t hi = next() >> 5, lo = next() >> 6;
    return static_cast<double>((hi << 26) | lo) * (1.0 / 9007199254740992.0);
  }
};

void test_random() {
  // Known prefix for state {1, 2, 3, 4}: 11520, 0, 5927040, 70819200, 2031721883.
  RefGen g{{1, 2, 3, 4}};
  const std::uint32_t want[5] = {11520u, 0u, 5927040u, 70819200u, 2031721883u};
  for (auto w : want) CK_CHECK(g.next() == w);
  for (std::size_t n : {std::size_t(1), std::size_t(17), std::size_t(100003)}) {
    for (double rate : {0.0, 0.2, 0.5, 0.9}) {
      RngState st{{0x9e3779b9u, 0x12345678u, 0xdeadbeefu, static_cast<std::uint32_t>(n)}};
      RefGen ref{{st.s[0], st.s[1], st.s[2], st.s[3]}};
      std::vector<float> m(n);
      const float keep = static_cast<float>(1.0 / (1.0 - rate));
      random_mask(st, rate, keep, m.data(), n);
      bool ok = true;
      for (std::size_t i = 0; i < n; ++i) ok = ok && m[i] == (ref.u() >= rate ? keep : 0.f);
      CK_CHECK_MSG(ok && std::memcmp(st.s, ref.s, sizeof st.s) == 0, "mask n=%zu rate=%g", n, rate);
      std::vector<float> u(n);
      random_uniform(st, -0.3, 0.7, u.data(), n);
      ok = true;
      for (std::size_t i = 0; i < n; ++i) ok = ok && u[i] == static_cast<float>(-0.3 + 1.0 * ref.u());
      CK_CHECK_MSG(ok && std::memcmp(st.s, ref.s, sizeof st.s) == 0, "uniform n=%zu", n);
    }
  }
}

}  // namespace

int main() {
  test::for_each_isa([](Isa) {
    test_broadcast();
    test_pad();
    test_upsample();
    test_bilinear();
    test_random();
  });
  return test::finish("movement_test");
}
