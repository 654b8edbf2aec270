// Zero padding of channels-last tensors (Keras ZeroPadding1D/2D/3D) and its gradient, the crop.
//   x [N, D, H, W, C] -> y [N, D+pb0+pa0, H+pb1+pa1, W+pb2+pa2, C]
#pragma once
#include <array>
#include <cstddef>

namespace convkit {

void zero_pad_forward(std::size_t N, std::array<std::size_t, 3> in, std::size_t C, std::array<std::size_t, 3> before,
                      std::array<std::size_t, 3> after, const float* x, float* y);
// dx = the interior of dy (the crop that inverts zero_pad_forward).
void zero_pad_backward(std::size_t N, std::array<std::size_t, 3> in, std::size_t C,
                       std::array<std::size_t, 3> before, std::array<std::size_t, 3> after, const float* dy,
                       float* dx);

}  // namespace convkit
