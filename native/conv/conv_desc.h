// The convolution descriptor: one struct for 1-D, 2-D and 3-D convolutions, channels-last (NHWC).
//
// Why one 3-D descriptor rather than three: every algorithm, pointer walk and test is written once;
// a 2-D conv is a 3-D conv with depth 1 (kernel 1, stride 1, no padding), a 1-D conv also has height 1.
// The unit loops cost nothing measurable next to the channel loops, and every configuration
// (strides, padding, dilation, groups) is exercised by the same code in all ranks.
//
// Layouts (all row-major, channels innermost):
//   input   [N, D, H, W, Cin]
//   filter  [KD, KH, KW, Cin/groups, Cout]     (Keras/TF HWIO; a depthwise Keras kernel
//                                              [KH, KW, Cin, mult] is the same bytes with groups=Cin)
//   output  [N, OD, OH, OW, Cout]
// Output channel o belongs to group o / (Cout/groups); group g reads input channels
// [g*Cin/groups, (g+1)*Cin/groups).
#pragma once
#include <array>
#include <cstddef>
#include <string>

#include "gemm/gemm.h"  // Activation

namespace convkit {

enum class Padding : int { valid = 0, same = 1, explicit_ = 2 };

struct ConvDesc {
  std::size_t N = 1, C = 1, K = 1;                 // batch, input channels, output channels
  std::array<std::size_t, 3> in{{1, 1, 1}};        // D, H, W
  std::array<std::size_t, 3> kernel{{1, 1, 1}};    // KD, KH, KW
  std::array<std::size_t, 3> stride{{1, 1, 1}};
  std::array<std::size_t, 3> dilation{{1, 1, 1}};
  std::array<std::size_t, 3> pad_before{{0, 0, 0}};  // front, top, left
  std::array<std::size_t, 3> pad_after{{0, 0, 0}};   // back, bottom, right
  std::size_t groups = 1;
  bool has_bias = false;
  Activation act = Activation::none;
  float leaky_alpha = 0.2f;

  // Derived (filled by finalize()).
  std::array<std::size_t, 3> out{{1, 1, 1}};

  std::size_t cin_g() const { return C / groups; }
  std::size_t cout_g() const { return K / groups; }
  std::size_t taps() const { return kernel[0] * kernel[1] * kernel[2]; }
  std::size_t in_pixels() const { return in[0] * in[1] * in[2]; }
  std::size_t out_pixels() const { return out[0] * out[1] * out[2]; }
  std::size_t input_size() const { return N * in_pixels() * C; }
  std::size_t output_size() const { return N * out_pixels() * K; }
  std::size_t filter_size() const { return taps() * cin_g() * K; }
  bool depthwise() const { return groups == C && groups > 1; }
  std::size_t eff_kernel(int d) const { return (kernel[d] - 1) * dilation[d] + 1; }
  // Direct-convolution FLOPs (2 per multiply-add), the count every benchmark divides by.
  double flops() const {
    return 2.0 * static_cast<double>(N) * static_cast<double>(out_pixels()) * static_cast<double>(K) *
           static_cast<double>(taps()) * static_cast<double>(cin_g());
  }
  // Validates everything and computes `out`. Throws InvalidArgument naming the bad field.
  void finalize();
  // "N=8 in=1x56x56x64 k=1x3x3 -> 64 stride=1x1x1 dil=1x1x1 pad=0,0/1,1/1,1 groups=1" for messages.
  std::string str() const;
};

// TensorFlow/Keras 'same' padding along one dimension:
//   pad_total = max((ceil(in/stride) - 1)*stride + (k-1)*dil + 1 - in, 0),
//   before = pad_total / 2 (floor), after = pad_total - before   (the extra row goes after).
void same_padding(std::size_t in, std::size_t k, std::size_t stride, std::size_t dil, std::size_t* before,
                  std::size_t* after);
// Output length along one dimension: floor((in + before + after - ((k-1)*dil+1)) / stride) + 1,
// or 0 when the padded input is shorter than the dilated kernel.
std::size_t conv_output_length(std::size_t in, std::size_t k, std::size_t stride, std::size_t dil,
                               std::size_t before, std::size_t after);

// Fills pad_before/pad_after from a padding mode (explicit keeps what is there) and finalizes.
void apply_padding(ConvDesc& d, Padding mode);

}  // namespace convkit
