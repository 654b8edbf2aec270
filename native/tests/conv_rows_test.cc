// Row-vectorised direct convolution (conv_direct_rows.h): forward (with bias and every activation)
// weight/bias gradient and (stride 1) input gradient against the plain double reference, on every ISA. The cases aim at the
// kernel's own edges: output widths below, at and past one vector of every ISA (1, 7, 8, 15, 16,
// 17, 33, 40), strides 1/2/4 (the planar phases), dilation (tap shifts across phases), 'same'
// (symmetric and asymmetric), 'valid' and explicit asymmetric padding, 1 to 5 input channels,
// output channel counts that leave tails in every register block (1, 6, 13, 64), ranks 1-3 and
// batch 1 and > 1. Also: the direct algorithm must route grouped layers away (Unsupported here).
// Tolerance: 2e-5 of the output's scale, as conv_direct_test (float sums of a few hundred terms).
#include "conv/conv_direct_rows.h"

#include <cstdio>
#include <string>

#include "conv/conv_direct.h"
#include "conv/conv_transform.h"
#include "conv_reference.h"
#include "test_util.h"

using namespace convkit;
using namespace convkit::test;

namespace {

std::vector<CaseSpec> rows_cases() {
  std::vector<CaseSpec> v;
  auto add = [&](ConvDesc d, Padding p, const char* what) { v.push_back({d, p, what}); };
  add(mk(3, {1, 28, 28}, 1, 6, {1, 5, 5}), Padding::same, "lenet 28x28 1->6 5x5 same, N3");
  add(mk(2, {1, 11, 17}, 3, 6, {1, 5, 5}), Padding::same, "cifar-like 3->6 odd width 17");
  add(mk(1, {1, 5, 7}, 1, 1, {1, 3, 3}), Padding::same, "width 7, one channel in and out");
  add(mk(2, {1, 6, 8}, 2, 13, {1, 3, 3}), Padding::valid, "width 6 valid, 13 out (block tails)");
  add(mk(1, {1, 4, 15}, 3, 5, {1, 1, 1}), Padding::valid, "1x1 width 15");
  add(mk(1, {1, 3, 16}, 1, 3, {1, 1, 3}), Padding::same, "width 16 exactly");
  add(mk(2, {1, 5, 33}, 4, 7, {1, 3, 5}), Padding::same, "width 33 (3 AVX-512 vectors, 5 AVX2)");
  add(mk(1, {1, 4, 40}, 1, 2, {1, 2, 9}), Padding::same, "width 40, 9-wide kernel, even kernel height");
  add(mk(2, {1, 15, 21}, 3, 64, {1, 7, 7}, {1, 2, 2}), Padding::same, "stem 7x7 stride 2 same (asymmetric), 64 out");
  add(mk(1, {1, 23, 27}, 3, 20, {1, 11, 11}, {1, 4, 4}), Padding::valid, "alexnet-like 11x11 stride 4 valid");
  add(mk(2, {1, 13, 30}, 2, 9, {1, 5, 5}, {1, 4, 4}), Padding::same, "stride 4 same");
  add(mk(1, {1, 10, 19}, 3, 6, {1, 3, 3}, {1, 2, 3}), Padding::same, "stride 2x3 same");
  add(mk(2, {1, 12, 18}, 2, 5, {1, 3, 3}, {1, 1, 1}, {1, 2, 2}), Padding::same, "dilation 2 same");
  add(mk(1, {1, 14, 26}, 1, 4, {1, 3, 4}, {1, 2, 2}, {1, 3, 3}), Padding::valid, "stride 2 dilation 3 (phase-crossing taps)");
  add(mk(3, {1, 1, 37}, 1, 6, {1, 1, 5}), Padding::same, "1d k5 same");
  add(mk(2, {1, 1, 41}, 2, 3, {1, 1, 4}, {1, 1, 2}, {1, 1, 2}), Padding::valid, "1d stride 2 dilation 2");
  add(mk(2, {4, 5, 9}, 2, 5, {3, 3, 3}), Padding::same, "3d 3x3x3 same");
  add(mk(1, {5, 6, 11}, 1, 3, {2, 3, 2}, {2, 1, 2}), Padding::valid, "3d stride valid");
  add(mk(1, {1, 3, 3}, 5, 6, {1, 3, 3}), Padding::same, "tiny 3x3 image, 5 channels");
  ConvDesc e = mk(2, {1, 9, 20}, 3, 7, {1, 3, 4}, {1, 2, 1});
  e.pad_before = {0, 2, 0};
  e.pad_after = {0, 1, 3};
  add(e, Padding::explicit_, "explicit asymmetric pad");
  ConvDesc f = mk(1, {1, 6, 12}, 2, 4, {1, 3, 3});
  f.pad_before = {0, 3, 4};  // padding wider than the kernel: whole rows and slots of zeros
  f.pad_after = {0, 0, 1};
  add(f, Padding::explicit_, "explicit pad wider than the kernel");
  return v;
}

}  // namespace

