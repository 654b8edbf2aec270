// Every algorithm, forced, on every configuration it supports — forward, input gradient, weight and
// bias gradient — against the double reference, on every ISA; configurations it does not support
// must raise Unsupported. Tolerances (max abs error / max |reference|), see docs/CONVOLUTION.md:
//   direct, im2col 2e-5;  winograd-f2 1e-4;  winograd-f4 5e-4;  fft 2e-4.
#include <cstdio>
#include <string>

#include "conv/conv.h"
#include "conv_reference.h"
#include "runtime/thread_pool.h"
#include "test_util.h"

using namespace convkit;
using namespace convkit::test;

namespace {

double tol_of(ConvAlgorithm a) {
  switch (a) {
    case ConvAlgorithm::winograd_f2: return 1e-4;
    case ConvAlgorithm::winograd_f4: return 5e-4;
    case ConvAlgorithm::fft: return 2e-4;
    default: return 2e-5;
  }
}

std::vector<CaseSpec> all_cases() {
  auto v = conv_cases();
  auto add = [&](ConvDesc d, Padding p, const char* w) { v.push_back({d, p, w}); };
  // Winograd/FFT territory: 3x3 stride 1, odd sizes, every padding, tails in channels and tiles.
  add(mk(2, {1, 13, 11}, 20, 24, {1, 3, 3}), Padding::same, "3x3 same 20->24");
  add(mk(1, {1, 9, 14}, 3, 17, {1, 3, 3}), Padding::valid, "3x3 valid 3->17");
  ConvDesc e = mk(1, {1, 10, 9}, 16, 5, {1, 3, 3});
  e.pad_before = {0, 2, 0};
  e.pad_after = {0, 0, 1};
  add(e, Padding::explicit_, "3x3 explicit asymmetric");
  ConvDesc b = mk(3, {1, 6, 7}, 9, 11, {1, 3, 3});
  b.has_bias = true;
  b.act = Activation::relu;
  add(b, Padding::same, "3x3 bias relu");
  add(mk(1, {1, 24, 21}, 8, 12, {1, 11, 11}), Padding::same, "11x11 same");
  add(mk(2, {1, 19, 23}, 5, 6, {1, 7, 5}), Padding::valid, "7x5 valid");
  add(mk(1, {1, 20, 20}, 4, 4, {1, 3, 3}, {1, 1, 1}, {1, 4, 4}), Padding::same, "3x3 dilation 4");
  // Dilated Winograd (tiles per phase): unequal phases (odd sizes), F4 tiles in every phase, one
  // phase shorter than a tile, explicit asymmetric padding not a multiple of the dilation.
  add(mk(2, {1, 19, 23}, 17, 18, {1, 3, 3}, {1, 1, 1}, {1, 2, 3}), Padding::same, "3x3 dilation 2x3 odd, 17->18");
  ConvDesc dd = mk(1, {1, 13, 12}, 16, 9, {1, 3, 3}, {1, 1, 1}, {1, 2, 2});
  dd.pad_before = {0, 3, 1};
  dd.pad_after = {0, 0, 2};
  add(dd, Padding::explicit_, "3x3 dilation 2 explicit asymmetric");
  // im2col tiles that span image boundaries (6 output pixels per image, odd batch split unevenly
  // between the workers) and runs of taps cut by the padding on either side of a row.
  add(mk(7, {1, 4, 5}, 3, 5, {1, 3, 3}), Padding::valid, "3x3 valid, tiny images, batch 7");
  add(mk(9, {1, 5, 6}, 2, 3, {1, 5, 5}), Padding::same, "5x5 same, tiny images, batch 9");
  // LeNet-5's conv2 at a small batch; grouped with stride 2 (a tap run copies cin/groups of C floats).
  add(mk(5, {1, 14, 14}, 6, 16, {1, 5, 5}), Padding::valid, "LeNet conv2 5x5 valid 6->16");
  add(mk(3, {1, 11, 10}, 6, 9, {1, 4, 3}, {1, 2, 2}, {1, 1, 1}, 3), Padding::same, "4x3 stride 2 groups 3");
  // The register-row col2im (column_kernel_impl.h): dx rows of 9x7 = 63 floats (a partial last
  // vector on every ISA), runs of 35 floats cut by asymmetric width padding, tiles of 16+ rows
  // that start and end mid output row; and a row too long for the registers (span path).
  ConvDesc cr = mk(5, {1, 7, 9}, 7, 4, {1, 3, 5});
  cr.pad_before = {0, 1, 3};
  cr.pad_after = {0, 0, 1};
  add(cr, Padding::explicit_, "3x5 explicit asymmetric 7->4, 63-float dx rows");
  add(mk(2, {1, 6, 40}, 5, 3, {1, 2, 3}), Padding::same, "2x3 same, 200-float dx rows");
  // Output rows longer than col2im's 32-pixel mask segments, dx rows still in registers (80 floats).
  add(mk(2, {1, 3, 40}, 2, 3, {1, 2, 3}), Padding::same, "2x3 same, 40-pixel rows cut into mask segments");
  add(mk(1, {1, 4, 37}, 1, 2, {1, 3, 5}), Padding::valid, "3x5 valid, 33-pixel output rows, 1 channel");
  // Fewer output pixels than output channels (late layers at batch 1): im2col builds the whole
  // column and one GEMM splits the filter's columns between the threads; grouped, and with bias.
  ConvDesc wc = mk(1, {1, 5, 4}, 7, 37, {1, 3, 3});
  wc.has_bias = true;
  wc.act = Activation::relu;
  add(wc, Padding::same, "3x3 same, 20 pixels < 37 channels, bias relu");
  add(mk(2, {1, 4, 3}, 6, 42, {1, 3, 3}, {1, 2, 2}, {1, 1, 1}, 2), Padding::same, "3x3 stride 2 groups 2, 8 pixels < 21 channels per group");
  // Winograd with several tile blocks per call (the workers take whole blocks) next to the cases
  // above that fit one block (run on the caller, products parallel inside).
  add(mk(3, {1, 30, 34}, 9, 10, {1, 3, 3}), Padding::same, "3x3 same, many tile blocks");
  return v;
}

}  // namespace

