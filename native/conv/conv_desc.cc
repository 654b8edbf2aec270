#include "conv/conv_desc.h"

#include <sstream>

#include "runtime/errors.h"

namespace convkit {

void same_padding(std::size_t in, std::size_t k, std::size_t stride, std::size_t dil, std::size_t* before,
                  std::size_t* after) {
  std::size_t out = (in + stride - 1) / stride;
  std::size_t need = (out == 0 ? 0 : (out - 1) * stride) + (k - 1) * dil + 1;
  std::size_t total = need > in ? need - in : 0;
  *before = total / 2;
  *after = total - *before;
}

std::size_t conv_output_length(std::size_t in, std::size_t k, std::size_t stride, std::size_t dil,
                               std::size_t before, std::size_t after) {
  std::size_t eff = (k - 1) * dil + 1;
  std::size_t padded = in + before + after;
  if (padded < eff) return 0;
  return (padded - eff) / stride + 1;
}

void apply_padding(ConvDesc& d, Padding mode) {
  for (int i = 0; i < 3; ++i) {
    if (mode == Padding::valid) {
      d.pad_before[i] = d.pad_after[i] = 0;
    } else if (mode == Padding::same) {
      if (d.stride[i] == 0 || d.kernel[i] == 0 || d.dilation[i] == 0) break;  // finalize() reports it
      same_padding(d.in[i], d.kernel[i], d.stride[i], d.dilation[i], &d.pad_before[i], &d.pad_after[i]);
    }
  }
  d.finalize();
}

std::string ConvDesc::str() const {
  std::ostringstream s;
  s << "N=" << N << " in=" << in[0] << "x" << in[1] << "x" << in[2] << "x" << C << " kernel=" << kernel[0] << "x"
    << kernel[1] << "x" << kernel[2] << " ->" << K << " stride=" << stride[0] << "x" << stride[1] << "x" << stride[2]
    << " dilation=" << dilation[0] << "x" << dilation[1] << "x" << dilation[2] << " pad=" << pad_before[0] << ","
    << pad_after[0] << "/" << pad_before[1] << "," << pad_after[1] << "/" << pad_before[2] << "," << pad_after[2]
    << " groups=" << groups;
  return s.str();
}

void ConvDesc::finalize() {
  auto bad = [&](const std::string& what) { throw InvalidArgument("conv: " + what + " (" + str() + ")"); };
  if (N == 0) bad("batch must be >= 1");
  if (C == 0 || K == 0) bad("channels must be >= 1");
  if (groups == 0) bad("groups must be >= 1");
  if (C % groups != 0) bad("input channels " + std::to_string(C) + " not divisible by groups " + std::to_string(groups));
  if (K % groups != 0) bad("output channels " + std::to_string(K) + " not divisible by groups " + std::to_string(groups));
  static const char* dims[3] = {"depth", "height", "width"};
  for (int i = 0; i < 3; ++i) {
    if (in[i] == 0) bad(std::string("input ") + dims[i] + " must be >= 1");
    if (kernel[i] == 0) bad(std::string("kernel ") + dims[i] + " must be >= 1");
    if (stride[i] == 0) bad(std::string("stride ") + dims[i] + " must be >= 1");
    if (dilation[i] == 0) bad(std::string("dilation ") + dims[i] + " must be >= 1");
    if (stride[i] > 1 && dilation[i] > 1) {
      // Keras forbids it too; every algorithm here would handle it, but no framework produces it.
    }
    out[i] = conv_output_length(in[i], kernel[i], stride[i], dilation[i], pad_before[i], pad_after[i]);
    if (out[i] == 0) bad(std::string("kernel larger than the padded input along ") + dims[i]);
  }
}

}  // namespace convkit
