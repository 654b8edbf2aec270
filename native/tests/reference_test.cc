// The reference matmul and conv2d against hand-computed values and independent formulations
// (conv as explicit im2col + matmul; 1x1 conv as matmul; transposes).
#include <cmath>
#include <vector>

#include "reference/reference.h"
#include "tests/test_util.h"

using namespace convkit;

int main() {
  // matmul: a hand example, and every transpose combination vs the plain one.
  {
    float A[] = {1, 2, 3, 4, 5, 6}, B[] = {7, 8, 9, 10, 11, 12}, C[4];
    reference_matmul(false, false, 2, 2, 3, A, B, C);
    CK_CHECK(C[0] == 58 && C[1] == 64 && C[2] == 139 && C[3] == 154);
    const std::size_t M = 7, N = 5, K = 9;
    auto a = test::random_vector(M * K, 1), b = test::random_vector(K * N, 2);
    std::vector<float> at(K * M), bt(N * K), c0(M * N), c1(M * N);
    for (std::size_t m = 0; m < M; ++m)
      for (std::size_t k = 0; k < K; ++k) at[k * M + m] = a[m * K + k];
    for (std::size_t k = 0; k < K; ++k)
      for (std::size_t n = 0; n < N; ++n) bt[n * K + k] = b[k * N + n];
    reference_matmul(false, false, M, N, K, a.data(), b.data(), c0.data());
    for (int t = 1; t < 4; ++t) {
      bool ta = t & 1, tb = t & 2;
      reference_matmul(ta, tb, M, N, K, ta ? at.data() : a.data(), tb ? bt.data() : b.data(), c1.data());
      CK_CHECK(c0 == c1);
    }
  }
  // conv2d hand example: 1x3x3x1 input 1..9, 2x2 filter of ones, valid, stride 1 -> 2x2 sums.
  {
    float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w[4] = {1, 1, 1, 1}, y[4];
    auto p = conv2d_params(1, 3, 3, 1, 2, 2, 1, 1, 1, 1, 1, 1, Padding::valid, 1);
    CK_CHECK(p.OH == 2 && p.OW == 2);
    reference_conv2d(p, x, w, nullptr, y);
    CK_CHECK(y[0] == 12 && y[1] == 16 && y[2] == 24 && y[3] == 28);
    // same padding, stride 2: 3x3 -> 2x2; total pad 1 -> 0 before, 1 after (TF rule).
    auto q = conv2d_params(1, 3, 3, 1, 2, 2, 1, 1, 2, 2, 1, 1, Padding::same, 1);
    CK_CHECK(q.OH == 2 && q.OW == 2 && q.pad_top == 0 && q.pad_left == 0);
    reference_conv2d(q, x, w, nullptr, y);
    CK_CHECK(y[0] == 12 && y[1] == 9 && y[2] == 15 && y[3] == 9);
    auto r = conv2d_params(1, 5, 5, 1, 3, 3, 1, 1, 1, 1, 1, 1, Padding::same, 1);
    CK_CHECK(r.OH == 5 && r.pad_top == 1 && r.pad_left == 1);
  }
  // conv2d vs an explicit im2col + reference matmul, over strides, dilations, padding, groups.
  for (std::size_t groups : {1u, 3u}) {
    for (auto pad : {Padding::valid, Padding::same}) {
      for (std::size_t s : {1u, 2u}) {
        for (std::size_t d : {1u, 2u}) {
          const std::size_t N = 2, H = 9, W = 8, C = 6, KH = 3, KW = 2, OC = 9;
          auto p = conv2d_params(N, H, W, C, KH, KW, C / groups, OC, s, s, d, d, pad, groups);
          auto x = test::random_vector(N * H * W * C, 3), w = test::random_vector(KH * KW * (C / groups) * OC, 4);
          auto bias = test::random_vector(OC, 5);
          std::vector<float> y(N * p.OH * p.OW * OC);
          reference_conv2d(p, x.data(), w.data(), bias.data(), y.data());
          const std::size_t cg = C / groups, og = OC / groups, KK = KH * KW * cg, P = N * p.OH * p.OW;
          int bad = 0;
          for (std::size_t g = 0; g < groups; ++g) {
            std::vector<float> cols(P * KK, 0.f), wg(KK * og), out(P * og);
            for (std::size_t n = 0; n < N; ++n)
              for (std::size_t oh = 0; oh < p.OH; ++oh)
                for (std::size_t ow = 0; ow < p.OW; ++ow)
                  for (std::size_t kh = 0; kh < KH; ++kh)
                    for (std::size_t kw = 0; kw < KW; ++kw)
                      for (std::size_t ci = 0; ci < cg; ++ci) {
                        long ih = static_cast<long>(oh * p.stride_h + kh * d) - static_cast<long>(p.pad_top);
                        long iw = static_cast<long>(ow * p.stride_w + kw * d) - static_cast<long>(p.pad_left);
                        float v = (ih >= 0 && ih < static_cast<long>(H) && iw >= 0 && iw < static_cast<long>(W))
                                      ? x[((n * H + ih) * W + iw) * C + g * cg + ci]
                                      : 0.f;
                        cols[((n * p.OH + oh) * p.OW + ow) * KK + (kh * KW + kw) * cg + ci] = v;
                      }
            for (std::size_t k = 0; k < KK; ++k)
              for (std::size_t o = 0; o < og; ++o) wg[k * og + o] = w[k * OC + g * og + o];
            reference_matmul(false, false, P, og, KK, cols.data(), wg.data(), out.data());
            for (std::size_t i = 0; i < P; ++i)
              for (std::size_t o = 0; o < og; ++o) {
                double want = static_cast<double>(out[i * og + o]) + bias[g * og + o];
                if (std::fabs(y[i * OC + g * og + o] - want) > 1e-5 * (1 + std::fabs(want))) ++bad;
              }
          }
          CK_CHECK_MSG(bad == 0, "conv2d groups=%zu pad=%d s=%zu d=%zu: %d mismatches", groups, static_cast<int>(pad), s, d, bad);
        }
      }
    }
  }
  // Invalid geometry is rejected.
  bool threw = false;
  try {
    conv2d_params(1, 5, 5, 4, 3, 3, 4, 6, 1, 1, 1, 1, Padding::valid, 3);
  } catch (const InvalidArgument&) {
    threw = true;
  }
  CK_CHECK(threw);
  // Cancellation stops the work.
  {
    int flag = 1;
    CancelToken tok{&flag};
    std::vector<float> a(16, 1.f), c(16);
    threw = false;
    try {
      reference_matmul(false, false, 4, 4, 4, a.data(), a.data(), c.data(), tok);
    } catch (const Cancelled&) {
      threw = true;
    }
    CK_CHECK(threw);
  }
  return test::finish("reference_test");
}
