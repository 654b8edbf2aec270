#include "conv/conv_transform.h"

namespace convkit {

std::string dgrad_as_forward(const ConvDesc& d, ConvDesc* f) {
  for (int i = 0; i < 3; ++i) {
    if (d.stride[i] != 1) return "input gradient through a forward algorithm needs stride 1";
    std::size_t e = d.eff_kernel(i) - 1;
    if (d.pad_before[i] > e || d.pad_after[i] > e) return "padding larger than the kernel";
  }
  ConvDesc g;
  g.N = d.N;
  g.C = d.K;
  g.K = d.C;
  g.in = d.out;
  g.kernel = d.kernel;
  g.dilation = d.dilation;
  g.groups = d.groups;
  for (int i = 0; i < 3; ++i) {
    std::size_t e = d.eff_kernel(i) - 1;
    g.pad_before[i] = e - d.pad_before[i];
    g.pad_after[i] = e - d.pad_after[i];
  }
  g.finalize();
  *f = g;
  return "";
}

void dgrad_filter(const ConvDesc& d, const float* w, float* wf) {
  const std::size_t T = d.taps(), cg = d.cin_g(), og = d.cout_g();
  for (std::size_t t = 0; t < T; ++t) {
    std::size_t tr = T - 1 - t;  // rot180 in every dimension = reversed tap order
    for (std::size_t g = 0; g < d.groups; ++g)
      for (std::size_t c = 0; c < cg; ++c)
        for (std::size_t o = 0; o < og; ++o) wf[(tr * og + o) * d.C + g * cg + c] = w[(t * cg + c) * d.K + g * og + o];
  }
}

}  // namespace convkit
