// Implementation of the binding framework declared in binding.h.
#include "binding/binding.h"
#include "binding/instance.h"

#include <cmath>
#include <cstring>
#include <new>
#include <sstream>
#include <stdexcept>

namespace convkit::binding {

// ---- registration ----------------------------------------------------------------------------
namespace {
struct Entry {
  const char* family;
  RegisterFn fn;
};
// Function-local static: registrars in other translation units run during static initialisation,
// in unspecified order, so the list must exist before the first of them.
std::vector<Entry>& registry() {
  static std::vector<Entry> list;
  return list;
}
}  // namespace

Registrar::Registrar(const char* family, RegisterFn fn) { registry().push_back({family, fn}); }

void register_all(Napi::Env env, Napi::Object exports) {
  Napi::Array families = Napi::Array::New(env);
  uint32_t k = 0;
  for (const Entry& e : registry()) {
    e.fn(env, exports);
    families.Set(k++, Napi::String::New(env, e.family));
  }
  exports.Set("bindingFamilies", families);
}

// ---- errors ---------------------------------------------------------------------------------
namespace {
Napi::Error with_code(Napi::Error err, const char* code) {
  err.Set("code", Napi::String::New(err.Env(), code));
  return err;
}
}  // namespace

Napi::Error map_exception(Napi::Env env, std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const Napi::Error& err) {
    return err;
  } catch (const convkit::InvalidArgument& err) {
    return Napi::RangeError::New(env, err.what());
  } catch (const convkit::Unsupported& err) {
    return with_code(Napi::Error::New(env, err.what()), "ERR_CONVKIT_UNSUPPORTED");
  } catch (const convkit::Cancelled& err) {
    Napi::Error out = with_code(Napi::Error::New(env, "The operation was aborted"), "ABORT_ERR");
    out.Set("name", Napi::String::New(env, "AbortError"));
    return out;
  } catch (const std::invalid_argument& err) {
    return Napi::RangeError::New(env, err.what());
  } catch (const std::bad_alloc&) {
    return with_code(Napi::RangeError::New(env, "convkit: out of memory (native allocation failed)"),
                     "ERR_CONVKIT_OUT_OF_MEMORY");
  } catch (const std::exception& err) {
    return with_code(Napi::Error::New(env, std::string("convkit internal error: ") + err.what()),
                     "ERR_CONVKIT_INTERNAL");
  } catch (...) {
    return with_code(Napi::Error::New(env, "convkit internal error: unknown native exception"),
                     "ERR_CONVKIT_INTERNAL");
  }
}

void throw_type_error(Napi::Env env, const std::string& msg) { throw Napi::TypeError::New(env, msg); }
void throw_range_error(Napi::Env env, const std::string& msg) { throw Napi::RangeError::New(env, msg); }

// ---- function definition -----------------------------------------------------------------------
void def(Napi::Env env, Napi::Object exports, const char* name, Fn fn) {
  exports.Set(name, Napi::Function::New(
                        env,
                        [fn](const Napi::CallbackInfo& info) -> Napi::Value {
                          try {
                            return fn(info);
                          } catch (...) {
                            throw map_exception(info.Env(), std::current_exception());
                          }
                        },
                        name));
}

namespace {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, std::function<void()> work, std::function<Napi::Value(Napi::Env)> done)
      : Napi::AsyncWorker(env, "convkit"),
        deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)),
        done_(std::move(done)) {}

  Napi::Promise promise() const { return deferred_.Promise(); }
  void keep(const Napi::Value& v) {
    if (v.IsObject()) refs_.push_back(Napi::Persistent(v.As<Napi::Object>()));
  }

 protected:
  void Execute() override {
    try {
      work_();
    } catch (...) {
      error_ = std::current_exception();
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    // If this environment is being torn down (a worker_thread terminated while the work ran),
    // settling the promise fails: there is nobody left to tell, so swallow rather than let an
    // exception escape the libuv completion callback (std::terminate).
    try {
      Napi::HandleScope scope(env);
      if (error_) {
        deferred_.Reject(map_exception(env, error_).Value());
        return;
      }
      try {
        deferred_.Resolve(done_ ? done_(env) : env.Undefined());
      } catch (const Napi::Error&) {
        throw;
      } catch (...) {
        deferred_.Reject(map_exception(env, std::current_exception()).Value());
      }
    } catch (...) {
    }
  }
  void OnError(const Napi::Error& e) override {
    try {
      deferred_.Reject(e.Value());
    } catch (...) {
    }
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::function<void()> work_;
  std::function<Napi::Value(Napi::Env)> done_;
  std::vector<Napi::ObjectReference> refs_;
  std::exception_ptr error_;
};

}  // namespace

