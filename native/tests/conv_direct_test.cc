// Direct convolution: forward, input gradient and weight/bias gradient against the double reference,
// on every ISA, over conv_cases() (every stride/padding/dilation/groups case, ranks 1-3, batch 1 and >1).
// Tolerance: 2e-5 of the output's scale (plain float sums over at most a few hundred terms).
#include "conv/conv_direct.h"

#include <algorithm>
#include <cstdio>

#include "conv_reference.h"
#include "runtime/thread_pool.h"
#include "test_util.h"

using namespace convkit;
using namespace convkit::test;

int main() {
  const double tol = 2e-5;
  for_each_isa([&](Isa) {
    unsigned seed = 1;
    // conv_cases() plus rows wide enough for whole interior blocks of the implicit-addressing
    // kernels (12 pixels on AVX-512) next to edge blocks, with every channel-block width.
    auto cases = conv_cases();
    cases.push_back({mk(2, {1, 9, 40}, 3, 64, {1, 7, 7}, {1, 2, 2}), Padding::same, "wide 7x7 stride 2, 64 out"});
    cases.push_back({mk(1, {1, 8, 45}, 5, 40, {1, 3, 3}, {1, 1, 1}, {1, 1, 2}), Padding::same, "wide dilated, 40 out"});
    cases.push_back({mk(2, {1, 6, 50}, 8, 12, {1, 3, 3}, {1, 1, 1}, {1, 1, 1}, 2), Padding::valid, "wide groups 2"});
    cases.push_back({mk(1, {3, 5, 41}, 6, 17, {2, 3, 3}, {1, 1, 3}), Padding::same, "wide 3d stride 3, 17 out"});
    // The 3-vector blocks (48 / 24 / 3 channels): 96 outputs in whole blocks (AlexNet-like 11x11/4),
    // 50 outputs with a masked channel tail.
    cases.push_back({mk(1, {1, 15, 63}, 3, 96, {1, 11, 11}, {1, 4, 4}), Padding::valid, "wide 11x11 stride 4, 96 out"});
    cases.push_back({mk(2, {1, 6, 35}, 5, 50, {1, 3, 5}, {1, 1, 2}), Padding::same, "wide stride 2, 50 out"});
    // Shapes where the cost model picks the 3-vector blocks on AVX2 (24 outputs) and scalar (9).
    cases.push_back({mk(1, {1, 5, 16}, 7, 24, {1, 3, 3}), Padding::same, "16 wide, 24 out"});
    cases.push_back({mk(1, {1, 5, 16}, 4, 9, {1, 3, 3}), Padding::same, "16 wide, 9 out"});
    // Tall enough for output rows without top/bottom padding, whose interior blocks read the input
    // in place and whose edge blocks read only partly staged rows (completed when a padded row
    // further down stages them whole): stem-like 7x7/2 with symmetric (47) and asymmetric (48: 2
    // left, 3 right) padding, dilated and grouped rows (one tap per kw), AlexNet-like valid rows
    // (nothing staged), batch 2 so a worker's rows run on into the next image.
    cases.push_back({mk(2, {1, 21, 47}, 3, 64, {1, 7, 7}, {1, 2, 2}), Padding::same, "tall 7x7 stride 2, 64 out"});
    cases.push_back({mk(2, {1, 20, 48}, 3, 40, {1, 7, 7}, {1, 2, 2}), Padding::same, "tall 7x7/2 asymmetric, 40 out"});
    cases.push_back({mk(2, {1, 12, 45}, 5, 40, {1, 3, 3}, {1, 1, 1}, {1, 1, 2}), Padding::same, "tall dilated, 40 out"});
    cases.push_back({mk(2, {1, 12, 50}, 8, 12, {1, 3, 3}, {1, 1, 1}, {1, 1, 1}, 2), Padding::same, "tall groups 2"});
    cases.push_back({mk(2, {1, 31, 63}, 3, 96, {1, 11, 11}, {1, 4, 4}), Padding::valid, "tall 11x11 stride 4, 96 out"});
    ConvDesc wb = mk(1, {1, 5, 37}, 7, 33, {1, 3, 5});
    wb.has_bias = true;
    wb.act = Activation::leaky_relu;
    cases.push_back({wb, Padding::same, "wide bias + leaky relu, 33 out"});
    for (auto& cs : cases) {
      ConvDesc d = cs.d;
      apply_padding(d, cs.pad);
      auto x = random_vector(d.input_size(), seed++);
      auto w = random_vector(d.filter_size(), seed++);
      auto b = random_vector(d.K, seed++);
      auto dy = random_vector(d.output_size(), seed++);
      std::vector<float> y(d.output_size(), -7.f), dx(d.input_size(), -7.f), dw(d.filter_size(), -7.f), db(d.K, -7.f);
      conv_direct_forward(d, x.data(), w.data(), b.data(), y.data());
      double e = scaled_error(y.data(), ref_forward(d, x.data(), w.data(), b.data()));
      CK_CHECK_MSG(e < tol, "forward %s: err %g", cs.what, e);
      conv_direct_dgrad(d, dy.data(), w.data(), dx.data());
      e = scaled_error(dx.data(), ref_dgrad(d, dy.data(), w.data()));
      CK_CHECK_MSG(e < tol, "dgrad %s: err %g", cs.what, e);
      std::vector<double> rdb;
      auto rdw = ref_wgrad(d, x.data(), dy.data(), &rdb);
      conv_direct_wgrad(d, x.data(), dy.data(), dw.data(), db.data());
      e = scaled_error(dw.data(), rdw);
      CK_CHECK_MSG(e < tol, "wgrad %s: err %g", cs.what, e);
      e = scaled_error(db.data(), rdb);
      CK_CHECK_MSG(e < tol, "bias grad %s: err %g", cs.what, e);
      // The channel-vectorised kernels alone (conv_direct_* hands few-channel layers to the row
      // kernels, tested in conv_rows_test; this keeps the channel kernels covered on those shapes).
      std::fill(y.begin(), y.end(), -7.f);
      conv_direct_channels_forward(d, x.data(), w.data(), b.data(), y.data());
      e = scaled_error(y.data(), ref_forward(d, x.data(), w.data(), b.data()));
      CK_CHECK_MSG(e < tol, "channels forward %s: err %g", cs.what, e);
      std::fill(dw.begin(), dw.end(), -7.f);
      std::fill(db.begin(), db.end(), -7.f);
      conv_direct_channels_wgrad(d, x.data(), dy.data(), dw.data(), db.data());
      e = scaled_error(dw.data(), rdw);
      CK_CHECK_MSG(e < tol, "channels wgrad %s: err %g", cs.what, e);
      e = scaled_error(db.data(), rdb);
      CK_CHECK_MSG(e < tol, "channels bias grad %s: err %g", cs.what, e);
      std::fill(dx.begin(), dx.end(), -7.f);
      conv_direct_channels_dgrad(d, dy.data(), w.data(), dx.data());
      e = scaled_error(dx.data(), ref_dgrad(d, dy.data(), w.data()));
      CK_CHECK_MSG(e < tol, "channels dgrad %s: err %g", cs.what, e);
    }
  });
  // The staged forward hands output rows out in runs that shrink as the rows run out (guided, one
  // run claimed a row early): every row computed exactly once with 1, 2, 3 and 5 threads, on rows
  // that are many more than the runs (batch 3, so runs cross images) and on fewer rows than threads.
  for_each_isa([&](Isa) {
    unsigned seed = 1000;
    const int saved = num_threads();
    const std::vector<std::pair<ConvDesc, const char*>> cases = {
        {mk(3, {1, 37, 41}, 3, 64, {1, 7, 7}, {1, 2, 2}), "stem-like 7x7/2"},
        {mk(3, {1, 47, 51}, 3, 96, {1, 11, 11}, {1, 4, 4}), "AlexNet-like 11x11/4"},
        {mk(1, {1, 3, 30}, 5, 20, {1, 3, 3}), "3 rows"},
    };
    for (const auto& [d0, what] : cases) {
      ConvDesc d = d0;
      apply_padding(d, what[0] == 'A' ? Padding::valid : Padding::same);
      auto x = random_vector(d.input_size(), seed++);
      auto w = random_vector(d.filter_size(), seed++);
      auto b = random_vector(d.K, seed++);
      const auto ref = ref_forward(d, x.data(), w.data(), b.data());
      for (int nt : {1, 2, 3, 5}) {
        set_num_threads(nt);
        std::vector<float> y(d.output_size(), -7.f);
        conv_direct_channels_forward(d, x.data(), w.data(), b.data(), y.data());
        const double e = scaled_error(y.data(), ref);
        CK_CHECK_MSG(e < tol, "staged forward %s, %d threads: err %g", what, nt, e);
      }
    }
    set_num_threads(saved);
  });
  return finish("conv_direct_test");
}
