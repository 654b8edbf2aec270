// A minimal test harness for the ctest suite (no external test framework: the build must stay
// offline and dependency-free). Each *_test.cc has a main() that runs its cases once per ISA the
// machine has, through for_each_isa().
#pragma once
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <vector>

#include "dispatch/cpu.h"

namespace convkit::test {

inline int& failures() {
  static int n = 0;
  return n;
}

#define CK_CHECK(cond)                                                          \
  do {                                                                          \
    if (!(cond)) {                                                              \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++::convkit::test::failures();                                            \
    }                                                                           \
  } while (0)

#define CK_CHECK_MSG(cond, ...)                                                 \
  do {                                                                          \
    if (!(cond)) {                                                              \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                                        \
      std::fprintf(stderr, "\n");                                               \
      ++::convkit::test::failures();                                            \
    }                                                                           \
  } while (0)

// Runs fn once per available ISA with that ISA forced, then restores the default.
inline void for_each_isa(const std::function<void(Isa)>& fn) {
  for (Isa isa : available_isas()) {
    set_isa_override(isa);
    std::fprintf(stderr, "  [isa %s]\n", isa_name(isa));
    fn(isa);
  }
  clear_isa_override();
}

inline std::vector<float> random_vector(std::size_t n, unsigned seed, float lo = -1.f, float hi = 1.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// Largest |got - want| / (atol + rtol*|want|) over the arrays; <= 1 passes.
inline double error_ratio(const float* got, const double* want, std::size_t n, double atol, double rtol) {
  double worst = 0;
  for (std::size_t i = 0; i < n; ++i) {
    double e = std::fabs(static_cast<double>(got[i]) - want[i]) / (atol + rtol * std::fabs(want[i]));
    if (!(e <= worst)) worst = e;  // NaN-safe: a NaN makes worst NaN
  }
  return worst;
}

inline int finish(const char* name) {
  if (failures()) {
    std::fprintf(stderr, "%s: %d check(s) failed\n", name, failures());
    return 1;
  }
  std::fprintf(stderr, "%s: all checks passed\n", name);
  return 0;
}

}  // namespace convkit::test