Napi::Promise run_async(Napi::Env env, const std::vector<Napi::Value>& keep, std::function<void()> work,
                        std::function<Napi::Value(Napi::Env)> done) {
  auto* w = new PromiseWorker(env, std::move(work), std::move(done));
  for (const auto& v : keep) w->keep(v);
  Napi::Promise p = w->promise();
  w->Queue();  // the worker deletes itself after OnOK/OnError
  return p;
}

void def_job(Napi::Env env, Napi::Object exports, const char* name, std::size_t nargs, PrepareFn prepare) {
  exports.Set(name, Napi::Function::New(
                        env,
                        [prepare, name](const Napi::CallbackInfo& info) -> Napi::Value {
                          try {
                            Job job = prepare(info);
                            if (!record_if_active(info, job, name)) job(CancelToken{});
                            return info.Env().Undefined();
                          } catch (...) {
                            throw map_exception(info.Env(), std::current_exception());
                          }
                        },
                        name));
  std::string async_name = std::string(name) + "Async";
  exports.Set(async_name, Napi::Function::New(
                              env,
                              [prepare, nargs](const Napi::CallbackInfo& info) -> Napi::Value {
                                Napi::Env env = info.Env();
                                // Argument errors reject the promise rather than throw, as an async
                                // API should.
                                try {
                                  Job job = prepare(info);
                                  CancelToken token = arg_cancel(info, nargs);
                                  std::vector<Napi::Value> keep;
                                  for (std::size_t i = 0; i < info.Length(); ++i) keep.push_back(info[i]);
                                  return run_async(env, keep, [job = std::move(job), token] { job(token); });
                                } catch (...) {
                                  auto d = Napi::Promise::Deferred::New(env);
                                  d.Reject(map_exception(env, std::current_exception()).Value());
                                  return d.Promise();
                                }
                              },
                              async_name));
}

// ---- arguments ------------------------------------------------------------------------------
namespace {

std::string describe(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsBoolean()) return "boolean";
  if (v.IsNumber()) {
    std::ostringstream s;
    s << "number " << v.As<Napi::Number>().DoubleValue();
    return s.str();
  }
  if (v.IsString()) return "string '" + v.As<Napi::String>().Utf8Value() + "'";
  if (v.IsTypedArray()) {
    switch (v.As<Napi::TypedArray>().TypedArrayType()) {
      case napi_int8_array: return "Int8Array";
      case napi_uint8_array: return "Uint8Array";
      case napi_uint8_clamped_array: return "Uint8ClampedArray";
      case napi_int16_array: return "Int16Array";
      case napi_uint16_array: return "Uint16Array";
      case napi_int32_array: return "Int32Array";
      case napi_uint32_array: return "Uint32Array";
      case napi_float32_array: return "Float32Array";
      case napi_float64_array: return "Float64Array";
      default: return "a typed array";
    }
  }
  if (v.IsArray()) return "Array";
  if (v.IsFunction()) return "function";
  return "object";
}

Napi::Value at(const Napi::CallbackInfo& info, std::size_t i) {
  return i < info.Length() ? info[i] : info.Env().Undefined();
}