int main() {
  const ConvAlgorithm algos[] = {ConvAlgorithm::direct, ConvAlgorithm::im2col, ConvAlgorithm::winograd_f2,
                                 ConvAlgorithm::winograd_f4, ConvAlgorithm::fft, ConvAlgorithm::auto_};
  int ran[3] = {0, 0, 0};
  for_each_isa([&](Isa) {
    unsigned seed = 11;
    for (auto& cs : all_cases()) {
      ConvDesc d = cs.d;
      apply_padding(d, cs.pad);
      auto x = random_vector(d.input_size(), seed++);
      auto w = random_vector(d.filter_size(), seed++);
      auto bias = random_vector(d.K, seed++);
      auto dy = random_vector(d.output_size(), seed++);
      auto ry = ref_forward(d, x.data(), w.data(), bias.data());
      auto rdx = ref_dgrad(d, dy.data(), w.data());
      std::vector<double> rdb;
      auto rdw = ref_wgrad(d, x.data(), dy.data(), &rdb);
      for (ConvAlgorithm a : algos) {
        for (ConvPass p : {ConvPass::forward, ConvPass::dgrad, ConvPass::wgrad}) {
          std::string why = conv_unsupported_reason(d, p, a);
          std::vector<float> o0, o1;
          ConvAlgorithm ran_a = a;
          try {
            if (p == ConvPass::forward) {
              o0.assign(d.output_size(), -3.f);
              ran_a = conv_forward(d, a, x.data(), w.data(), bias.data(), o0.data());
            } else if (p == ConvPass::dgrad) {
              o0.assign(d.input_size(), -3.f);
              ran_a = conv_dgrad(d, a, dy.data(), w.data(), o0.data());
            } else {
              o0.assign(d.filter_size(), -3.f);
              o1.assign(d.K, -3.f);
              ran_a = conv_wgrad(d, a, x.data(), dy.data(), o0.data(), o1.data());
            }
          } catch (const Unsupported& u) {
            CK_CHECK_MSG(!why.empty(), "%s %s %s: unexpected Unsupported: %s", conv_algorithm_name(a),
                         conv_pass_name(p), cs.what, u.what());
            CK_CHECK(std::string(u.what()).find(conv_algorithm_name(a)) != std::string::npos);
            continue;
          }
          CK_CHECK_MSG(why.empty(), "%s %s %s: should have been Unsupported (%s)", conv_algorithm_name(a),
                       conv_pass_name(p), cs.what, why.c_str());
          CK_CHECK(a == ConvAlgorithm::auto_ || ran_a == a);
          CK_CHECK(ran_a != ConvAlgorithm::auto_);
          double tol = tol_of(ran_a);
          const auto& want = p == ConvPass::forward ? ry : p == ConvPass::dgrad ? rdx : rdw;
          double e = scaled_error(o0.data(), want);
          CK_CHECK_MSG(e < tol, "%s (ran %s) %s %s: err %g > %g", conv_algorithm_name(a), conv_algorithm_name(ran_a),
                       conv_pass_name(p), cs.what, e, tol);
          if (p == ConvPass::wgrad) {
            double eb = scaled_error(o1.data(), rdb);
            CK_CHECK_MSG(eb < 2e-5, "%s bias grad %s: err %g", conv_algorithm_name(a), cs.what, eb);
          }
          ++ran[static_cast<int>(p)];
        }
      }
      // The operator (create -> workspace -> run) agrees with the reference for every algorithm that can run it.
      for (ConvAlgorithm a : algos) {
        if (!conv_unsupported_reason(d, ConvPass::forward, a).empty()) continue;
        ConvOp op(d, w.data(), bias.data(), a);
        std::vector<float> ws(op.workspace_floats() + 1), y(d.output_size(), -3.f);
        op.run(x.data(), y.data(), op.workspace_floats() ? ws.data() : nullptr);
        double e = scaled_error(y.data(), ry);
        CK_CHECK_MSG(e < tol_of(op.algorithm()), "op %s %s: err %g", conv_algorithm_name(op.algorithm()), cs.what, e);
      }
    }
  });
  std::fprintf(stderr, "ran %d forward, %d dgrad, %d wgrad checks\n", ran[0], ran[1], ran[2]);
  CK_CHECK(ran[0] > 50 && ran[1] > 50 && ran[2] > 50);
  return finish("conv_algorithms_test");
}
