// The pure selection function, the support matrix (Unsupported with a clear message, never a silent
// fallback), algorithm names, output-size helpers and 'same' padding, and the autotune cache
// (in memory and through a JSON file).
#include <cstdio>
#include <string>

#include "conv/conv.h"
#include "conv_reference.h"
#include "test_util.h"

using namespace convkit;
using namespace convkit::test;

static ConvDesc fin(ConvDesc d, Padding p) {
  apply_padding(d, p);
  return d;
}

int main() {
  // Keras/TF 'same': total = max((ceil(in/s)-1)*s + (k-1)*d + 1 - in, 0), before = total/2.
  std::size_t b, a;
  same_padding(10, 3, 2, 1, &b, &a);  // out 5: need 9+... (4*2+3)-10 = 1 -> 0 before, 1 after
  CK_CHECK(b == 0 && a == 1);
  same_padding(11, 3, 2, 1, &b, &a);  // out 6: 5*2+3-11 = 2 -> 1, 1
  CK_CHECK(b == 1 && a == 1);
  same_padding(7, 5, 1, 2, &b, &a);   // dilated extent 9: total 8 -> 4, 4
  CK_CHECK(b == 4 && a == 4);
  same_padding(5, 1, 3, 1, &b, &a);
  CK_CHECK(b == 0 && a == 0);
  CK_CHECK(conv_output_length(227, 11, 4, 1, 0, 0) == 55);
  CK_CHECK(conv_output_length(224, 7, 2, 1, 3, 3) == 112);
  ConvDesc bad = mk(1, {1, 4, 4}, 3, 4, {1, 3, 3}, {1, 1, 1}, {1, 1, 1}, 2);
  bool threw = false;
  try {
    bad.finalize();
  } catch (const InvalidArgument& e) {
    threw = std::string(e.what()).find("divisible") != std::string::npos;
  }
  CK_CHECK(threw);

  // Selection (pure: same answer every time, concrete, supported).
  ConvDesc vgg = fin(mk(8, {1, 56, 56}, 64, 64, {1, 3, 3}), Padding::same);
  ConvDesc dw = fin(mk(8, {1, 56, 56}, 128, 128, {1, 3, 3}, {1, 1, 1}, {1, 1, 1}, 128), Padding::same);
  ConvDesc pw = fin(mk(8, {1, 14, 14}, 256, 1024, {1, 1, 1}), Padding::valid);
  ConvDesc big = fin(mk(4, {1, 64, 64}, 32, 32, {1, 11, 11}), Padding::same);
  ConvDesc lenet = fin(mk(64, {1, 28, 28}, 1, 6, {1, 5, 5}), Padding::same);
  ConvDesc stem = fin(mk(8, {1, 224, 224}, 3, 64, {1, 7, 7}, {1, 2, 2}), Padding::same);
  ConvDesc alex = fin(mk(8, {1, 227, 227}, 3, 96, {1, 11, 11}, {1, 4, 4}), Padding::valid);
  ConvDesc tiny = fin(mk(1, {1, 5, 5}, 32, 32, {1, 3, 3}), Padding::same);
  CK_CHECK(select_conv_algorithm(vgg, ConvPass::forward) == ConvAlgorithm::winograd_f4);
  CK_CHECK(select_conv_algorithm(vgg, ConvPass::dgrad) == ConvAlgorithm::winograd_f4);
  CK_CHECK(select_conv_algorithm(vgg, ConvPass::wgrad) == ConvAlgorithm::winograd_f2);
  CK_CHECK(select_conv_algorithm(tiny, ConvPass::forward) == ConvAlgorithm::winograd_f2);
  // F4's transformed filter past 4 MiB (ResNet-18's 14x14x256 layers): F2.
  ConvDesc r3 = fin(mk(1, {1, 14, 14}, 256, 256, {1, 3, 3}), Padding::same);
  ConvDesc r2 = fin(mk(1, {1, 28, 28}, 128, 128, {1, 3, 3}), Padding::same);
  CK_CHECK(select_conv_algorithm(r3, ConvPass::forward) == ConvAlgorithm::winograd_f2);
  CK_CHECK(select_conv_algorithm(r3, ConvPass::dgrad) == ConvAlgorithm::winograd_f2);
  CK_CHECK(select_conv_algorithm(r2, ConvPass::forward) == ConvAlgorithm::winograd_f4);
  // 7x7x512 at batch 1: 16 tiles against 16.8 MB of F2 filter, im2col's one GEMM over the plain
  // filter; from batch 2 (32 tiles) Winograd again, and the gradients keep it at any batch.
  ConvDesc r4 = fin(mk(1, {1, 7, 7}, 512, 512, {1, 3, 3}), Padding::same);
  ConvDesc r4b2 = fin(mk(2, {1, 7, 7}, 512, 512, {1, 3, 3}), Padding::same);
  CK_CHECK(select_conv_algorithm(r4, ConvPass::forward) == ConvAlgorithm::im2col);
  CK_CHECK(select_conv_algorithm(r4, ConvPass::dgrad) == ConvAlgorithm::winograd_f2);
  CK_CHECK(select_conv_algorithm(r4b2, ConvPass::forward) == ConvAlgorithm::winograd_f2);
  // Dilated 3x3 (tiles per dilation phase): F4 when every phase's grid is >= 8 wide, else F2.
  ConvDesc dil = fin(mk(8, {1, 28, 28}, 128, 128, {1, 3, 3}, {1, 1, 1}, {1, 2, 2}), Padding::same);
  CK_CHECK(select_conv_algorithm(dil, ConvPass::forward) == ConvAlgorithm::winograd_f4);
  CK_CHECK(select_conv_algorithm(dil, ConvPass::wgrad) == ConvAlgorithm::winograd_f2);
  ConvDesc dil4 = fin(mk(1, {1, 28, 28}, 32, 32, {1, 3, 3}, {1, 1, 1}, {1, 4, 4}), Padding::same);
  CK_CHECK(select_conv_algorithm(dil4, ConvPass::forward) == ConvAlgorithm::winograd_f2);
  CK_CHECK(select_conv_algorithm(dw, ConvPass::forward) == ConvAlgorithm::direct);
  CK_CHECK(select_conv_algorithm(dw, ConvPass::wgrad) == ConvAlgorithm::direct);
  CK_CHECK(select_conv_algorithm(lenet, ConvPass::wgrad) == ConvAlgorithm::direct);  // row kernels
  CK_CHECK(select_conv_algorithm(lenet, ConvPass::dgrad) == ConvAlgorithm::direct);
  CK_CHECK(select_conv_algorithm(stem, ConvPass::dgrad) == ConvAlgorithm::im2col);
  // Weight gradients of RGB layers: the staged direct kernel on the stem and AlexNet (long rows, a
  // 147- / 363-float reduction per pixel); the column GEMM on a 32-wide 5x5 and a 3x3.
  CK_CHECK(select_conv_algorithm(stem, ConvPass::wgrad) == ConvAlgorithm::direct);
  CK_CHECK(select_conv_algorithm(alex, ConvPass::wgrad) == ConvAlgorithm::direct);
  CK_CHECK(select_conv_algorithm(fin(mk(32, {1, 32, 32}, 3, 32, {1, 5, 5}), Padding::same), ConvPass::wgrad) ==
           ConvAlgorithm::im2col);
  CK_CHECK(select_conv_algorithm(fin(mk(8, {1, 224, 224}, 3, 64, {1, 3, 3}), Padding::same), ConvPass::wgrad) ==
           ConvAlgorithm::im2col);
  CK_CHECK(select_conv_algorithm(big, ConvPass::dgrad) == ConvAlgorithm::fft);
  CK_CHECK(select_conv_algorithm(pw, ConvPass::forward) == ConvAlgorithm::im2col);
  CK_CHECK(select_conv_algorithm(big, ConvPass::forward) == ConvAlgorithm::fft);
  CK_CHECK(select_conv_algorithm(lenet, ConvPass::forward) == ConvAlgorithm::direct);
  // LeNet's second conv (6 -> 16, 5x5): a 150-float reduction with 6 input channels goes to im2col;
  // 3x3 on 8 channels (72 floats) stays direct.
  ConvDesc lenet2 = fin(mk(32, {1, 14, 14}, 6, 16, {1, 5, 5}), Padding::valid);
  ConvDesc few3 = fin(mk(16, {1, 32, 32}, 8, 32, {1, 3, 3}), Padding::same);
  CK_CHECK(select_conv_algorithm(lenet2, ConvPass::forward) == ConvAlgorithm::im2col);
  CK_CHECK(select_conv_algorithm(few3, ConvPass::forward) == ConvAlgorithm::direct);
  // The stem forward: the polyphase Winograd F(3x3, 4x4) form (winograd_s2.h); not for fewer than
  // 32 outputs, more than 4 input channels, outputs under 12x12, or other kernels/strides.
  CK_CHECK(select_conv_algorithm(stem, ConvPass::forward) == ConvAlgorithm::winograd_s2);
  CK_CHECK(resolve_winograd(stem, ConvPass::forward, ConvAlgorithm::winograd) == ConvAlgorithm::winograd_s2);
  CK_CHECK(select_conv_algorithm(fin(mk(8, {1, 224, 224}, 3, 16, {1, 7, 7}, {1, 2, 2}), Padding::same),
                                 ConvPass::forward) == ConvAlgorithm::direct);
  CK_CHECK(select_conv_algorithm(fin(mk(8, {1, 224, 224}, 8, 64, {1, 7, 7}, {1, 2, 2}), Padding::same),
                                 ConvPass::forward) != ConvAlgorithm::winograd_s2);
  CK_CHECK(select_conv_algorithm(fin(mk(8, {1, 20, 20}, 3, 64, {1, 7, 7}, {1, 2, 2}), Padding::same),
                                 ConvPass::forward) == ConvAlgorithm::direct);
  CK_CHECK(select_conv_algorithm(fin(mk(8, {1, 224, 224}, 3, 64, {1, 5, 5}, {1, 2, 2}), Padding::same),
                                 ConvPass::forward) == ConvAlgorithm::direct);
  CK_CHECK(select_conv_algorithm(alex, ConvPass::forward) == ConvAlgorithm::direct);  // implicit-addressing tiles
  for (auto& cs : conv_cases()) {
    ConvDesc d = fin(cs.d, cs.pad);
    for (ConvPass p : {ConvPass::forward, ConvPass::dgrad, ConvPass::wgrad}) {
      ConvAlgorithm s = select_conv_algorithm(d, p);
      CK_CHECK(s != ConvAlgorithm::auto_ && s != ConvAlgorithm::winograd);
      CK_CHECK(conv_unsupported_reason(d, p, s).empty());
      CK_CHECK(select_conv_algorithm(d, p) == s);
    }
  }

  // Forcing an algorithm that cannot run a configuration: Unsupported naming algorithm and config.
  ConvDesc s2 = fin(mk(1, {1, 9, 9}, 4, 4, {1, 3, 3}, {1, 2, 2}), Padding::same);
  std::vector<float> x(s2.input_size()), w(s2.filter_size()), y(s2.output_size());
  std::string msg;
  try {
    conv_forward(s2, ConvAlgorithm::winograd_f4, x.data(), w.data(), nullptr, y.data());
  } catch (const Unsupported& e) {
    msg = e.what();
  }
  CK_CHECK(msg.find("winograd-f4") != std::string::npos && msg.find("stride") != std::string::npos &&
           msg.find("in=1x9x9x4") != std::string::npos);
  msg.clear();
  try {
    std::vector<float> dw2(s2.filter_size());
    conv_wgrad(s2, ConvAlgorithm::fft, x.data(), y.data(), dw2.data(), nullptr);
  } catch (const Unsupported& e) {
    msg = e.what();
  }
  CK_CHECK(msg.find("fft") != std::string::npos);
  ConvAlgorithm parsed;
  CK_CHECK(parse_conv_algorithm("winograd-f2", &parsed) && parsed == ConvAlgorithm::winograd_f2);
  CK_CHECK(!parse_conv_algorithm("winograd-f6", &parsed));

  // Autotune: off -> cost model; on -> times the candidates once, caches, file round trip.
  ConvDesc t = fin(mk(2, {1, 12, 12}, 16, 16, {1, 3, 3}), Padding::same);
  auto tx = random_vector(t.input_size(), 1), tw = random_vector(t.filter_size(), 2);
  std::vector<float> ty(t.output_size());
  conv_autotune_clear();
  CK_CHECK(conv_forward(t, ConvAlgorithm::auto_, tx.data(), tw.data(), nullptr, ty.data()) ==
           select_conv_algorithm(t, ConvPass::forward));
  CK_CHECK(conv_autotune_size() == 0);
  set_conv_autotune(true);
  ConvAlgorithm tuned = conv_forward(t, ConvAlgorithm::auto_, tx.data(), tw.data(), nullptr, ty.data());
  CK_CHECK(conv_autotune_size() == 1);
  CK_CHECK(conv_autotune_lookup(t, ConvPass::forward) == tuned);
  CK_CHECK(conv_forward(t, ConvAlgorithm::auto_, tx.data(), tw.data(), nullptr, ty.data()) == tuned);
  double e = scaled_error(ty.data(), ref_forward(t, tx.data(), tw.data(), nullptr));
  CK_CHECK(e < 5e-4);
  const std::string path = "conv_select_test_autotune.json";
  conv_autotune_save(path);
  conv_autotune_clear();
  CK_CHECK(conv_autotune_lookup(t, ConvPass::forward) == ConvAlgorithm::auto_);
  conv_autotune_load(path);
  CK_CHECK(conv_autotune_lookup(t, ConvPass::forward) == tuned);
  std::remove(path.c_str());
  set_conv_autotune(false);
  conv_autotune_clear();
  return finish("conv_select_test");
}