template <typename T>
ArrayArg<T> typed_arg(const Napi::CallbackInfo& info, std::size_t i, const char* name, std::size_t expected,
                      napi_typedarray_type type, const char* type_name) {
  Napi::Value v = at(info, i);
  // One napi_get_typedarray_info for type, length and data (already offset by the view's byte
  // offset). node-addon-api's TypedArrayType(), ElementLength(), ArrayBuffer().Data() and
  // ByteOffset() each query it again: 4-5 calls per array, the largest part of a small sgemm's
  // per-call cost (perf, 1x1x1 sgemm from JS: JSTypedArray::type + napi_get_typedarray_info 17%).
  napi_typedarray_type got_type = napi_int8_array;
  std::size_t length = 0;
  void* data = nullptr;
  napi_value buffer = nullptr;
  // (No separate napi_is_typedarray: napi_get_typedarray_info itself fails with napi_invalid_arg
  // on anything else, and the check was one more N-API call per array.)
  if (napi_get_typedarray_info(info.Env(), v, &got_type, &length, &data, &buffer, nullptr) != napi_ok ||
      got_type != type)
    throw_type_error(info.Env(), std::string("'") + name + "' must be a " + type_name + ", got " + describe(v));
  ArrayArg<T> out;
  out.length = length;
  if (expected != kAnyLength && out.length != expected) {
    std::string extra = Napi::ArrayBuffer(info.Env(), buffer).ByteLength() == 0 && expected != 0
                            ? " (its buffer is detached: was the tensor disposed?)"
                            : "";
    throw_range_error(info.Env(), std::string("'") + name + "' must have " + std::to_string(expected) +
                                      " elements, got " + std::to_string(out.length) + extra);
  }
  out.data = static_cast<T*>(data);
  return out;
}

double number_arg(const Napi::CallbackInfo& info, std::size_t i, const char* name, const char* what) {
  Napi::Value v = at(info, i);
  // One N-API call: napi_get_value_double fails with napi_number_expected on a non-number (no
  // separate napi_typeof; a small sgemm passes 10 numbers per call).
  double d = 0;
  if (napi_get_value_double(info.Env(), v, &d) != napi_ok)
    throw_type_error(info.Env(), std::string("'") + name + "' must be " + what + ", got " + describe(v));
  return d;
}

constexpr double kMaxSafe = 9007199254740991.0;  // 2^53 - 1

}  // namespace

ArrayArg<float> arg_f32(const Napi::CallbackInfo& info, std::size_t i, const char* name, std::size_t expected) {
  return typed_arg<float>(info, i, name, expected, napi_float32_array, "Float32Array");
}
ArrayArg<std::int32_t> arg_i32(const Napi::CallbackInfo& info, std::size_t i, const char* name,
                               std::size_t expected) {
  return typed_arg<std::int32_t>(info, i, name, expected, napi_int32_array, "Int32Array");
}

std::vector<std::int64_t> arg_int_list(const Napi::CallbackInfo& info, std::size_t i, const char* name,
                                       std::int64_t lo, std::int64_t hi) {
  Napi::Env env = info.Env();
  Napi::Value v = at(info, i);
  std::vector<std::int64_t> out;
  if (v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array) {
    auto a = arg_i32(info, i, name);
    out.assign(a.data, a.data + a.length);
  } else if (v.IsArray()) {
    Napi::Array a = v.As<Napi::Array>();
    for (uint32_t k = 0; k < a.Length(); ++k) {
      Napi::Value e = a.Get(k);
      double d = e.IsNumber() ? e.As<Napi::Number>().DoubleValue() : NAN;
      if (!(std::isfinite(d) && d == std::floor(d)))
        throw_type_error(env, std::string("'") + name + "[" + std::to_string(k) + "]' must be an integer, got " +
                                  describe(e));
      out.push_back(static_cast<std::int64_t>(d));
    }
  } else {
    throw_type_error(env, std::string("'") + name + "' must be an Array of integers or an Int32Array, got " +
                              describe(v));
  }
  for (std::size_t k = 0; k < out.size(); ++k)
    if (out[k] < lo || out[k] > hi)
      throw_range_error(env, std::string("'") + name + "[" + std::to_string(k) + "]' must be in [" +
                                 std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
                                 std::to_string(out[k]));
  return out;
}

std::vector<std::size_t> arg_shape(const Napi::CallbackInfo& info, std::size_t i, const char* name,
                                   std::size_t max_rank) {
  auto dims = arg_int_list(info, i, name, 0, static_cast<std::int64_t>(kMaxSafe));
  if (dims.size() > max_rank)
    throw_range_error(info.Env(), std::string("'") + name + "' must have rank <= " + std::to_string(max_rank) +
                                      ", got rank " + std::to_string(dims.size()));
  std::vector<std::size_t> out(dims.begin(), dims.end());
  shape_size(info.Env(), out, name);
  return out;
}

