// Algorithm enum, support matrix and the pure selection function ('auto').
//
// select_conv_algorithm() is a function of the descriptor and the pass only (no timing, no global
// state), so it is unit-tested directly (conv_select_test.cc). Forcing an algorithm that cannot run
// a configuration raises Unsupported naming the algorithm, the reason and the configuration;
// nothing is ever rerouted silently.
#pragma once
#include <string>

#include "conv/conv_desc.h"

namespace convkit {

enum class ConvAlgorithm : int { auto_ = 0, direct = 1, im2col = 2, winograd_f2 = 3, winograd_f4 = 4, fft = 5,
                                 winograd = 6 /* F4, or F2 on outputs smaller than 8x8; winograd_s2 for 7x7 stride 2 */,
                                 winograd_s2 = 7 /* F(3x3, 4x4) on the polyphase form, winograd_s2.h */ };
enum class ConvPass : int { forward = 0, dgrad = 1, wgrad = 2 };

const char* conv_algorithm_name(ConvAlgorithm a);  // "auto", "direct", "im2col", "winograd-f2", ...
// Accepts the names above; returns false for an unknown name.
bool parse_conv_algorithm(const std::string& s, ConvAlgorithm* out);
const char* conv_pass_name(ConvPass p);

// Resolves the generic 'winograd' to F2 or F4 for d (F2 for the weight gradient, whose only Winograd
// form is F(3x3, 2x2)); other values are returned unchanged.
ConvAlgorithm resolve_winograd(const ConvDesc& d, ConvPass p, ConvAlgorithm a);
// "" when algorithm a (not auto) can run pass p of d, else the reason.
std::string conv_unsupported_reason(const ConvDesc& d, ConvPass p, ConvAlgorithm a);
// Throws Unsupported("conv algorithm 'x' cannot run the <pass> of <config>: <reason>") if not.
void check_conv_supported(const ConvDesc& d, ConvPass p, ConvAlgorithm a);

// The cost model behind 'auto' (pure). Always returns a concrete, supported algorithm:
//  - depthwise (one input and one output channel per group) -> direct (channel-vector kernels)
//  - few input channels (<= 4, rows >= 8 wide, groups 1): weight gradient (<= 16 output
//    channels) and stride-1 input gradient (<= 32) -> direct (its row-vectorised kernels)
//  - weight gradient -> im2col (GEMM over all pixels per column tile)
//  - stride 1, groups 1, >= 16 channels in and out: 3x3 undilated -> Winograd (F4 when the tiled
//    plane is >= 8x8, else F2); dilated extent >= 7 -> FFT (forward and input gradient)
//  - other input gradients -> im2col (GEMM + col2im)
//  - forward 1x1 stride 1 -> im2col (straight sgemm); few channels (< 16) or dilation -> direct;
//    else im2col.
ConvAlgorithm select_conv_algorithm(const ConvDesc& d, ConvPass p);

}  // namespace convkit
