#include "conv/conv_select.h"

#include <algorithm>

#include "conv/conv_direct_rows.h"
#include "conv/conv_direct_staged_wgrad.h"
#include "conv/conv_fft.h"
#include "conv/conv_transform.h"
#include "conv/winograd.h"
#include "conv/winograd_s2.h"
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
    case ConvAlgorithm::winograd_s2: return "winograd-s2";
  }
  return "?";
}

bool parse_conv_algorithm(const std::string& s, ConvAlgorithm* out) {
  for (ConvAlgorithm a : {ConvAlgorithm::auto_, ConvAlgorithm::direct, ConvAlgorithm::im2col,
                          ConvAlgorithm::winograd_f2, ConvAlgorithm::winograd_f4, ConvAlgorithm::fft,
                          ConvAlgorithm::winograd, ConvAlgorithm::winograd_s2})
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
  // The weight gradient has one Winograd form, F(3x3, 2x2) on the F(2x2, 3x3) points (winograd_wgrad.h).
  if (p == ConvPass::wgrad) return ConvAlgorithm::winograd_f2;
  // A 7x7 or 8x8 stride-2 forward pass has the polyphase F(3x3, 4x4) form (winograd_s2.h).
  if (p == ConvPass::forward && winograd_s2_unsupported_reason(d).empty()) return ConvAlgorithm::winograd_s2;
  // The forward output (or, for dgrad, the input) is what gets tiled, per dilation phase.
  const auto& sp = p == ConvPass::dgrad ? d.in : d.out;
  if (sp[1] < 8 * d.dilation[1] || sp[2] < 8 * d.dilation[2]) return ConvAlgorithm::winograd_f2;
  // F4's transformed filter is 36·C·K floats against F2's 16·C·K, read once per tile block. Past
  // about 4 MiB (twice a core's L2) the products stream it from memory and the 2.25x fewer
  // multiplications of F4 no longer pay: ResNet-18's 14x14x256 layers in the inference plan took
  // 1.35 ms F4 vs 0.82 ms F2 at batch 1, 2.0 vs 1.3 at batch 2, 4.7 vs 4.4 at batch 8, while the
  // 28x28x128 layers (2.4 MiB) stay faster with F4 (0.46 vs 0.57 ms at batch 1).
  constexpr std::size_t kF4FilterMaxBytes = 4u << 20;
  if (36 * d.C * d.K * sizeof(float) > kF4FilterMaxBytes) return ConvAlgorithm::winograd_f2;
  return ConvAlgorithm::winograd_f4;
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
      if (p == ConvPass::wgrad) {
        if (a == ConvAlgorithm::winograd_f2) return winograd_unsupported_reason(d);
        return wino ? "the Winograd weight gradient is F(3x3, 2x2) only (use winograd-f2 or winograd)"
                    : "FFT computes forward and input gradients only";
      }
      if (p == ConvPass::forward) return wino ? winograd_unsupported_reason(d) : fft_unsupported_reason(d);
      ConvDesc f;
      std::string why = dgrad_as_forward(d, &f);
      if (!why.empty()) return why;
      return wino ? winograd_unsupported_reason(f) : fft_unsupported_reason(f);
    }
    case ConvAlgorithm::winograd_s2:
      if (p != ConvPass::forward) return "the stride-2 Winograd form computes the forward pass only";
      return winograd_s2_unsupported_reason(d);
    default: return "unknown algorithm";
  }
}

void check_conv_supported(const ConvDesc& d, ConvPass p, ConvAlgorithm a) {
  std::string why = conv_unsupported_reason(d, p, a);
  if (!why.empty())
    throw Unsupported(std::string("conv algorithm '") + conv_algorithm_name(a) + "' cannot run the " +
                      conv_pass_name(p) + " of " + d.str() + ": " + why);
}

// A forward layer whose F(2x2, 3x3) transformed filter (16·C·K floats) is far past the caches
// while there are only a few tiles to multiply it with: at batch 1 on ResNet-18's 7x7x512 layers
// (16 tiles, 16.8 MB of U against the 9.4 MB filter im2col reads) each of the 16 transformed-domain
// products is a 16-row GEMM that streams 1 MB of U for 16 rows, and im2col's single 49-row GEMM
// over the plain filter is faster: 1.32-1.43 -> 1.22-1.26 ms per layer in the batch-1 inference
// plan (per-step profile, interleaved plans, 2 threads, 2026-12-07). At batch 2 (32 tiles) Winograd
// was still 4% ahead, and on the 14x14x256 layers at batch 1 (49 tiles, 4.2 MB) 25-35% ahead.
static bool winograd_filter_bound(const ConvDesc& d, ConvPass p) {
  if (p != ConvPass::forward) return false;
  const std::size_t tiles = d.N * ((d.out[1] + 1) / 2) * ((d.out[2] + 1) / 2) * d.out[0];
  constexpr std::size_t kFilterBytes = 8u << 20;
  return tiles <= 16 && 16 * d.C * d.K * sizeof(float) > kFilterBytes;
}

