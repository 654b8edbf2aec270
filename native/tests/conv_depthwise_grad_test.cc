// Depthwise gradients (conv_depthwise_grad.h) against the plain double references (conv_reference.h:
// the transpose of the forward sum for dx, the sum over pixels of x*dy for dw and db), on every ISA:
// channel counts that fill whole register blocks and leave masked tails (2, 3, 16, 37, 70, 128),
// rows wide enough for several interior blocks next to clipped edge pixels, strides 2 and 3 (the
// input gradient's phases, including phases no tap reaches), dilation (with stride: taps in
// steps of stride/gcd), valid / same (asymmetric) / explicit asymmetric padding, padding wider than
// the kernel's reach, kernels wider than a register chunk of taps, ranks 1-3, batch 1 and > 1.
// Every dx element is written (dx is pre-filled with garbage); dw is written, not accumulated.
// Tolerance: 2e-5 of the result's scale for dx (at most 27 terms), 1e-4 for dw and db (sums over
// every output pixel of a batch, a few thousand terms in float).
#include "conv/conv_depthwise_grad.h"

#include <cstdio>

#include "conv/conv_depthwise.h"
#include "conv_reference.h"
#include "test_util.h"

using namespace convkit;
using namespace convkit::test;

int main() {
  std::vector<CaseSpec> cases;
  auto dwc = [](std::size_t N, std::array<std::size_t, 3> in, std::size_t C, std::array<std::size_t, 3> k,
                std::array<std::size_t, 3> s = {1, 1, 1}, std::array<std::size_t, 3> dil = {1, 1, 1}) {
    return mk(N, in, C, C, k, s, dil, C);
  };
  cases.push_back({dwc(2, {1, 9, 40}, 128, {1, 3, 3}), Padding::same, "3x3 same, 128 ch, wide"});
  cases.push_back({dwc(1, {1, 8, 37}, 37, {1, 3, 3}), Padding::valid, "3x3 valid, 37 ch"});
  cases.push_back({dwc(3, {1, 11, 23}, 16, {1, 5, 5}, {1, 2, 2}), Padding::same, "5x5 stride 2 same (asymmetric)"});
  cases.push_back({dwc(1, {1, 12, 41}, 70, {1, 3, 3}, {1, 2, 2}), Padding::valid, "3x3 stride 2 valid, 70 ch"});
  cases.push_back({dwc(1, {1, 10, 31}, 67, {1, 3, 3}, {1, 1, 1}, {1, 2, 3}), Padding::same, "dilated 2x3, 67 ch"});
  cases.push_back({dwc(2, {1, 13, 29}, 3, {1, 3, 7}, {1, 2, 3}), Padding::same, "3x7 stride 2x3, 3 ch"});
  cases.push_back({dwc(1, {1, 9, 34}, 20, {1, 3, 5}, {1, 2, 2}, {1, 3, 3}), Padding::same,
                   "5 taps stride 2 dil 3 (taps in steps of 2)"});
  cases.push_back({dwc(1, {1, 9, 35}, 17, {1, 3, 4}, {1, 1, 4}, {1, 1, 2}), Padding::valid,
                   "4 taps stride 4 dil 2 (phases no tap reaches)"});
  cases.push_back({dwc(1, {1, 1, 50}, 24, {1, 1, 5}, {1, 1, 1}, {1, 1, 2}), Padding::same, "1d k5 dil 2"});
  cases.push_back({dwc(1, {1, 1, 44}, 33, {1, 1, 9}), Padding::same, "1d k9 (3 chunks of taps)"});
  cases.push_back({dwc(2, {4, 5, 19}, 20, {3, 3, 3}, {2, 1, 1}), Padding::same, "3d 3x3x3 stride 2 in depth"});
  cases.push_back({dwc(1, {1, 6, 5}, 48, {1, 3, 3}), Padding::same, "row narrower than a pixel block"});
  cases.push_back({dwc(2, {1, 7, 9}, 2, {1, 3, 3}, {1, 2, 2}), Padding::same, "2 channels"});
  ConvDesc e = dwc(2, {1, 9, 26}, 40, {1, 3, 4}, {1, 2, 1});
  e.pad_before = {0, 2, 5};  // left padding beyond the kernel's reach: whole output pixels read only zeros
  e.pad_after = {0, 1, 3};
  cases.push_back({e, Padding::explicit_, "explicit asymmetric pad, wider than the kernel"});
  ConvDesc f = dwc(1, {1, 8, 21}, 19, {1, 3, 3}, {1, 2, 2});
  f.pad_before = {0, 0, 4};
  f.pad_after = {0, 2, 0};
  cases.push_back({f, Padding::explicit_, "explicit pad, stride 2, left pad > kernel reach"});

  int ran = 0;
  for_each_isa([&](Isa) {
    unsigned seed = 1;
    for (auto& cs : cases) {
      ConvDesc d = cs.d;
      apply_padding(d, cs.pad);
      CK_CHECK(conv_is_depthwise1(d));
      auto x = random_vector(d.input_size(), seed++);
      auto w = random_vector(d.filter_size(), seed++);
      auto dy = random_vector(d.output_size(), seed++);
      std::vector<float> dx(d.input_size(), -7.f), dw(d.filter_size(), -7.f), db(d.K, -7.f);
      conv_depthwise_dgrad(d, dy.data(), w.data(), dx.data());
      const double edx = scaled_error(dx.data(), ref_dgrad(d, dy.data(), w.data()));
      CK_CHECK_MSG(edx < 2e-5, "depthwise dgrad %s: err %g", cs.what, edx);
      std::vector<double> rdb;
      conv_depthwise_wgrad(d, x.data(), dy.data(), dw.data(), db.data());
      const double edw = scaled_error(dw.data(), ref_wgrad(d, x.data(), dy.data(), &rdb));
      const double edb = scaled_error(db.data(), rdb);
      CK_CHECK_MSG(edw < 1e-4, "depthwise wgrad %s: err %g", cs.what, edw);
      CK_CHECK_MSG(edb < 1e-4, "depthwise bias grad %s: err %g", cs.what, edb);
      // Without a bias gradient requested, dw alone.
      std::vector<float> dw2(d.filter_size(), 3.f);
      conv_depthwise_wgrad(d, x.data(), dy.data(), dw2.data(), nullptr);
      CK_CHECK_MSG(scaled_error(dw2.data(), ref_wgrad(d, x.data(), dy.data(), nullptr)) < 1e-4,
                   "depthwise wgrad (no db) %s", cs.what);
      ++ran;
    }
  });
  // Not depthwise (multiplier 2): a clear error, not a wrong result.
  ConvDesc m = mk(1, {1, 5, 5}, 4, 8, {1, 3, 3}, {1, 1, 1}, {1, 1, 1}, 4);
  apply_padding(m, Padding::same);
  std::vector<float> x(m.input_size()), w(m.filter_size()), dy(m.output_size()), dw(m.filter_size());
  int threw = 0;
  try {
    conv_depthwise_dgrad(m, dy.data(), w.data(), x.data());
  } catch (const InvalidArgument&) {
    ++threw;
  }
  try {
    conv_depthwise_wgrad(m, x.data(), dy.data(), dw.data(), nullptr);
  } catch (const InvalidArgument&) {
    ++threw;
  }
  CK_CHECK(threw == 2);
  std::printf("ran %d depthwise gradient checks\n", ran);
  return finish("conv_depthwise_grad_test");
}
