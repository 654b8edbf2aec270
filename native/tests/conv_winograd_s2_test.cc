// Stride-2 Winograd form, F(3x3, 4x4) over the polyphase rewrite (winograd_s2.h):
// 1. the matrices: z = G'^T [(A' h) .* (B^T d)] against the direct 1-D correlation
//    z_j = sum_i h_i d_{i+j} (3 outputs, 4 taps) on random data, in double;
// 2. the whole convolution against the plain double reference, on every ISA: the stem's 7x7/2
//    shape at small sizes, odd H/W (partial 3x3 output tiles at the bottom/right, edge tiles read
//    partly outside the input), 8x8 and 7x8 kernels, 'same' (asymmetric) and 'valid' and explicit
//    padding, batch 1 and > 1, channel counts with vector tails (1, 3, 5 in; 7, 17, 64, 70 out),
//    bias and relu, enough tiles for several blocks (a short last block), through conv_forward and
//    a ConvOp (cached transformed filter);
// 3. Unsupported (naming the reason) off its domain.
// Tolerance: 2e-5 of the output's scale; the measured error of the stem shape is in
// docs/CONVOLUTION.md.
#include "conv/winograd_s2.h"

#include <cstdio>
#include <string>

#include "conv/conv.h"
#include "conv_reference.h"
#include "test_util.h"

using namespace convkit;
using namespace convkit::test;

// F(4,3)'s B^T (the input side, shared with winograd.cc).
static const double kBT[36] = {4, 0, -5, 0,  1, 0, 0, -4, -4, 1, 1, 0, 0, 4, -4, -1, 1, 0,
                               0, -2, -1, 2, 1, 0, 0, 2,  -1, -2, 1, 0, 0, 4, 0,  -5, 0, 1};

static void check_matrices() {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> u(-1, 1);
  double worst = 0;
  for (int rep = 0; rep < 20; ++rep) {
    double h[4], d[6], Ah[6], Bd[6];
    for (double& v : h) v = u(rng);
    for (double& v : d) v = u(rng);
    for (int x = 0; x < 6; ++x) {
      Ah[x] = Bd[x] = 0;
      for (int i = 0; i < 4; ++i) Ah[x] += kWinoS2Filter[x * 4 + i] * h[i];
      for (int k = 0; k < 6; ++k) Bd[x] += kBT[x * 6 + k] * d[k];
    }
    for (int j = 0; j < 3; ++j) {
      double z = 0, want = 0;
      for (int x = 0; x < 6; ++x) z += kWinoS2Output[j * 6 + x] * Ah[x] * Bd[x];
      for (int i = 0; i < 4; ++i) want += h[i] * d[i + j];
      worst = std::max(worst, std::fabs(z - want));
    }
  }
  CK_CHECK_MSG(worst < 1e-12, "F(3,4) matrices vs the direct formula: max error %g", worst);
}

int main() {
  check_matrices();
  const double tol = 2e-5;
  std::vector<CaseSpec> cases;
  cases.push_back({mk(2, {1, 32, 32}, 3, 64, {1, 7, 7}, {1, 2, 2}), Padding::same, "stem 32x32 same, 3 -> 64"});
  cases.push_back({mk(1, {1, 29, 31}, 3, 17, {1, 7, 7}, {1, 2, 2}), Padding::same, "odd 29x31 same, 3 -> 17"});
  cases.push_back({mk(3, {1, 23, 19}, 5, 70, {1, 7, 7}, {1, 2, 2}), Padding::valid, "valid 23x19, 5 -> 70"});
  cases.push_back({mk(1, {1, 20, 21}, 1, 7, {1, 8, 8}, {1, 2, 2}), Padding::same, "8x8 kernel, 1 -> 7"});
  cases.push_back({mk(2, {1, 17, 26}, 3, 16, {1, 7, 8}, {1, 2, 2}), Padding::valid, "7x8 kernel valid"});
  cases.push_back({mk(1, {1, 7, 7}, 3, 8, {1, 7, 7}, {1, 2, 2}), Padding::valid, "one output pixel"});
  cases.push_back({mk(4, {1, 61, 58}, 3, 64, {1, 7, 7}, {1, 2, 2}), Padding::same, "61x58 batch 4: many blocks"});
  ConvDesc e = mk(2, {1, 25, 27}, 3, 33, {1, 7, 7}, {1, 2, 2});
  e.pad_before = {0, 3, 1};
  e.pad_after = {0, 2, 4};
  cases.push_back({e, Padding::explicit_, "explicit asymmetric pad"});
  ConvDesc b = mk(2, {1, 30, 30}, 3, 64, {1, 7, 7}, {1, 2, 2});
  b.has_bias = true;
  b.act = Activation::relu;
  cases.push_back({b, Padding::same, "bias + relu"});
  int ran = 0;
  for_each_isa([&](Isa) {
    unsigned seed = 5;
    for (auto& cs : cases) {
      ConvDesc d = cs.d;
      apply_padding(d, cs.pad);
      auto x = random_vector(d.input_size(), seed++);
      auto w = random_vector(d.filter_size(), seed++);
      auto bias = random_vector(d.K, seed++);
      auto want = ref_forward(d, x.data(), w.data(), d.has_bias ? bias.data() : nullptr);
      std::vector<float> y(d.output_size(), -7.f);
      ConvAlgorithm ran_a = conv_forward(d, ConvAlgorithm::winograd_s2, x.data(), w.data(), bias.data(), y.data());
      CK_CHECK(ran_a == ConvAlgorithm::winograd_s2);
      double err = scaled_error(y.data(), want);
      CK_CHECK_MSG(err < tol, "winograd-s2 %s: err %g", cs.what, err);
      // The generic name resolves to this form for a 7x7 stride-2 forward pass.
      std::vector<float> y2(d.output_size(), -7.f);
      ConvOp op(d, w.data(), bias.data(), ConvAlgorithm::winograd);
      CK_CHECK(op.algorithm() == ConvAlgorithm::winograd_s2);
      op.run(x.data(), y2.data());
      err = scaled_error(y2.data(), want);
      CK_CHECK_MSG(err < tol, "winograd-s2 op %s: err %g", cs.what, err);
      ++ran;
    }
  });
  // Off its domain: Unsupported naming the reason, never a wrong answer.
  auto reason = [](ConvDesc d, ConvPass p) {
    apply_padding(d, Padding::same);
    return conv_unsupported_reason(d, p, ConvAlgorithm::winograd_s2);
  };
  CK_CHECK(reason(mk(1, {1, 16, 16}, 3, 8, {1, 7, 7}, {1, 1, 1}), ConvPass::forward).find("stride 2") != std::string::npos);
  CK_CHECK(reason(mk(1, {1, 16, 16}, 3, 8, {1, 5, 5}, {1, 2, 2}), ConvPass::forward).find("7x7") != std::string::npos);
  CK_CHECK(reason(mk(1, {1, 16, 16}, 4, 8, {1, 7, 7}, {1, 2, 2}, {1, 1, 1}, 2), ConvPass::forward).find("groups") !=
           std::string::npos);
  CK_CHECK(reason(mk(1, {1, 16, 16}, 3, 8, {1, 7, 7}, {1, 2, 2}), ConvPass::dgrad).find("forward") != std::string::npos);
  CK_CHECK(reason(mk(1, {1, 16, 16}, 3, 8, {1, 7, 7}, {1, 2, 2}), ConvPass::forward).empty());
  std::printf("ran %d winograd-s2 checks\n", ran);
  return finish("conv_winograd_s2_test");
}
