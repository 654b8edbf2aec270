// Backend information and control: ISA, threads, build description.
#include <string>

#include "binding/binding.h"
#include "dispatch/cpu.h"
#include "runtime/thread_pool.h"

// CONVKIT_BUILD_SYSTEM is defined (unquoted) by binding.gyp and CMakeLists.txt.
#define CONVKIT_STR2(x) #x
#define CONVKIT_STR(x) CONVKIT_STR2(x)
#ifdef CONVKIT_BUILD_SYSTEM
#define CONVKIT_BUILD_SYSTEM_NAME CONVKIT_STR(CONVKIT_BUILD_SYSTEM)
#else
#define CONVKIT_BUILD_SYSTEM_NAME "unknown"
#endif

namespace convkit::binding {
namespace {

std::string compiler() {
#if defined(__clang__)
  return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  return std::string("gcc ") + __VERSION__;
#elif defined(_MSC_VER)
  return "msvc " + std::to_string(_MSC_VER);
#else
  return "unknown";
#endif
}

// The flags of the three ISA groups (see scripts/native-sources.mjs); the optimisation level is
// read from the compiler's own predefined macros.
std::string build_flags() {
  std::string s;
#if defined(__OPTIMIZE__)
  s += "-O3";  // both build files pass -O3 for release builds
#else
  s += "-O0";
#endif
#if defined(NDEBUG)
  s += " -DNDEBUG";
#endif
  s += " (core: baseline x86-64); *_avx2.cc: -mavx2 -mfma -mf16c; *_avx512.cc: -mavx512f -mavx512bw "
       "-mavx512dq -mavx512vl";
#if defined(__SANITIZE_ADDRESS__)
  s += "; -fsanitize=address,undefined";
#endif
  return s;
}

Napi::Value backend_info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("isa", isa_name(active_isa()));
  o.Set("detectedIsa", isa_name(detected_isa()));
  Napi::Array avail = Napi::Array::New(env);
  uint32_t k = 0;
  for (Isa i : available_isas()) avail.Set(k++, isa_name(i));
  o.Set("availableIsas", avail);
  o.Set("threads", num_threads());
  o.Set("hardwareThreads", hardware_threads());
  o.Set("compiler", compiler());
  o.Set("buildSystem", CONVKIT_BUILD_SYSTEM_NAME);
  o.Set("buildFlags", build_flags());
#if defined(__SANITIZE_ADDRESS__)
  o.Set("sanitizers", true);
#else
  o.Set("sanitizers", false);
#endif
  const CpuInfo& cpu = cpu_info();
  o.Set("cpuVendor", cpu.vendor);
  o.Set("cpuBrand", cpu.brand);
  Napi::Array feats = Napi::Array::New(env);
  k = 0;
  for (const char* f : cpu.features) feats.Set(k++, f);
  o.Set("cpuFeatures", feats);
  o.Set("napiVersion", NAPI_VERSION);
  return o;
}

Napi::Value set_threads(const Napi::CallbackInfo& info) {
  set_num_threads(static_cast<int>(arg_int(info, 0, "n", 1, 1024)));
  return info.Env().Undefined();
}

Napi::Value get_threads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), num_threads()); }

Napi::Value set_isa(const Napi::CallbackInfo& info) {
  if (info.Length() == 0 || info[0].IsNull() || info[0].IsUndefined()) {
    clear_isa_override();
    return info.Env().Undefined();
  }
  std::string name = arg_string(info, 0, "isa");
  Isa isa;
  if (!parse_isa(name.c_str(), &isa))
    throw_range_error(info.Env(), "'isa' must be one of 'scalar', 'avx2', 'avx512' or null, got '" + name + "'");
  if (!isa_available(isa))
    throw_range_error(info.Env(), "'isa' '" + name + "' is not supported by this CPU (available up to '" +
                                      isa_name(detected_isa()) + "')");
  set_isa_override(isa);
  return info.Env().Undefined();
}

Napi::Value get_isa(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), isa_name(active_isa())); }

}  // namespace

CONVKIT_BINDING(core) {
  def(env, exports, "backendInfo", &backend_info);
  def(env, exports, "setNumThreads", &set_threads);
  def(env, exports, "getNumThreads", &get_threads);
  def(env, exports, "setIsa", &set_isa);
  def(env, exports, "getIsa", &get_isa);
}

}  // namespace convkit::binding