int main() {
  const double tol = 2e-5;
  const Activation acts[] = {Activation::none, Activation::relu, Activation::relu6, Activation::leaky_relu,
                             Activation::sigmoid, Activation::tanh};
  for_each_isa([&](Isa) {
    unsigned seed = 100;
    int ai = 0;
    for (auto& cs : rows_cases()) {
      ConvDesc d = cs.d;
      apply_padding(d, cs.pad);
      CK_CHECK_MSG(conv_rows_unsupported_reason(d, ConvPass::forward).empty(), "%s should be supported", cs.what);
      CK_CHECK(conv_rows_unsupported_reason(d, ConvPass::wgrad).empty());
      auto x = random_vector(d.input_size(), seed++);
      auto w = random_vector(d.filter_size(), seed++);
      auto b = random_vector(d.K, seed++);
      auto dy = random_vector(d.output_size(), seed++);

      // Plain, then with bias and an activation (cycling through all of them).
      std::vector<float> y(d.output_size(), -7.f);
      conv_rows_forward(d, x.data(), w.data(), nullptr, y.data());
      double err = scaled_error(y.data(), ref_forward(d, x.data(), w.data(), nullptr));
      CK_CHECK_MSG(err < tol, "forward %s: err %g", cs.what, err);

      ConvDesc db_ = d;
      db_.has_bias = true;
      db_.act = acts[ai++ % 6];
      db_.leaky_alpha = 0.3f;
      std::fill(y.begin(), y.end(), -7.f);
      conv_rows_forward(db_, x.data(), w.data(), b.data(), y.data());
      err = scaled_error(y.data(), ref_forward(db_, x.data(), w.data(), b.data()));
      CK_CHECK_MSG(err < tol, "forward+bias+act %d %s: err %g", (int)db_.act, cs.what, err);

      std::vector<double> rdb;
      auto rdw = ref_wgrad(d, x.data(), dy.data(), &rdb);
      std::vector<float> dw(d.filter_size(), -7.f), dbias(d.K, -7.f);
      conv_rows_wgrad(d, x.data(), dy.data(), dw.data(), dbias.data());
      err = scaled_error(dw.data(), rdw);
      CK_CHECK_MSG(err < tol, "wgrad %s: err %g", cs.what, err);
      err = scaled_error(dbias.data(), rdb);
      CK_CHECK_MSG(err < tol, "bias grad %s: err %g", cs.what, err);
      std::fill(dw.begin(), dw.end(), -7.f);
      conv_rows_wgrad(d, x.data(), dy.data(), dw.data(), nullptr);  // no bias gradient wanted
      err = scaled_error(dw.data(), rdw);
      CK_CHECK_MSG(err < tol, "wgrad (no db) %s: err %g", cs.what, err);

      // Input gradient (stride-1 layers with padding within the kernel only; the others must be
      // declined with a reason).
      std::vector<float> dxr(d.input_size(), -7.f);
      ConvDesc fwd;
      const bool s1 = dgrad_as_forward(d, &fwd).empty();
      CK_CHECK(conv_rows_unsupported_reason(d, ConvPass::dgrad).empty() == s1);
      if (s1) {
        conv_rows_dgrad(d, dy.data(), w.data(), dxr.data());
        err = scaled_error(dxr.data(), ref_dgrad(d, dy.data(), w.data()));
        CK_CHECK_MSG(err < tol, "dgrad %s: err %g", cs.what, err);
      } else {
        bool threw = false;
        try {
          conv_rows_dgrad(d, dy.data(), w.data(), dxr.data());
        } catch (const Unsupported& ex) {
          threw = std::string(ex.what()).find("row-vectorised") != std::string::npos;
        }
        CK_CHECK_MSG(threw, "dgrad %s must be declined with a reason", cs.what);
      }
      // The ISA-independent rule (used by 'auto') implies the ISA-dependent one.
      for (ConvPass p : {ConvPass::forward, ConvPass::dgrad, ConvPass::wgrad})
        if (conv_rows_few_channels(d, p)) CK_CHECK_MSG(conv_rows_preferred(d, p), "%s pass %d", cs.what, (int)p);

      // Through the direct algorithm (which picks rows or channel kernels itself): same answers.
      std::fill(y.begin(), y.end(), -7.f);
      conv_direct_forward(db_, x.data(), w.data(), b.data(), y.data());
      err = scaled_error(y.data(), ref_forward(db_, x.data(), w.data(), b.data()));
      CK_CHECK_MSG(err < tol, "direct forward %s: err %g", cs.what, err);
      std::fill(dw.begin(), dw.end(), -7.f);
      conv_direct_wgrad(d, x.data(), dy.data(), dw.data(), dbias.data());
      err = scaled_error(dw.data(), rdw);
      CK_CHECK_MSG(err < tol, "direct wgrad %s: err %g", cs.what, err);
      std::vector<float> dx(d.input_size(), -7.f);
      conv_direct_dgrad(d, dy.data(), w.data(), dx.data());
      err = scaled_error(dx.data(), ref_dgrad(d, dy.data(), w.data()));
      CK_CHECK_MSG(err < tol, "direct dgrad %s: err %g", cs.what, err);
    }

    // Grouped layers are declined with a reason and an Unsupported error, never computed wrongly.
    ConvDesc g = mk(1, {1, 6, 20}, 4, 4, {1, 3, 3}, {1, 1, 1}, {1, 1, 1}, 2);
    apply_padding(g, Padding::same);
    for (ConvPass p : {ConvPass::forward, ConvPass::dgrad, ConvPass::wgrad}) {
      CK_CHECK(!conv_rows_unsupported_reason(g, p).empty());
      CK_CHECK(!conv_rows_preferred(g, p) && !conv_rows_few_channels(g, p));
    }
    std::vector<float> gx(g.input_size(), 1.f), gw(g.filter_size(), 1.f), gy(g.output_size());
    bool threw = false;
    try {
      conv_rows_forward(g, gx.data(), gw.data(), nullptr, gy.data());
    } catch (const Unsupported& e) {
      threw = std::string(e.what()).find("ungrouped") != std::string::npos;
    }
    CK_CHECK_MSG(threw, "grouped forward must throw Unsupported naming the reason");
    threw = false;
    try {
      conv_rows_wgrad(g, gx.data(), gy.data(), gw.data(), nullptr);
    } catch (const Unsupported&) {
      threw = true;
    }
    CK_CHECK_MSG(threw, "grouped wgrad must throw Unsupported");
  });
  return finish("conv_rows_test");
}
