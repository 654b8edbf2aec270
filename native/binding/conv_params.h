// The flat 22-integer convolution layout that JavaScript passes for a ConvDesc (conv functions and
// the inference plan's conv steps):
//   [N, D, H, W, Cin, Cout, KD, KH, KW, SD, SH, SW, DD, DH, DW,
//    padFront, padBack, padTop, padBottom, padLeft, padRight, groups]
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "conv/conv_desc.h"

namespace convkit::binding {

constexpr std::size_t kConvParams = 22;

// Fills the fields of d the layout carries (the caller checked p.size() == kConvParams); d is not
// finalized.
inline void conv_desc_from_params(const std::vector<std::int64_t>& p, ConvDesc& d) {
  auto u = [&](std::size_t k) { return static_cast<std::size_t>(p[k]); };
  d.N = u(0);
  d.in = {u(1), u(2), u(3)};
  d.C = u(4);
  d.K = u(5);
  d.kernel = {u(6), u(7), u(8)};
  d.stride = {u(9), u(10), u(11)};
  d.dilation = {u(12), u(13), u(14)};
  d.pad_before = {u(15), u(17), u(19)};
  d.pad_after = {u(16), u(18), u(20)};
  d.groups = u(21);
}

}  // namespace convkit::binding
