// Pooling (max/avg, 1-3D, valid/same/explicit, strides, overlapping windows), global pooling and zero
// padding, forward and backward, against plain double references, on every ISA. Tolerance 1e-6
// relative (max is exact; averages sum at most a few dozen terms).
#include <cmath>
#include <limits>

#include <cstring>

#include "pool/pool.h"
#include "pool/pool_kernels.h"
#include "pool/zero_pad.h"
#include "test_util.h"

using namespace convkit;
using namespace convkit::test;

namespace {

// Reference: for each output pixel, the list of real input pixels under its window (row-major order).
template <class F>
void ref_windows(const PoolDesc& d, F f) {
  for (std::size_t n = 0; n < d.N; ++n)
    for (std::size_t od = 0; od < d.out[0]; ++od)
      for (std::size_t oh = 0; oh < d.out[1]; ++oh)
        for (std::size_t ow = 0; ow < d.out[2]; ++ow) {
          std::vector<std::size_t> px;
          for (std::size_t a = 0; a < d.window[0]; ++a)
            for (std::size_t b = 0; b < d.window[1]; ++b)
              for (std::size_t c = 0; c < d.window[2]; ++c) {
                long i0 = (long)(od * d.stride[0] + a) - (long)d.pad_before[0];
                long i1 = (long)(oh * d.stride[1] + b) - (long)d.pad_before[1];
                long i2 = (long)(ow * d.stride[2] + c) - (long)d.pad_before[2];
                if (i0 < 0 || i1 < 0 || i2 < 0 || i0 >= (long)d.in[0] || i1 >= (long)d.in[1] || i2 >= (long)d.in[2])
                  continue;
                px.push_back(((n * d.in[0] + i0) * d.in[1] + i1) * d.in[2] + i2);
              }
          f(((n * d.out[0] + od) * d.out[1] + oh) * d.out[2] + ow, px);
        }
}

// Reference max pooling over channels-last x: y = the window's maximum (0 for an empty window), dx
// gets dy at the first maximal tap; dx_relu (if given) only where that maximum is > 0 (the ReLU
// gradient fused into the backward pass).
void ref_max_pool(const PoolDesc& d, const std::vector<float>& x, const std::vector<float>& dy, std::vector<double>& y,
                  std::vector<double>& dx, std::vector<double>* dx_relu = nullptr) {
  const std::size_t C = d.C;
  ref_windows(d, [&](std::size_t op, const std::vector<std::size_t>& px) {
    for (std::size_t c = 0; c < C; ++c) {
      double m = -std::numeric_limits<double>::infinity();
      std::size_t arg = 0;
      for (std::size_t p : px)
        if (x[p * C + c] > m) m = x[p * C + c], arg = p;
      y[op * C + c] = px.empty() ? 0.0 : m;
      if (px.empty()) continue;
      dx[arg * C + c] += dy[op * C + c];
      if (dx_relu && m > 0) (*dx_relu)[arg * C + c] += dy[op * C + c];
    }
  });
}

struct PCase {
  std::size_t N, C;
  std::array<std::size_t, 3> in, win, stride;
  Padding pad;
};

PoolDesc desc_of(const PCase& pc) {
  PoolDesc d;
  d.N = pc.N;
  d.C = pc.C;
  d.in = pc.in;
  d.window = pc.win;
  d.stride = pc.stride;
  d.finalize(pc.pad);
  return d;
}

}  // namespace

