// Error of every algorithm on realistic layers (VGG 3x3x64, ResNet 3x3x128, 11x11 same, AlexNet
// 11x11 stride 4, LeNet 5x5, the ResNet 7x7/2 stem), forward and gradients, against the double reference. Prints the table
// quoted in docs/CONVOLUTION.md and checks the per-algorithm tolerances (max abs error / max |ref|):
//   direct, im2col 2e-5;  winograd-f2 1e-4;  winograd-f4 5e-4;  fft 2e-4;  winograd-s2 1e-4;  auto <= 5e-4.
// Runs on the best ISA only (the per-ISA kernels are covered by conv_algorithms_test) to keep ctest
// short; inputs and weights uniform in [-1, 1].
#include <cmath>
#include <cstdio>

#include "conv/conv.h"
#include "conv_reference.h"
#include "test_util.h"

using namespace convkit;
using namespace convkit::test;

static double rms_rel(const float* got, const std::vector<double>& want) {
  double e = 0, r = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    double d = got[i] - want[i];
    e += d * d;
    r += want[i] * want[i];
  }
  return std::sqrt(e / (r + 1e-300));
}

int main() {
  struct Layer {
    const char* name;
    ConvDesc d;
    Padding pad;
  };
  std::vector<Layer> layers = {
      {"VGG 3x3 64->64, 56x56", mk(1, {1, 56, 56}, 64, 64, {1, 3, 3}), Padding::same},
      {"ResNet 3x3 128->128, 28x28", mk(1, {1, 28, 28}, 128, 128, {1, 3, 3}), Padding::same},
      {"11x11 32->32, 64x64 same", mk(1, {1, 64, 64}, 32, 32, {1, 11, 11}), Padding::same},
      {"AlexNet 11x11/4 3->96, 227x227", mk(1, {1, 227, 227}, 3, 96, {1, 11, 11}, {1, 4, 4}), Padding::valid},
      {"LeNet 5x5 1->6, 28x28 x8", mk(8, {1, 28, 28}, 1, 6, {1, 5, 5}), Padding::same},
      {"ResNet stem 7x7/2 3->64, 224x224 pad 3", mk(1, {1, 224, 224}, 3, 64, {1, 7, 7}, {1, 2, 2}), Padding::explicit_},
  };
  layers.back().d.pad_before = {0, 3, 3};
  layers.back().d.pad_after = {0, 3, 3};
  const ConvAlgorithm algos[] = {ConvAlgorithm::direct, ConvAlgorithm::im2col, ConvAlgorithm::winograd_f2,
                                 ConvAlgorithm::winograd_f4, ConvAlgorithm::fft, ConvAlgorithm::winograd_s2,
                                 ConvAlgorithm::auto_};
  auto tol = [](ConvAlgorithm a) {
    switch (a) {
      case ConvAlgorithm::winograd_f2: return 1e-4;
      case ConvAlgorithm::winograd_f4: return 5e-4;
      case ConvAlgorithm::fft: return 2e-4;
      case ConvAlgorithm::winograd_s2: return 1e-4;
      case ConvAlgorithm::auto_: return 5e-4;
      default: return 2e-5;
    }
  };
  std::printf("| layer | pass | algorithm | max abs err / max abs ref | RMS rel. err |\n| --- | --- | --- | ---: | ---: |\n");
  unsigned seed = 77;
  for (auto& L : layers) {
    ConvDesc d = L.d;
    apply_padding(d, L.pad);
    auto x = random_vector(d.input_size(), seed++);
    auto w = random_vector(d.filter_size(), seed++);
    auto dy = random_vector(d.output_size(), seed++);
    auto ry = ref_forward(d, x.data(), w.data(), nullptr);
    auto rdx = ref_dgrad(d, dy.data(), w.data());
    auto rdw = ref_wgrad(d, x.data(), dy.data(), nullptr);
    for (ConvPass p : {ConvPass::forward, ConvPass::dgrad, ConvPass::wgrad}) {
      for (ConvAlgorithm a : algos) {
        if (!conv_unsupported_reason(d, p, a).empty()) continue;
        std::vector<float> out(p == ConvPass::forward ? d.output_size() : p == ConvPass::dgrad ? d.input_size() : d.filter_size());
        ConvAlgorithm ran = p == ConvPass::forward ? conv_forward(d, a, x.data(), w.data(), nullptr, out.data())
                            : p == ConvPass::dgrad ? conv_dgrad(d, a, dy.data(), w.data(), out.data())
                                                   : conv_wgrad(d, a, x.data(), dy.data(), out.data(), nullptr);
        const auto& want = p == ConvPass::forward ? ry : p == ConvPass::dgrad ? rdx : rdw;
        double e = scaled_error(out.data(), want), r = rms_rel(out.data(), want);
        char an[40];
        if (a == ConvAlgorithm::auto_)
          std::snprintf(an, sizeof an, "auto (%s)", conv_algorithm_name(ran));
        else
          std::snprintf(an, sizeof an, "%s", conv_algorithm_name(a));
        std::printf("| %s | %s | %s | %.2e | %.2e |\n", L.name, p == ConvPass::forward ? "forward" : p == ConvPass::dgrad ? "dgrad" : "wgrad", an, e, r);
        CK_CHECK_MSG(e < tol(a), "%s %s %s: %g", L.name, conv_pass_name(p), an, e);
      }
    }
  }
  return finish("conv_accuracy_test");
}
