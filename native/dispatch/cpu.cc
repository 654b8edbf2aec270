#include "dispatch/cpu.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#define CONVKIT_X86 1
#endif

namespace convkit {
namespace {

#ifdef CONVKIT_X86
void cpuid(unsigned leaf, unsigned sub, unsigned r[4]) { __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]); }
unsigned long long xgetbv0() {
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<unsigned long long>(hi) << 32) | lo;
}
#endif

CpuInfo probe() {
  CpuInfo info{};
  std::strcpy(info.vendor, "unknown");
  std::strcpy(info.brand, "unknown");
#ifdef CONVKIT_X86
  unsigned r[4];
  cpuid(0, 0, r);
  unsigned max_leaf = r[0];
  std::memcpy(info.vendor + 0, &r[1], 4);
  std::memcpy(info.vendor + 4, &r[3], 4);
  std::memcpy(info.vendor + 8, &r[2], 4);
  info.vendor[12] = 0;
  cpuid(0x80000000u, 0, r);
  if (r[0] >= 0x80000004u) {
    for (unsigned i = 0; i < 3; ++i) {
      cpuid(0x80000002u + i, 0, r);
      std::memcpy(info.brand + 16 * i, r, 16);
    }
    info.brand[48] = 0;
  }
  cpuid(1, 0, r);
  const bool sse42 = r[2] & (1u << 20), fma = r[2] & (1u << 12), osxsave = r[2] & (1u << 27),
             avx = r[2] & (1u << 28), f16c = r[2] & (1u << 29);
  unsigned long long xcr0 = osxsave ? xgetbv0() : 0;
  const bool os_ymm = (xcr0 & 0x6) == 0x6;     // XMM and YMM state saved by the OS
  const bool os_zmm = (xcr0 & 0xe6) == 0xe6;   // plus opmask and ZMM state
  bool avx2 = false, avx512f = false, avx512bw = false, avx512dq = false, avx512vl = false;
  if (max_leaf >= 7) {
    cpuid(7, 0, r);
    avx2 = r[1] & (1u << 5);
    avx512f = r[1] & (1u << 16);
    avx512dq = r[1] & (1u << 17);
    avx512bw = r[1] & (1u << 30);
    avx512vl = r[1] & (1u << 31);
  }
  if (sse42) info.features.push_back("sse4.2");
  if (avx && os_ymm) info.features.push_back("avx");
  if (avx2 && os_ymm) info.features.push_back("avx2");
  if (fma && os_ymm) info.features.push_back("fma");
  if (f16c && os_ymm) info.features.push_back("f16c");
  if (avx512f && os_zmm) info.features.push_back("avx512f");
  if (avx512bw && os_zmm) info.features.push_back("avx512bw");
  if (avx512dq && os_zmm) info.features.push_back("avx512dq");
  if (avx512vl && os_zmm) info.features.push_back("avx512vl");
#endif
  return info;
}

bool has(const CpuInfo& info, const char* f) {
  for (const char* x : info.features)
    if (std::strcmp(x, f) == 0) return true;
  return false;
}

Isa detect() {
  const CpuInfo& c = cpu_info();
  if (has(c, "avx512f") && has(c, "avx512bw") && has(c, "avx512dq") && has(c, "avx512vl") && has(c, "fma") &&
      has(c, "avx2") && has(c, "f16c"))
    return Isa::avx512;
  if (has(c, "avx2") && has(c, "fma") && has(c, "f16c")) return Isa::avx2;
  return Isa::scalar;
}

Isa env_cap() {
  const char* e = std::getenv("CONVKIT_ISA");
  Isa isa;
  if (e && *e && parse_isa(e, &isa)) return isa;
  return Isa::avx512;
}

std::atomic<int> g_override{-1};

}  // namespace

const CpuInfo& cpu_info() {
  static const CpuInfo info = probe();
  return info;
}

Isa detected_isa() {
  static const Isa isa = detect();
  return isa;
}

Isa active_isa() {
  static const Isa base = static_cast<Isa>(std::min(static_cast<int>(detected_isa()), static_cast<int>(env_cap())));
  int o = g_override.load(std::memory_order_relaxed);
  return o >= 0 ? static_cast<Isa>(o) : base;
}

bool isa_available(Isa isa) { return static_cast<int>(isa) <= static_cast<int>(detected_isa()); }

std::vector<Isa> available_isas() {
  std::vector<Isa> v;
  for (int i = 0; i <= static_cast<int>(detected_isa()); ++i) v.push_back(static_cast<Isa>(i));
  return v;
}

void set_isa_override(Isa isa) {
  if (!isa_available(isa))
    throw std::invalid_argument(std::string("ISA '") + isa_name(isa) + "' is not supported by this CPU (best: " +
                                isa_name(detected_isa()) + ")");
  g_override.store(static_cast<int>(isa), std::memory_order_relaxed);
}

void clear_isa_override() { g_override.store(-1, std::memory_order_relaxed); }

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::scalar: return "scalar";
    case Isa::avx2: return "avx2";
    case Isa::avx512: return "avx512";
  }
  return "unknown";
}

bool parse_isa(const char* name, Isa* out) {
  std::string s(name);
  if (s == "scalar" || s == "baseline" || s == "none") *out = Isa::scalar;
  else if (s == "avx2") *out = Isa::avx2;
  else if (s == "avx512" || s == "avx512f") *out = Isa::avx512;
  else return false;
  return true;
}

}  // namespace convkit