int main() {
  std::vector<PCase> cases = {
      {2, 5, {1, 9, 11}, {1, 2, 2}, {1, 2, 2}, Padding::valid},
      {1, 19, {1, 9, 11}, {1, 3, 3}, {1, 2, 2}, Padding::same},    // asymmetric same, overlapping
      {2, 33, {1, 7, 7}, {1, 3, 3}, {1, 1, 1}, Padding::same},
      {1, 8, {1, 10, 9}, {1, 2, 3}, {1, 3, 2}, Padding::valid},
      {3, 4, {1, 1, 13}, {1, 1, 3}, {1, 1, 2}, Padding::same},     // 1-D
      {2, 6, {5, 6, 7}, {2, 2, 2}, {2, 2, 2}, Padding::same},      // 3-D
      {1, 3, {4, 5, 6}, {3, 2, 3}, {1, 2, 2}, Padding::valid},
      {1, 40, {1, 8, 8}, {1, 8, 8}, {1, 1, 1}, Padding::valid},    // window = input
      // Disjoint windows (the backward stores rather than adds): tiling the input exactly (no
      // zero fill: LeNet's 2x2/2 shape, a 3x3/3 and a 3-D one), and stride above the window.
      {3, 6, {1, 8, 10}, {1, 2, 2}, {1, 2, 2}, Padding::valid},
      {2, 17, {1, 6, 9}, {1, 3, 3}, {1, 3, 3}, Padding::valid},
      {1, 5, {4, 4, 6}, {2, 2, 2}, {2, 2, 2}, Padding::valid},
      {1, 7, {1, 9, 10}, {1, 2, 2}, {1, 3, 3}, Padding::valid},
  };
  for_each_isa([&](Isa) {
    unsigned seed = 3;
    // Second pass: inputs rounded to a few levels so windows hold ties; the max gradient must go
    // to the first row holding the maximum, as the reference's strict '>' does.
    for (int ties = 0; ties < 2; ++ties)
    for (const PCase& pc : cases) {
      const PoolDesc d = desc_of(pc);
      auto x = random_vector(d.input_size(), seed++);
      if (ties)
        for (float& v : x) v = std::round(v * 2.f);
      auto dy = random_vector(d.output_size(), seed++);
      for (PoolKind kind : {PoolKind::max, PoolKind::avg}) {
        std::vector<double> ry(d.output_size()), rdx(d.input_size(), 0.0);
        ref_windows(d, [&](std::size_t op, const std::vector<std::size_t>& px) {
          for (std::size_t c = 0; c < d.C; ++c) {
            if (kind == PoolKind::max) {
              double m = -std::numeric_limits<double>::infinity();
              std::size_t arg = 0;
              for (std::size_t p : px)
                if (x[p * d.C + c] > m) m = x[p * d.C + c], arg = p;
              ry[op * d.C + c] = m;
              rdx[arg * d.C + c] += dy[op * d.C + c];
            } else {
              double s = 0;
              for (std::size_t p : px) s += x[p * d.C + c];
              ry[op * d.C + c] = s / px.size();
              for (std::size_t p : px) rdx[p * d.C + c] += dy[op * d.C + c] / px.size();
            }
          }
        });
        std::vector<float> y(d.output_size(), -9.f), dx(d.input_size(), -9.f);
        pool_forward(d, kind, x.data(), y.data());
        pool_backward(d, kind, x.data(), dy.data(), dx.data());
        double ey = error_ratio(y.data(), ry.data(), y.size(), 1e-6, 1e-6);
        double ex = error_ratio(dx.data(), rdx.data(), dx.size(), 1e-6, 1e-6);
        CK_CHECK_MSG(ey <= 1, "%s fwd %s: ratio %g", kind == PoolKind::max ? "max" : "avg", d.str().c_str(), ey);
        CK_CHECK_MSG(ex <= 1, "%s bwd %s: ratio %g", kind == PoolKind::max ? "max" : "avg", d.str().c_str(), ex);
      }
    }
    // Max pooling runs whole output rows (max_fwd_row / max_back_row). Every channel count 1..17
    // (all masked-tail widths of both vector sizes), odd sizes, 'same' and 'valid', strides below,
    // equal to and above the window: against the double reference, and bit for bit against the
    // per-pixel kernels (max_rows / max_back, the former path) on inputs holding NaNs, +0/-0 and
    // ties, whose result depends on the fold order of V::max (maxps returns its second operand when
    // either is NaN or both are zero), so the row kernels must keep the window order.
    for (std::size_t C = 1; C <= 17; ++C)
      for (int g = 0; g < 3; ++g) {
        PoolDesc d;
        d.N = 2;
        d.C = C;
        d.in = {{1, 7 + C % 3, 9 + C % 4}};
        const std::size_t win[3] = {2, 3, 2}, str[3] = {2, 2, 3};
        d.window = {{1, win[g], win[(g + 1) % 3]}};
        d.stride = {{1, str[g], str[(g + 2) % 3]}};
        d.finalize(g == 1 ? Padding::valid : Padding::same);
        auto x = random_vector(d.input_size(), seed++);
        auto dy = random_vector(d.output_size(), seed++);
        std::vector<double> ry(d.output_size()), rdx(d.input_size(), 0.0);
        ref_max_pool(d, x, dy, ry, rdx);
        std::vector<float> y(d.output_size(), -9.f), dx(d.input_size(), -9.f);
        pool_forward(d, PoolKind::max, x.data(), y.data());
        pool_backward(d, PoolKind::max, x.data(), dy.data(), dx.data());
        CK_CHECK_MSG(error_ratio(y.data(), ry.data(), y.size(), 1e-6, 1e-6) <= 1, "max row fwd %s", d.str().c_str());
        CK_CHECK_MSG(error_ratio(dx.data(), rdx.data(), dx.size(), 1e-6, 1e-6) <= 1, "max row bwd %s", d.str().c_str());

        // Special values: NaN, +0, -0, repeated levels.
        const float nan = std::numeric_limits<float>::quiet_NaN();
        for (std::size_t i = 0; i < x.size(); ++i) {
          const unsigned h = (unsigned)(i * 2654435761u) >> 28;
          x[i] = h < 2 ? nan : h < 5 ? 0.f : h < 8 ? -0.f : std::round(x[i]);
        }
        const PoolKernels& K = pool_kernels();
        std::vector<float> py(d.output_size()), pdx(d.input_size(), 0.f);
        ref_windows(d, [&](std::size_t op, const std::vector<std::size_t>& px) {
          if (px.empty()) {
            for (std::size_t c = 0; c < C; ++c) py[op * C + c] = 0.f;
            return;
          }
          std::vector<const float*> xr;
          std::vector<float*> dr;
          for (std::size_t p : px) xr.push_back(x.data() + p * C), dr.push_back(pdx.data() + p * C);
          K.max_rows(xr.data(), xr.size(), C, py.data() + op * C);
          K.max_back(xr.data(), dr.data(), xr.size(), C, dy.data() + op * C);
        });
        pool_forward(d, PoolKind::max, x.data(), y.data());
        pool_backward(d, PoolKind::max, x.data(), dy.data(), dx.data());
        CK_CHECK_MSG(std::memcmp(y.data(), py.data(), y.size() * 4) == 0, "max row fwd bits %s", d.str().c_str());
        CK_CHECK_MSG(std::memcmp(dx.data(), pdx.data(), dx.size() * 4) == 0, "max row bwd bits %s", d.str().c_str());
      }
    // The tiled 2x2 / stride 2 kernels (pool_2x2_impl.h): every C in 1..17 (AVX-512's flat lane
    // layout for C < 16 with every period of its chunk pattern, row tails, the per-pixel path at
    // C >= 16), odd output sizes, 2-D and 3-D (depth window 1), against the double reference, and
    // bit for bit against the per-pixel kernels on NaN, +0/-0 and ties, plain and with the ReLU
    // gradient fused (dx is poisoned first: every element must be written).
    for (std::size_t C = 1; C <= 17; ++C)
      for (int shape = 0; shape < 2; ++shape) {
        PoolDesc d;
        d.N = 3;
        d.C = C;
        d.in = shape == 0 ? std::array<std::size_t, 3>{{1, 2 * (3 + C % 4), 2 * (5 + C % 3)}}
                          : std::array<std::size_t, 3>{{2, 6, 2 * (1 + C % 5)}};
        d.window = {{1, 2, 2}};
        d.stride = {{1, 2, 2}};
        d.finalize(Padding::valid);
        auto x = random_vector(d.input_size(), seed++);
        auto dy = random_vector(d.output_size(), seed++);
        std::vector<double> ry(d.output_size()), rdx(d.input_size(), 0.0), rdxr(d.input_size(), 0.0);
        ref_max_pool(d, x, dy, ry, rdx, &rdxr);
        std::vector<float> y(d.output_size(), -9.f), dx(d.input_size(), -9.f), dxr(d.input_size(), -9.f);
        pool_forward(d, PoolKind::max, x.data(), y.data());
        pool_backward(d, PoolKind::max, x.data(), dy.data(), dx.data());
        pool_backward(d, PoolKind::max, x.data(), dy.data(), dxr.data(), {}, true);
        CK_CHECK_MSG(error_ratio(y.data(), ry.data(), y.size(), 1e-6, 1e-6) <= 1, "2x2 fwd %s", d.str().c_str());
        CK_CHECK_MSG(error_ratio(dx.data(), rdx.data(), dx.size(), 1e-6, 1e-6) <= 1, "2x2 bwd %s", d.str().c_str());
        CK_CHECK_MSG(error_ratio(dxr.data(), rdxr.data(), dxr.size(), 1e-6, 1e-6) <= 1, "2x2 bwd relu %s",
                     d.str().c_str());

        const float nan = std::numeric_limits<float>::quiet_NaN();
        for (std::size_t i = 0; i < x.size(); ++i) {
          const unsigned h = (unsigned)(i * 2654435761u) >> 28;
          x[i] = h < 2 ? nan : h < 5 ? 0.f : h < 8 ? -0.f : std::round(x[i]);
        }
        for (std::size_t i = 0; i < dy.size(); i += 7) dy[i] = -0.f;
        const PoolKernels& K = pool_kernels();
        std::vector<float> py(d.output_size()), pdx(d.input_size(), 0.f);
        ref_windows(d, [&](std::size_t op, const std::vector<std::size_t>& px) {
          std::vector<const float*> xr;
          std::vector<float*> dr;
          for (std::size_t p : px) xr.push_back(x.data() + p * C), dr.push_back(pdx.data() + p * C);
          K.max_rows(xr.data(), xr.size(), C, py.data() + op * C);
          K.max_back(xr.data(), dr.data(), xr.size(), C, dy.data() + op * C);
        });
        std::vector<float> pdxr(pdx);
        for (std::size_t i = 0; i < pdxr.size(); ++i) pdxr[i] = pdx[i] * (x[i] > 0.f ? 1.f : 0.f);
        std::fill(dx.begin(), dx.end(), -9.f), std::fill(dxr.begin(), dxr.end(), -9.f);
        pool_forward(d, PoolKind::max, x.data(), y.data());
        pool_backward(d, PoolKind::max, x.data(), dy.data(), dx.data());
        pool_backward(d, PoolKind::max, x.data(), dy.data(), dxr.data(), {}, true);
        CK_CHECK_MSG(std::memcmp(y.data(), py.data(), y.size() * 4) == 0, "2x2 fwd bits %s", d.str().c_str());
        CK_CHECK_MSG(std::memcmp(dx.data(), pdx.data(), dx.size() * 4) == 0, "2x2 bwd bits %s", d.str().c_str());
        CK_CHECK_MSG(std::memcmp(dxr.data(), pdxr.data(), dxr.size() * 4) == 0, "2x2 bwd relu bits %s",
                     d.str().c_str());
      }
    // Max pooling of a ReLU's output with the ReLU's gradient fused (pool_backward relu=true): x
    // holds zeros, also whole windows of them, and ties; dx must be relu'(x) ⊙ the plain max-pool
    // gradient, against the double reference and bit for bit against the two passes (the product
    // dy * [x > 0] of the separate activation gradient).
    for (const PCase& pc : cases) {
      const PoolDesc d = desc_of(pc);
      auto x = random_vector(d.input_size(), seed++);
      for (float& v : x) v = v < 0.2f ? 0.f : std::round(v * 4.f) / 4.f;
      auto dy = random_vector(d.output_size(), seed++);
      std::vector<double> rdx(d.input_size(), 0.0);
      ref_windows(d, [&](std::size_t op, const std::vector<std::size_t>& px) {
        for (std::size_t c = 0; c < d.C; ++c) {
          double m = -std::numeric_limits<double>::infinity();
          std::size_t arg = 0;
          for (std::size_t p : px)
            if (x[p * d.C + c] > m) m = x[p * d.C + c], arg = p;
          if (!px.empty() && m > 0) rdx[arg * d.C + c] += dy[op * d.C + c];
        }
      });
      std::vector<float> two(d.input_size(), -9.f), fused(d.input_size(), -9.f);
      pool_backward(d, PoolKind::max, x.data(), dy.data(), two.data());
      for (std::size_t i = 0; i < two.size(); ++i) two[i] = two[i] * (x[i] > 0.f ? 1.f : 0.f);
      pool_backward(d, PoolKind::max, x.data(), dy.data(), fused.data(), {}, true);
      CK_CHECK_MSG(error_ratio(fused.data(), rdx.data(), fused.size(), 1e-6, 1e-6) <= 1, "max+relu bwd %s",
                   d.str().c_str());
      CK_CHECK_MSG(std::memcmp(fused.data(), two.data(), two.size() * 4) == 0, "max+relu bwd bits %s", d.str().c_str());
      bool threw = false;
      try {
        pool_backward(d, PoolKind::avg, x.data(), dy.data(), fused.data(), {}, true);
      } catch (const InvalidArgument&) {
        threw = true;
      }
      CK_CHECK_MSG(threw, "avg pool backward with relu must be rejected");
    }
    // Global pooling.
    for (std::size_t C : {1u, 7u, 37u}) {
      std::size_t N = 3, P = 29;
      auto x = random_vector(N * P * C, seed++);
      auto dy = random_vector(N * C, seed++);
      for (PoolKind kind : {PoolKind::max, PoolKind::avg}) {
        std::vector<double> ry(N * C), rdx(N * P * C, 0.0);
        for (std::size_t n = 0; n < N; ++n)
          for (std::size_t c = 0; c < C; ++c) {
            double m = -1e30, s = 0;
            std::size_t arg = 0;
            for (std::size_t p = 0; p < P; ++p) {
              double v = x[(n * P + p) * C + c];
              s += v;
              if (v > m) m = v, arg = p;
            }
            ry[n * C + c] = kind == PoolKind::max ? m : s / P;
            if (kind == PoolKind::max)
              rdx[(n * P + arg) * C + c] = dy[n * C + c];
            else
              for (std::size_t p = 0; p < P; ++p) rdx[(n * P + p) * C + c] = dy[n * C + c] / (double)P;
          }
        std::vector<float> y(N * C), dx(N * P * C, -9.f);
        global_pool_forward(N, P, C, kind, x.data(), y.data());
        global_pool_backward(N, P, C, kind, x.data(), dy.data(), dx.data());
        CK_CHECK(error_ratio(y.data(), ry.data(), y.size(), 1e-6, 1e-6) <= 1);
        CK_CHECK(error_ratio(dx.data(), rdx.data(), dx.size(), 1e-6, 1e-6) <= 1);
      }
    }
    // Zero padding and its crop.
    {
      std::size_t N = 2, C = 3;
      std::array<std::size_t, 3> in{{2, 3, 4}}, b{{1, 0, 2}}, a{{0, 2, 1}};
      std::array<std::size_t, 3> o{{3, 5, 7}};
      auto x = random_vector(N * 2 * 3 * 4 * C, seed++);
      std::vector<float> y(N * o[0] * o[1] * o[2] * C, -1.f), back(x.size(), -1.f);
      zero_pad_forward(N, in, C, b, a, x.data(), y.data());
      bool ok = true;
      for (std::size_t n = 0; n < N; ++n)
        for (std::size_t i = 0; i < o[0]; ++i)
          for (std::size_t j = 0; j < o[1]; ++j)
            for (std::size_t k = 0; k < o[2]; ++k)
              for (std::size_t c = 0; c < C; ++c) {
                long si = (long)i - (long)b[0], sj = (long)j - (long)b[1], sk = (long)k - (long)b[2];
                float want = 0.f;
                if (si >= 0 && sj >= 0 && sk >= 0 && si < (long)in[0] && sj < (long)in[1] && sk < (long)in[2])
                  want = x[(((n * in[0] + si) * in[1] + sj) * in[2] + sk) * C + c];
                ok = ok && y[(((n * o[0] + i) * o[1] + j) * o[2] + k) * C + c] == want;
              }
      CK_CHECK(ok);
      zero_pad_backward(N, in, C, b, a, y.data(), back.data());
      CK_CHECK(back == x);
    }
  });
  return finish("pool_test");
}
