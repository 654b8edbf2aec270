#include "conv/fft.h"

#include <cmath>

#include "dispatch/cpu.h"
#include "runtime/errors.h"

namespace convkit {

FftPlan::FftPlan(std::size_t n) : L(n), bitrev(n), cos_t(n / 2), sin_t(n / 2) {
  if (n < 2 || (n & (n - 1))) throw InvalidArgument("fft: length must be a power of two >= 2");
  unsigned bits = 0;
  while ((std::size_t{1} << bits) < n) ++bits;
  for (std::size_t i = 0; i < n; ++i) {
    unsigned r = 0;
    for (unsigned b = 0; b < bits; ++b)
      if (i & (std::size_t{1} << b)) r |= 1u << (bits - 1 - b);
    bitrev[i] = r;
  }
  const double pi = 3.14159265358979323846;
  for (std::size_t j = 0; j < n / 2; ++j) {
    cos_t[j] = static_cast<float>(std::cos(2 * pi * j / n));
    sin_t[j] = static_cast<float>(std::sin(2 * pi * j / n));
  }
}

const FftKernels& fft_kernels() {
  switch (active_isa()) {
    case Isa::avx512: return fft_kernels_avx512();
    case Isa::avx2: return fft_kernels_avx2();
    default: return fft_kernels_scalar();
  }
}

}  // namespace convkit
