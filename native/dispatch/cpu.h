// Instruction-set detection and selection. The one place that reads cpuid.
//
// Kernels are compiled once per ISA (files suffixed _avx512 / _avx2 / _scalar); each op family keeps
// a small dispatch table indexed by the Isa chosen here. The active ISA is the best one the CPU and
// OS support, lowered by the CONVKIT_ISA environment variable (read once at load) or at run time by
// set_isa_override() — that is how tests run every kernel on every ISA the machine has.
#pragma once
#include <vector>

namespace convkit {

enum class Isa : int { scalar = 0, avx2 = 1, avx512 = 2 };
constexpr int kIsaCount = 3;

// Best ISA this CPU and OS support (cpuid + xgetbv), independent of any override.
Isa detected_isa();
// The ISA kernels dispatch on now: min(detected, CONVKIT_ISA, override).
Isa active_isa();
// ISAs the machine can run, lowest first.
std::vector<Isa> available_isas();
bool isa_available(Isa isa);
// Force a lower (or equal) ISA; throws std::invalid_argument if the CPU cannot run it.
void set_isa_override(Isa isa);
void clear_isa_override();

const char* isa_name(Isa isa);
// Parses "scalar" | "avx2" | "avx512"; returns false on an unknown name.
bool parse_isa(const char* name, Isa* out);

// CPU facts for backendInfo()/doctor: vendor string, brand string and a list of feature names.
struct CpuInfo {
  char vendor[13];
  char brand[49];
  std::vector<const char*> features;
};
const CpuInfo& cpu_info();

}  // namespace convkit
