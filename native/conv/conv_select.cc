#include "conv/conv_select.h"

#include <algorithm>

#include "conv/conv_fft.h"
#include "conv/conv_transform.h"
#include "conv/winograd.h"
#include "runtime/errors.h"

namespace convkit {

const char* conv_algorithm_name(ConvAlgorithm a) {
  switch (a) {
    case ConvAlgorithm::auto_: return "auto";
    case ConvAlgorithm::direct: return "direct";
    case ConvAlgorithm::im2col: return "im2col";
    case ConvAlgorithm::winograd_f2: return "winograd-f2";
    case ConvAlgorithm::winograd_f4: return "winograd-f4";
    case ConvAlgorithm::fft: return "fft";
    case ConvAlgorithm::winograd: return "winograd";
  }
  return "?";
}

bool parse_conv_algorithm(const std::string& s, ConvAlgorithm* out) {
  for (ConvAlgorithm a : {ConvAlgorithm::auto_, ConvAlgorithm::direct, ConvAlgorithm::im2col,
                          ConvAlgorithm::winograd_f2, ConvAlgorithm::winograd_f4, ConvAlgorithm::fft,
                          ConvAlgorithm::winograd})
    if (s == conv_algorithm_name(a)) {
      *out = a;
      return true;
    }
  return false;
}

const char* conv_pass_name(ConvPass p) {
  return p == ConvPass::forward ? "forward pass" : p == ConvPass::dgrad ? "input gradient" : "weight gradient";
}

ConvAlgorithm resolve_winograd(const ConvDesc& d, ConvPass p, ConvAlgorithm a) {
  if (a != ConvAlgorithm::winograd) return a;
  // The forward output (or, for dgrad, the input) is what gets tiled.
  const auto& sp = p == ConvPass::dgrad ? d.in : d.out;
  return (sp[1] >= 8 && sp[2] >= 8) ? ConvAlgorithm::winograd_f4 : ConvAlgorithm::winograd_f2;
}

std::string conv_unsupported_reason(const ConvDesc& d, ConvPass p, ConvAlgorithm a) {
  a = resolve_winograd(d, p, a);
  switch (a) {
    case ConvAlgorithm::auto_:
    case ConvAlgorithm::direct:
    case ConvAlgorithm::im2col: return "";
    case ConvAlgorithm::winograd_f2:
    case ConvAlgorithm::winograd_f4:
    case ConvAlgorithm::fft: {
      const bool wino = a != ConvAlgorithm::fft;
      if (p == ConvPass::wgrad)
        return wino ? "Winograd computes forward and input gradients only" : "FFT computes forward and input gradients only";
      if (p == ConvPass::forward) return wino ? winograd_unsupported_reason(d) : fft_unsupported_reason(d);
      ConvDesc f;
      std::string why = dgrad_as_forward(d, &f);
      if (!why.empty()) return why;
      return wino ? winograd_unsupported_reason(f) : fft_unsupported_reason(f);
    }
    default: return "unknown algorithm";
  }
}

void check_conv_supported(const ConvDesc& d, ConvPass p, ConvAlgorithm a) {
  std::string why = conv_unsupported_reason(d, p, a);
  if (!why.empty())
    throw Unsupported(std::string("conv algorithm '") + conv_algorithm_name(a) + "' cannot run the " +
                      conv_pass_name(p) + " of " + d.str() + ": " + why);
}

ConvAlgorithm select_conv_algorithm(const ConvDesc& d, ConvPass p) {
  const std::size_t cg = d.cin_g(), og = d.cout_g();
  if (cg == 1 && og == 1 && d.groups > 1) return ConvAlgorithm::direct;
  const bool strided_dgrad = p == ConvPass::dgrad && (d.stride[0] > 1 || d.stride[1] > 1 || d.stride[2] > 1);
  if (strided_dgrad && og * d.taps() >= 16) return ConvAlgorithm::im2col;
  // For dgrad the GEMM's output width is Cin/g; for wgrad both matter.
  const std::size_t n_side = p == ConvPass::dgrad ? cg : og;
  const std::size_t k_side = p == ConvPass::dgrad ? og * d.taps() : cg * d.taps();
  if (n_side < 16 || k_side < 16) return ConvAlgorithm::direct;
  // The direct input gradient gathers through every tap even where the stride leaves no source, so
  // strided layers take the GEMM + col2im route.
  const bool strided = d.stride[0] > 1 || d.stride[1] > 1 || d.stride[2] > 1;
  if (p == ConvPass::dgrad && strided) return ConvAlgorithm::im2col;
  // Few input channels per group: the column matrix is a thin, copy-dominated operand; the direct
  // kernel reads the input in place.
  if (p == ConvPass::forward && cg < 16) return ConvAlgorithm::direct;
  if (p != ConvPass::wgrad && std::min(d.C, d.K) >= 16) {
    if (conv_unsupported_reason(d, p, ConvAlgorithm::winograd).empty())
      return resolve_winograd(d, p, ConvAlgorithm::winograd);
    const std::size_t ek = std::max(d.eff_kernel(1), d.eff_kernel(2));
    if (ek >= 7 && conv_unsupported_reason(d, p, ConvAlgorithm::fft).empty()) return ConvAlgorithm::fft;
  }
  return ConvAlgorithm::im2col;
}

}  // namespace convkit
