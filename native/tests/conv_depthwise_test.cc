// Depthwise forward (conv_depthwise.h) against the plain double reference (conv_reference.h), on
// every ISA: channel counts that fill whole register blocks and leave masked tails (2, 16, 33, 67,
// 128), rows wide enough for several interior pixel blocks next to clipped edge pixels, strides,
// dilation, valid / same (asymmetric) / explicit asymmetric padding, padding wider than the kernel
// reach, ranks 1-3, batch 1 and > 1, fused bias and activations.
// Tolerance: 2e-5 of the output's scale (float sums over at most 27 terms).
#include "conv/conv_depthwise.h"

#include <algorithm>
#include <cstdio>

#include "runtime/aligned.h"

#include "conv_reference.h"
#include "test_util.h"

using namespace convkit;
using namespace convkit::test;

int main() {
  const double tol = 2e-5;
  std::vector<CaseSpec> cases;
  auto dwc = [](std::size_t N, std::array<std::size_t, 3> in, std::size_t C, std::array<std::size_t, 3> k,
                std::array<std::size_t, 3> s = {1, 1, 1}, std::array<std::size_t, 3> dil = {1, 1, 1}) {
    return mk(N, in, C, C, k, s, dil, C);
  };
  cases.push_back({dwc(2, {1, 9, 40}, 128, {1, 3, 3}), Padding::same, "3x3 same, 128 ch, wide"});
  cases.push_back({dwc(1, {1, 8, 37}, 33, {1, 3, 3}), Padding::valid, "3x3 valid, 33 ch"});
  cases.push_back({dwc(3, {1, 11, 23}, 16, {1, 5, 5}, {1, 2, 2}), Padding::same, "5x5 stride 2 same (asymmetric)"});
  cases.push_back({dwc(1, {1, 10, 31}, 67, {1, 3, 3}, {1, 1, 1}, {1, 2, 3}), Padding::same, "dilated 2x3, 67 ch"});
  cases.push_back({dwc(2, {1, 7, 29}, 2, {1, 3, 7}, {1, 1, 3}), Padding::same, "1x7 stride 3, 2 ch"});
  cases.push_back({dwc(1, {1, 1, 50}, 24, {1, 1, 5}, {1, 1, 1}, {1, 1, 2}), Padding::same, "1d k5 dil 2"});
  cases.push_back({dwc(2, {4, 5, 19}, 20, {3, 3, 3}, {2, 1, 1}), Padding::same, "3d 3x3x3 stride 2 in depth"});
  cases.push_back({dwc(1, {1, 6, 5}, 48, {1, 3, 3}), Padding::same, "row narrower than a pixel block"});
  // Stride 1, dilation 1, KW 3 / 5 (the common MobileNet / EfficientNet layers; their interior blocks
  // run the sliding-window dw_block_s1): interior runs that are not a multiple of any ISA's pixel
  // block, channel tails, rows narrower than the kernel reach.
  cases.push_back({dwc(1, {1, 5, 44}, 37, {1, 3, 3}), Padding::valid, "3x3 s1 valid, 42 interior px, 37 ch"});
  cases.push_back({dwc(2, {1, 6, 31}, 50, {1, 5, 5}), Padding::same, "5x5 s1 same, 50 ch"});
  cases.push_back({dwc(1, {1, 7, 20}, 17, {1, 5, 5}), Padding::valid, "5x5 s1 valid, 16 interior px"});
  cases.push_back({dwc(3, {1, 4, 3}, 9, {1, 3, 3}), Padding::same, "3x3 s1 same, 3 wide"});
  cases.push_back({dwc(1, {1, 1, 9}, 130, {1, 1, 5}), Padding::same, "1d k5 s1 (W < a 5-tap reach + block)"});
  cases.push_back({dwc(2, {3, 5, 13}, 21, {3, 3, 3}), Padding::same, "3d 3x3x3 s1"});
  ConvDesc e3 = dwc(1, {1, 6, 21}, 19, {1, 3, 3});
  e3.pad_before = {0, 1, 4};  // left padding beyond the reach: edge pixels that read only zeros
  e3.pad_after = {0, 0, 2};
  cases.push_back({e3, Padding::explicit_, "3x3 s1 explicit asymmetric pad, wider than the kernel"});
  ConvDesc e = dwc(2, {1, 9, 26}, 40, {1, 3, 4}, {1, 2, 1});
  e.pad_before = {0, 2, 5};  // left padding beyond the kernel's reach: whole output pixels read only zeros
  e.pad_after = {0, 1, 3};
  cases.push_back({e, Padding::explicit_, "explicit asymmetric pad, wider than the kernel"});
  ConvDesc b = dwc(2, {1, 8, 30}, 35, {1, 3, 3});
  b.has_bias = true;
  b.act = Activation::relu6;
  cases.push_back({b, Padding::same, "bias + relu6"});
  ConvDesc l = dwc(1, {1, 7, 27}, 64, {1, 3, 3}, {1, 2, 2});
  l.has_bias = true;
  l.act = Activation::leaky_relu;
  cases.push_back({l, Padding::valid, "bias + leaky relu, stride 2 valid"});

  int ran = 0;
  for_each_isa([&](Isa) {
    unsigned seed = 1;
    for (auto& cs : cases) {
      ConvDesc d = cs.d;
      apply_padding(d, cs.pad);
      CK_CHECK(conv_is_depthwise1(d));
      auto x = random_vector(d.input_size(), seed++);
      auto w = random_vector(d.filter_size(), seed++);
      auto bias = random_vector(d.K, seed++);
      std::vector<float> y(d.output_size(), -7.f);
      conv_depthwise_forward(d, x.data(), w.data(), bias.data(), y.data());
      const double err = scaled_error(y.data(), ref_forward(d, x.data(), w.data(), bias.data()));
      CK_CHECK_MSG(err < tol, "depthwise %s: err %g", cs.what, err);
      ++ran;
    }
  });
  // Non-temporal stores (row_stream), forced on with a zero size threshold, into 64-byte aligned
  // outputs: channel counts that allow them (multiples of 16) next to ones that fall back (33, a
  // fused activation), strides, dilation, bias. Every ISA (scalar has no such kernel: fallback).
  std::vector<CaseSpec> nt;
  nt.push_back({dwc(2, {1, 9, 40}, 128, {1, 3, 3}), Padding::same, "nt: 3x3 same, 128 ch"});
  nt.push_back({dwc(1, {1, 11, 29}, 48, {1, 5, 5}, {1, 2, 2}), Padding::same, "nt: 5x5 stride 2, 48 ch"});
  nt.push_back({dwc(1, {1, 10, 31}, 32, {1, 3, 3}, {1, 1, 1}, {1, 2, 2}), Padding::valid, "nt: dilated 2, 32 ch"});
  nt.push_back({dwc(1, {1, 5, 17}, 16, {1, 3, 3}), Padding::same, "nt: 16 ch (masked on AVX-512: falls back)"});
  nt.push_back({dwc(1, {1, 6, 21}, 33, {1, 3, 3}), Padding::same, "nt: 33 ch (falls back)"});
  ConvDesc nb = dwc(2, {1, 8, 30}, 64, {1, 3, 3});
  nb.has_bias = true;
  nt.push_back({nb, Padding::same, "nt: bias"});
  ConvDesc na = nb;
  na.act = Activation::relu;
  nt.push_back({na, Padding::same, "nt: bias + relu (falls back)"});
  const std::size_t saved = depthwise_stream_min_bytes();
  set_depthwise_stream_min_bytes(0);
  for_each_isa([&](Isa) {
    unsigned seed = 101;
    for (auto& cs : nt) {
      ConvDesc d = cs.d;
      apply_padding(d, cs.pad);
      auto x = random_vector(d.input_size(), seed++);
      auto w = random_vector(d.filter_size(), seed++);
      auto bias = random_vector(d.K, seed++);
      AlignedPtr<float> y = aligned_array<float>(d.output_size());
      std::fill(y.get(), y.get() + d.output_size(), -7.f);
      conv_depthwise_forward(d, x.data(), w.data(), bias.data(), y.get());
      const double err = scaled_error(y.get(), ref_forward(d, x.data(), w.data(), bias.data()));
      CK_CHECK_MSG(err < tol, "depthwise %s: err %g", cs.what, err);
      ++ran;
    }
  });
  set_depthwise_stream_min_bytes(saved);
  CK_CHECK(depthwise_stream_min_bytes() == kDepthwiseStreamMinBytes);

  // Not depthwise (multiplier 2): a clear error, not a wrong result.
  ConvDesc m = mk(1, {1, 5, 5}, 4, 8, {1, 3, 3}, {1, 1, 1}, {1, 1, 1}, 4);
  apply_padding(m, Padding::same);
  std::vector<float> x(m.input_size()), w(m.filter_size()), y(m.output_size());
  bool threw = false;
  try {
    conv_depthwise_forward(m, x.data(), w.data(), nullptr, y.data());
  } catch (const InvalidArgument&) {
    threw = true;
  }
  CK_CHECK(threw);
  std::printf("ran %d depthwise forward checks\n", ran);
  return finish("conv_depthwise_test");
}
