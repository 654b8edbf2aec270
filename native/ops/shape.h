// Shapes of contiguous row-major tensors, and NumPy broadcasting.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace convkit {

using Shape = std::vector<std::size_t>;

std::size_t shape_numel(const Shape& s);
std::string shape_str(const Shape& s);
// Row-major strides in elements.
std::vector<std::size_t> shape_strides(const Shape& s);
// The broadcast of two shapes (NumPy rules: align right; dims equal or one of them 1).
// Throws InvalidArgument naming both shapes if they are incompatible.
Shape broadcast_shapes(const Shape& a, const Shape& b);
// Throws InvalidArgument "<what>: expected shape X, got Y" unless a == b.
void check_shape_eq(const Shape& got, const Shape& want, const char* what);

}  // namespace convkit