double arg_finite(const Napi::CallbackInfo& info, std::size_t i, const char* name) {
  double d = number_arg(info, i, name, "a finite number");
  if (!std::isfinite(d)) {
    std::ostringstream s;
    s << "'" << name << "' must be a finite number, got " << d;
    throw_range_error(info.Env(), s.str());
  }
  return d;
}

std::int64_t arg_int(const Napi::CallbackInfo& info, std::size_t i, const char* name, std::int64_t lo,
                     std::int64_t hi) {
  double d = number_arg(info, i, name, "an integer");
  if (!(std::isfinite(d) && d == std::floor(d)) || d < static_cast<double>(lo) || d > static_cast<double>(hi)) {
    std::ostringstream s;
    s << "'" << name << "' must be an integer in [" << lo << ", " << hi << "], got " << d;
    throw_range_error(info.Env(), s.str());
  }
  return static_cast<std::int64_t>(d);
}

bool arg_bool(const Napi::CallbackInfo& info, std::size_t i, const char* name) {
  Napi::Value v = at(info, i);
  bool b = false;  // (napi_boolean_expected on a non-boolean: one call, as in number_arg)
  if (napi_get_value_bool(info.Env(), v, &b) != napi_ok)
    throw_type_error(info.Env(), std::string("'") + name + "' must be a boolean, got " + describe(v));
  return b;
}

std::string arg_string(const Napi::CallbackInfo& info, std::size_t i, const char* name) {
  Napi::Value v = at(info, i);
  if (!v.IsString()) throw_type_error(info.Env(), std::string("'") + name + "' must be a string, got " + describe(v));
  return v.As<Napi::String>().Utf8Value();
}

int arg_enum(const Napi::CallbackInfo& info, std::size_t i, const char* name,
             std::initializer_list<const char*> names) {
  // Fast path without a std::string: the names are short identifiers, so a value that fits the
  // stack buffer is compared in place (every sgemm call passes its activation name).
  Napi::Value v = at(info, i);
  if (v.IsString()) {
    char buf[32];
    std::size_t len = 0;
    if (napi_get_value_string_utf8(info.Env(), v, buf, sizeof buf, &len) == napi_ok && len + 1 < sizeof buf &&
        std::strlen(buf) == len) {  // (no NUL inside the value)
      int k = 0;
      for (const char* n : names) {
        if (std::strcmp(buf, n) == 0) return k;
        ++k;
      }
    }
  }
  std::string s = arg_string(info, i, name);
  int k = 0;
  std::string list;
  for (const char* n : names) {
    if (s == n) return k;
    list += (k ? ", '" : "'") + std::string(n) + "'";
    ++k;
  }
  throw_range_error(info.Env(), std::string("'") + name + "' must be one of " + list + ", got '" + s + "'");
}

CancelToken arg_cancel(const Napi::CallbackInfo& info, std::size_t i) {
  Napi::Value v = at(info, i);
  if (v.IsUndefined() || v.IsNull()) return CancelToken{};
  auto cell = arg_i32(info, i, "cancel");
  if (cell.length < 1) throw_range_error(info.Env(), "'cancel' must have at least 1 element, got 0");
  return CancelToken{cell.data};
}

std::size_t shape_size(Napi::Env env, const std::vector<std::size_t>& shape, const char* name) {
  double n = 1;
  std::size_t s = 1;
  for (std::size_t d : shape) {
    n *= static_cast<double>(d);
    s *= d;
  }
  if (n > kMaxSafe) throw_range_error(env, std::string("'") + name + "' " + shape_string(shape) + " has too many elements");
  return s;
}

std::string shape_string(const std::vector<std::size_t>& shape) {
  std::string s = "[";
  for (std::size_t k = 0; k < shape.size(); ++k) s += (k ? "," : "") + std::to_string(shape[k]);
  return s + "]";
}

}  // namespace convkit::binding
