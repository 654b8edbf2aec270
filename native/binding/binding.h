// The binding framework every <family>_binding.cc uses. Read native/binding/README.md first.
//
//  - Registration: a family file registers its functions with
//        CONVKIT_BINDING(ops) { def(env, exports, "relu", &relu); }
//    No central list: each registrar adds itself to a static list at load; the addon entry runs
//    them all for every instance (main thread and each worker_thread).
//  - Arguments: arg_f32 / arg_i32 / arg_shape / arg_finite / arg_int / arg_bool / arg_enum validate
//    one argument and throw a TypeError/RangeError naming it, with expected vs given.
//  - Errors: every function registered through def()/def_job() runs inside a guard that maps C++
//    exceptions to JavaScript errors (map_exception); nothing escapes to crash the process.
//  - Async: def_job() registers a sync function `name` and an async twin `nameAsync` from one
//    "prepare" function that validates arguments and returns the work as a Job. The async twin takes
//    the same arguments plus a trailing cancel cell (Int32Array(1), or undefined), runs the Job on
//    the libuv pool and returns a Promise<void>. Every object argument is held by a reference until
//    the work completes, so the typed arrays it reads and writes stay alive.
//
// The binding does no math: it checks, converts and calls the core in native/.
#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "runtime/errors.h"

namespace convkit::binding {

// ---- registration ----------------------------------------------------------------------------
using RegisterFn = void (*)(Napi::Env env, Napi::Object exports);

struct Registrar {
  Registrar(const char* family, RegisterFn fn);
};
// Runs every registered family's function on exports (called by the addon entry).
void register_all(Napi::Env env, Napi::Object exports);

#define CONVKIT_BINDING_CAT2(a, b) a##b
#define CONVKIT_BINDING_CAT(a, b) CONVKIT_BINDING_CAT2(a, b)
// Defines the registration function of one family file: CONVKIT_BINDING(ops) { ... body ... }
// The body sees `Napi::Env env` and `Napi::Object exports`.
#define CONVKIT_BINDING(family)                                                                   \
  static void CONVKIT_BINDING_CAT(convkit_register_, family)(Napi::Env env, Napi::Object exports); \
  static const ::convkit::binding::Registrar CONVKIT_BINDING_CAT(convkit_registrar_, family)(       \
      #family, &CONVKIT_BINDING_CAT(convkit_register_, family));                                  \
  static void CONVKIT_BINDING_CAT(convkit_register_, family)(Napi::Env env, Napi::Object exports)

// ---- errors ---------------------------------------------------------------------------------
// Turns the exception in flight (std::current_exception) into a JavaScript error object:
//   Napi::Error              -> itself
//   convkit::InvalidArgument -> RangeError
//   convkit::Unsupported     -> Error, code 'ERR_CONVKIT_UNSUPPORTED'
//   convkit::Cancelled       -> Error named 'AbortError', code 'ABORT_ERR'
//   std::invalid_argument    -> RangeError
//   std::bad_alloc           -> RangeError, code 'ERR_CONVKIT_OUT_OF_MEMORY'
//   other std::exception     -> Error, code 'ERR_CONVKIT_INTERNAL'
Napi::Error map_exception(Napi::Env env, std::exception_ptr e);

[[noreturn]] void throw_type_error(Napi::Env env, const std::string& msg);
[[noreturn]] void throw_range_error(Napi::Env env, const std::string& msg);

// ---- function definition -----------------------------------------------------------------------
using Fn = Napi::Value (*)(const Napi::CallbackInfo& info);
// Exports fn as `name`, guarded: any C++ exception becomes a JS error (see map_exception).
void def(Napi::Env env, Napi::Object exports, const char* name, Fn fn);

// One unit of native work prepared from validated arguments. It must capture only plain data
// (pointers into typed arrays, sizes, options), never Napi values: it may run off the JS thread.
using Job = std::function<void(const CancelToken&)>;
using PrepareFn = Job (*)(const Napi::CallbackInfo& info);
// Exports `name` (runs the job now, returns undefined) and `name + "Async"` (the same `nargs`
// arguments, then the cancel cell at position nargs: an Int32Array(1) or undefined; returns a
// Promise<void> settled when the job has run on the libuv pool).
void def_job(Napi::Env env, Napi::Object exports, const char* name, std::size_t nargs, PrepareFn prepare);

// Runs `work` on the libuv thread pool and returns a Promise. `keep` values are referenced until
// completion. `done` (optional) builds the resolved value on the JS thread; without it the promise
// resolves to undefined. Exceptions from work or done reject the promise (map_exception).
Napi::Promise run_async(Napi::Env env, const std::vector<Napi::Value>& keep, std::function<void()> work,
                        std::function<Napi::Value(Napi::Env)> done = nullptr);

// ---- arguments ------------------------------------------------------------------------------
template <typename T>
struct ArrayArg {
  T* data = nullptr;
  std::size_t length = 0;
};
constexpr std::size_t kAnyLength = static_cast<std::size_t>(-1);

// Float32Array / Int32Array argument `name` at position i, of `expected` elements (or any).
ArrayArg<float> arg_f32(const Napi::CallbackInfo& info, std::size_t i, const char* name,
                        std::size_t expected = kAnyLength);
ArrayArg<std::int32_t> arg_i32(const Napi::CallbackInfo& info, std::size_t i, const char* name,
                               std::size_t expected = kAnyLength);
// A shape: an array of non-negative safe integers (Array or Int32Array), rank <= 8 by default.
std::vector<std::size_t> arg_shape(const Napi::CallbackInfo& info, std::size_t i, const char* name,
                                   std::size_t max_rank = 8);
// An array of integers (axes, permutations, ...) each in [lo, hi].
std::vector<std::int64_t> arg_int_list(const Napi::CallbackInfo& info, std::size_t i, const char* name,
                                       std::int64_t lo, std::int64_t hi);
// A finite number.
double arg_finite(const Napi::CallbackInfo& info, std::size_t i, const char* name);
// An integer in [lo, hi].
std::int64_t arg_int(const Napi::CallbackInfo& info, std::size_t i, const char* name, std::int64_t lo,
                     std::int64_t hi);
bool arg_bool(const Napi::CallbackInfo& info, std::size_t i, const char* name);
std::string arg_string(const Napi::CallbackInfo& info, std::size_t i, const char* name);
// A string that must be one of `names`; returns its index.
int arg_enum(const Napi::CallbackInfo& info, std::size_t i, const char* name,
             std::initializer_list<const char*> names);
// The optional cancel cell at position i: an Int32Array of length >= 1, or undefined/null.
CancelToken arg_cancel(const Napi::CallbackInfo& info, std::size_t i);

// Product of a shape's dimensions; RangeError naming `name` on overflow past 2^53.
std::size_t shape_size(Napi::Env env, const std::vector<std::size_t>& shape, const char* name);
std::string shape_string(const std::vector<std::size_t>& shape);

}  // namespace convkit::binding
