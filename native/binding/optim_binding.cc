// N-API glue of the optimizer family (native/optim): validates and converts, then calls
// optimizer_step. No math here.
//
//   optimizerStep(config, params, grads, states, iterations, uProduct)        -> undefined
//   optimizerStepAsync(config, params, grads, states, iterations, uProduct, cancel?) -> Promise<void>
//     config      {kind: 'sgd'|'adam'|'adamw'|'rmsprop'|'adagrad'|'adadelta'|'nadam', learningRate,
//                  beta1, beta2, epsilon, momentum, rho, weightDecay, nesterov, amsgrad, centered,
//                  clipNorm, globalClipNorm, clipValue}  (missing numbers/flags take the core defaults)
//     params      Float32Array[]  updated in place
//     grads       Float32Array[]  same lengths as params
//     states      Float32Array[]  optimizerStateCount(config) buffers per parameter, parameter-major
//     iterations  the optimizer's step counter before this step (Keras `iterations`)
//     uProduct    Float64Array(1): Nadam's running momentum product, updated in place (any other kind
//                 ignores it; may be undefined then)
//   optimizerStateCount(config) -> number
#include <cmath>
#include <string>
#include <vector>

#include "binding/binding.h"
#include "optim/optimizer.h"

namespace convkit::binding {
namespace {

constexpr const char* kKinds[] = {"sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "nadam"};

float num_prop(Napi::Env env, Napi::Object o, const char* key, float dflt) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return dflt;
  if (!v.IsNumber()) throw_type_error(env, std::string("config.") + key + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) throw_range_error(env, std::string("config.") + key + " must be finite, got " + std::to_string(d));
  return static_cast<float>(d);
}
bool bool_prop(Napi::Env env, Napi::Object o, const char* key) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return false;
  if (!v.IsBoolean()) throw_type_error(env, std::string("config.") + key + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

OptimConfig parse_config(const Napi::CallbackInfo& info, std::size_t i) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || !info[i].IsObject()) throw_type_error(env, "'config' must be an object");
  Napi::Object o = info[i].As<Napi::Object>();
  OptimConfig c;
  Napi::Value k = o.Get("kind");
  if (!k.IsString()) throw_type_error(env, "config.kind must be a string");
  std::string kind = k.As<Napi::String>().Utf8Value();
  int idx = -1;
  for (int j = 0; j < kOptimKindCount; ++j)
    if (kind == kKinds[j]) idx = j;
  if (idx < 0) throw_range_error(env, "config.kind must be one of sgd, adam, adamw, rmsprop, adagrad, adadelta, nadam; got '" + kind + "'");
  c.kind = static_cast<OptimKind>(idx);
  c.learning_rate = num_prop(env, o, "learningRate", c.learning_rate);
  c.beta_1 = num_prop(env, o, "beta1", c.beta_1);
  c.beta_2 = num_prop(env, o, "beta2", c.beta_2);
  c.epsilon = num_prop(env, o, "epsilon", c.epsilon);
  c.momentum = num_prop(env, o, "momentum", c.momentum);
  c.rho = num_prop(env, o, "rho", c.rho);
  c.weight_decay = num_prop(env, o, "weightDecay", 0.f);
  c.nesterov = bool_prop(env, o, "nesterov");
  c.amsgrad = bool_prop(env, o, "amsgrad");
  c.centered = bool_prop(env, o, "centered");
  c.clip_norm = num_prop(env, o, "clipNorm", 0.f);
  c.global_clip_norm = num_prop(env, o, "globalClipNorm", 0.f);
  c.clip_value = num_prop(env, o, "clipValue", 0.f);
  return c;
}

std::vector<float*> f32_list(const Napi::CallbackInfo& info, std::size_t i, const char* name, std::vector<std::size_t>* lens) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || !info[i].IsArray()) throw_type_error(env, std::string("'") + name + "' must be an array of Float32Array");
  Napi::Array a = info[i].As<Napi::Array>();
  std::vector<float*> out(a.Length());
  lens->resize(a.Length());
  for (uint32_t k = 0; k < a.Length(); ++k) {
    Napi::Value v = a.Get(k);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      throw_type_error(env, std::string("'") + name + "[" + std::to_string(k) + "]' must be a Float32Array");
    Napi::Float32Array f = v.As<Napi::Float32Array>();
    out[k] = f.Data();
    (*lens)[k] = f.ElementLength();
  }
  return out;
}

Job prepare_step(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  OptimConfig c = parse_config(info, 0);
  std::vector<std::size_t> pl, gl, sl;
  std::vector<float*> params = f32_list(info, 1, "params", &pl);
  std::vector<float*> grads = f32_list(info, 2, "grads", &gl);
  std::vector<float*> states = f32_list(info, 3, "states", &sl);
  const std::size_t n = params.size();
  if (grads.size() != n)
    throw_range_error(env, "'grads' must have one array per parameter: expected " + std::to_string(n) + ", got " + std::to_string(grads.size()));
  const std::size_t ns = static_cast<std::size_t>(optim_state_count(c));
  if (states.size() != n * ns)
    throw_range_error(env, "'states' must hold " + std::to_string(ns) + " arrays per parameter for " + kKinds[static_cast<int>(c.kind)] +
                               ": expected " + std::to_string(n * ns) + ", got " + std::to_string(states.size()));
  std::vector<ParamSlot> slots(n);
  for (std::size_t k = 0; k < n; ++k) {
    if (gl[k] != pl[k])
      throw_range_error(env, "'grads[" + std::to_string(k) + "]' must have " + std::to_string(pl[k]) + " elements like params[" +
                                 std::to_string(k) + "], got " + std::to_string(gl[k]));
    slots[k].param = params[k];
    slots[k].grad = grads[k];
    slots[k].n = pl[k];
    for (std::size_t j = 0; j < ns; ++j) {
      if (sl[k * ns + j] != pl[k])
        throw_range_error(env, "'states[" + std::to_string(k * ns + j) + "]' must have " + std::to_string(pl[k]) + " elements, got " +
                                   std::to_string(sl[k * ns + j]));
      slots[k].state[j] = states[k * ns + j];
    }
  }
  const std::int64_t iterations = arg_int(info, 4, "iterations", 0, (std::int64_t{1} << 53));
  double* u_product = nullptr;
  if (info.Length() > 5 && !info[5].IsUndefined() && !info[5].IsNull()) {
    Napi::Value v = info[5];
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
        v.As<Napi::TypedArray>().ElementLength() < 1)
      throw_type_error(env, "'uProduct' must be a Float64Array(1)");
    u_product = v.As<Napi::Float64Array>().Data();
  }
  if (c.kind == OptimKind::nadam && !u_product) throw_type_error(env, "'uProduct' (Float64Array(1)) is required for nadam");
  return [c, slots = std::move(slots), iterations, u_product](const CancelToken&) {
    optimizer_step(c, slots.data(), slots.size(), iterations, u_product);
  };
}

Napi::Value state_count(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), optim_state_count(parse_config(info, 0)));
}

}  // namespace

CONVKIT_BINDING(optim) {
  def_job(env, exports, "optimizerStep", 6, &prepare_step);
  def(env, exports, "optimizerStateCount", &state_count);
}

}  // namespace convkit::binding
