// Winograd F(3x3, 2x2) weight gradient (winograd_wgrad.h) against the plain double reference, on
// every ISA: odd and even output sizes (partial 2x2 dY tiles at the bottom/right), 'same' and 'valid'
// padding, explicit asymmetric padding (including padding on one side only), dilation (tiles per
// phase, phases of unequal length), batch 1 and > 1,
// channel counts that leave vector tails (3, 17, 33) and tiles that fill several GEMM batches.
// Tolerance: 1e-4 of the gradient's scale (the transforms are 0/+-1/(1/2) matrices; sums over up to
// a few thousand terms). Also: the bias gradient, and the Unsupported error off 3x3 stride 1.
#include "conv/winograd_wgrad.h"

#include <cstdio>
#include <string>

#include "conv_reference.h"
#include "test_util.h"

using namespace convkit;
using namespace convkit::test;

int main() {
  const double tol = 1e-4;
  std::vector<CaseSpec> cases;
  cases.push_back({mk(2, {1, 9, 11}, 3, 5, {1, 3, 3}), Padding::same, "odd 9x11 same, 3 -> 5"});
  cases.push_back({mk(1, {1, 8, 8}, 16, 16, {1, 3, 3}), Padding::same, "8x8 same, 16 -> 16"});
  cases.push_back({mk(3, {1, 10, 7}, 17, 33, {1, 3, 3}), Padding::valid, "valid, odd output 8x5, 17 -> 33"});
  cases.push_back({mk(2, {1, 40, 37}, 20, 24, {1, 3, 3}), Padding::same, "40x37 same: several tile batches"});
  cases.push_back({mk(1, {1, 3, 3}, 4, 6, {1, 3, 3}), Padding::valid, "one output pixel"});
  ConvDesc e = mk(2, {1, 9, 10}, 8, 7, {1, 3, 3});
  e.pad_before = {0, 2, 0};
  e.pad_after = {0, 0, 1};
  cases.push_back({e, Padding::explicit_, "explicit asymmetric pad"});
  cases.push_back({mk(2, {1, 19, 23}, 17, 18, {1, 3, 3}, {1, 1, 1}, {1, 2, 3}), Padding::same,
                   "dilation 2x3, odd sizes (unequal phases)"});
  ConvDesc dd = mk(1, {1, 13, 12}, 16, 9, {1, 3, 3}, {1, 1, 1}, {1, 2, 2});
  dd.pad_before = {0, 3, 1};
  dd.pad_after = {0, 0, 2};
  cases.push_back({dd, Padding::explicit_, "dilation 2, explicit asymmetric pad"});
  int ran = 0;
  for_each_isa([&](Isa) {
    unsigned seed = 3;
    for (auto& cs : cases) {
      ConvDesc d = cs.d;
      apply_padding(d, cs.pad);
      auto x = random_vector(d.input_size(), seed++);
      auto dy = random_vector(d.output_size(), seed++);
      std::vector<float> dw(d.filter_size(), -7.f), db(d.K, -7.f);
      std::vector<double> rdb;
      auto rdw = ref_wgrad(d, x.data(), dy.data(), &rdb);
      conv_winograd_wgrad(d, x.data(), dy.data(), dw.data(), db.data());
      double err = scaled_error(dw.data(), rdw);
      CK_CHECK_MSG(err < tol, "winograd wgrad %s: err %g", cs.what, err);
      err = scaled_error(db.data(), rdb);
      CK_CHECK_MSG(err < 2e-5, "winograd bias grad %s: err %g", cs.what, err);
      ++ran;
    }
  });
  // Off its domain (stride 2): Unsupported naming the reason, never a wrong answer.
  ConvDesc s2 = mk(1, {1, 9, 9}, 4, 4, {1, 3, 3}, {1, 2, 2});
  apply_padding(s2, Padding::same);
  std::vector<float> x(s2.input_size()), dy(s2.output_size()), dw(s2.filter_size());
  std::string msg;
  try {
    conv_winograd_wgrad(s2, x.data(), dy.data(), dw.data(), nullptr);
  } catch (const Unsupported& u) {
    msg = u.what();
  }
  CK_CHECK_MSG(msg.find("stride") != std::string::npos, "message: %s", msg.c_str());
  std::printf("ran %d winograd wgrad checks\n", ran);
  return finish("conv_winograd_wgrad_test");
}