ConvAlgorithm select_conv_algorithm(const ConvDesc& d, ConvPass p) {
  const std::size_t cg = d.cin_g(), og = d.cout_g();
  // Depthwise: the channel-vector direct kernels (no GEMM shape to speak of).
  if (cg == 1 && og == 1 && d.groups > 1) return ConvAlgorithm::direct;
  // Few input channels (LeNet/CIFAR/RGB-stem first layers): the direct algorithm's row-vectorised
  // kernels (conv_direct_rows.h) beat the thin column GEMM for the weight gradient and, at stride
  // 1, the input gradient; they read no column matrix at all.
  if (p != ConvPass::forward && conv_rows_few_channels(d, p)) return ConvAlgorithm::direct;
  // Weight gradient otherwise: one tall-skinny GEMM per column tile reduces over all pixels at once
  // (the direct kernel revisits the pixel list once per (tap, channel block)).
  if (p == ConvPass::wgrad) {
    // RGB-like inputs under large kernels on wide rows (the 7x7/2 stem, AlexNet's 11x11/4): the
    // staged direct weight gradient reduces each kernel row's KW*Cin run over whole output rows
    // without a column matrix (conv_direct_staged_wgrad.h). 2 threads, busy machine, min ms: stem
    // 6.8-6.9 vs 8.5-9.0 (torch 6.96), AlexNet 5.24-5.28 vs 6.0 (torch 5.30); on short rows or
    // short reductions the column GEMM stays ahead (32x32 3->32 5x5: 0.76 vs 0.69 ms).
    if (d.groups == 1 && d.C <= 4 && d.K >= 32 && d.out[2] >= 48 && d.taps() * d.C >= 100 &&
        conv_direct_staged_wgrad_ok(d))
      return ConvAlgorithm::direct;
    // 3x3 stride 1 with enough channels: Winograd F(3x3, 2x2), 4 products per pixel and channel
    // pair instead of 9 (winograd_wgrad.h; VGG 56x56x64 wgrad 33.6 -> 14.3 ms single thread, busy machine).
    if (std::min(d.C, d.K) >= 16 && conv_unsupported_reason(d, p, ConvAlgorithm::winograd_f2).empty())
      return ConvAlgorithm::winograd_f2;
    return ConvAlgorithm::im2col;
  }
  // 7x7 (or 8x8) stride-2 layers on few input channels (the ImageNet stem): the polyphase Winograd
  // F(3x3, 4x4) form (winograd_s2.h) does 16*C*K product multiply-adds per output pixel against the
  // direct kernel's 49*C*K (3.06x fewer), plus transforms whose cost per output is about one add per
  // output channel; the staged direct kernel already runs at ~95% of the FMA peak, so fewer flops is
  // the only way past it. Stem (8x224x224x3 -> 64, 2 threads, convkit_bench, busy machine, minima):
  // 4.43-4.47 ms direct vs 3.44-3.60 winograd-s2. Measured only on few input channels and >= 32
  // outputs, so the rule stops there; small outputs (under 4 tiles a side) keep the direct kernel,
  // where partial 3x3 tiles waste most of the work.
  if (p == ConvPass::forward && d.C <= 4 && d.K >= 32 && d.out[1] >= 12 && d.out[2] >= 12 &&
      winograd_s2_unsupported_reason(d).empty())
    return ConvAlgorithm::winograd_s2;
  // Fast algorithms for stride-1 layers with enough channels for their transformed-domain GEMMs
  // (Winograd also takes dilated 3x3 layers, tiled per dilation phase: the 28x28x128 dilation-2
  // case 12.7-14.3 ms direct vs 8.3-12.2 ms Winograd F4 on two threads, busy machine).
  if (std::min(d.C, d.K) >= 16) {
    if (conv_unsupported_reason(d, p, ConvAlgorithm::winograd).empty() && !winograd_filter_bound(d, p))
      return resolve_winograd(d, p, ConvAlgorithm::winograd);
    const std::size_t ek = std::max(d.eff_kernel(1), d.eff_kernel(2));
    if (ek >= 7 && conv_unsupported_reason(d, p, ConvAlgorithm::fft).empty()) return ConvAlgorithm::fft;
  }
  // Input gradient: GEMM + col2im (the direct gather form walks every tap even where a stride
  // leaves no source row).
  if (p == ConvPass::dgrad) return ConvAlgorithm::im2col;
  // Forward, 1x1: straight to sgemm.
  bool pointwise = d.taps() == 1;
  for (int i = 0; i < 3; ++i) pointwise = pointwise && d.stride[i] == 1 && d.pad_before[i] == 0 && d.pad_after[i] == 0;
  if (pointwise && og >= 16) return ConvAlgorithm::im2col;
  // Forward otherwise: the direct kernel reads the input in place (no column copy); it wins on
  // few input channels (the column matrix would be thin and copy-bound) and on dilated/strided
  // layers in our measurements; im2col takes the wide grouped/plain layers with many channels.
  // Few channels: the direct kernels (row-vectorised for Cin <= 4 and Cout <= 32, else the channel
  // kernel, whose interior tiles address the input by tap offsets, so large kernels such as
  // AlexNet's 11x11/4 on RGB no longer pay per-tap pointers: 16.8 vs 20.8 ms for im2col).
  const bool dilated = d.dilation[1] > 1 || d.dilation[2] > 1;
  // Except a middle band: 5..15 input channels, >= 16 outputs and a long reduction (taps * Cin >=
  // 100, e.g. LeNet's second 5x5 conv, 6 -> 16). The column copy moves a kernel row of KW*Cin
  // contiguous floats at once, and the GEMM fills its vectors with outputs, where the direct
  // channel kernel leaves most lanes of its Cin-wide taps idle (6 -> 16 at 14x14: 0.113 vs 0.127 ms
  // at batch 32, 0.030 vs 0.041 at batch 8; 12 -> 24 5x5: 0.52 vs 0.57 ms). 3x3 kernels on few
  // channels (72 floats per pixel) stay direct: 0.36 vs 0.45 ms for 8 -> 32 (busy machine).
  if (!dilated && cg >= 5 && cg < 16 && og >= 16 && d.taps() * cg >= 100) return ConvAlgorithm::im2col;
  if (cg < 16 || og < 16) return ConvAlgorithm::direct;
  return dilated ? ConvAlgorithm::direct : ConvAlgorithm::im2col;
}

}  // namespace convkit
