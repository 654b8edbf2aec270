// Convolution: validate + convert, then call native/conv. No math here.
//
// Every conv function takes `params`, 22 integers describing a ConvDesc (channels-last, 3-D; 1-D and
// 2-D callers pass unit depth/height):
//   [N, D, H, W, Cin, Cout, KD, KH, KW, SD, SH, SW, DD, DH, DW,
//    padFront, padBack, padTop, padBottom, padLeft, padRight, groups]
// Padding is explicit here; convGeometry() resolves 'valid' / 'same' (TF/Keras rule) and returns the
// output size, so TypeScript never re-implements the arithmetic.
//
// convForward / convBackwardInput / convBackwardFilter return the name of the algorithm that ran
// (never 'auto'); each has an async twin (…Async, trailing cancel cell) resolving to that name.
#include <memory>
#include <string>

#include "binding/binding.h"
#include "binding/conv_params.h"
#include "binding/instance.h"
#include "conv/conv.h"

namespace convkit::binding {
namespace {

constexpr std::size_t kParams = kConvParams;

ConvDesc desc_from(const Napi::CallbackInfo& info, std::size_t i) {
  auto p = arg_int_list(info, i, "params", 0, 1 << 30);
  if (p.size() != kParams)
    throw_range_error(info.Env(), "params: expected " + std::to_string(kParams) + " integers, got " +
                                      std::to_string(p.size()));
  ConvDesc d;
  conv_desc_from_params(p, d);
  d.finalize();  // InvalidArgument -> RangeError naming the field
  return d;
}

ConvAlgorithm algo_arg(const Napi::CallbackInfo& info, std::size_t i) {
  std::string s = arg_string(info, i, "algorithm");
  ConvAlgorithm a;
  if (!parse_conv_algorithm(s, &a))
    throw_range_error(info.Env(), "algorithm: expected 'auto' | 'direct' | 'im2col' | 'winograd' | 'winograd-f2' | "
                                  "'winograd-f4' | 'winograd-s2' | 'fft', got '" + s + "'");
  return a;
}

Activation act_arg(const Napi::CallbackInfo& info, std::size_t i) {
  int k = arg_enum(info, i, "activation", {"none", "relu", "relu6", "sigmoid", "tanh", "leakyRelu"});
  return static_cast<Activation>(k);
}

bool absent(const Napi::CallbackInfo& info, std::size_t i) {
  return i >= info.Length() || info[i].IsNull() || info[i].IsUndefined();
}

// A validated conv call: `run` executes it with a given (possibly auto) algorithm and returns the
// concrete one that ran.
struct ConvCall {
  ConvDesc d;
  ConvPass pass;
  ConvAlgorithm algorithm;
  std::function<ConvAlgorithm(ConvAlgorithm, const CancelToken&)> run;
};
using ConvPrepare = ConvCall (*)(const Napi::CallbackInfo&);

// `name` (sync, returns the algorithm name) and `nameAsync` (same args + cancel cell at nargs,
// Promise<string>), as def_job does for void jobs. While the environment records (deferred
// execution), the sync form queues the work with its algorithm decided now, so it can still return
// the name; only an autotune run that has to time the candidates runs at once (after the queue).
void def_conv_job(Napi::Env env, Napi::Object exports, const char* name, std::size_t nargs, ConvPrepare prepare) {
  exports.Set(name, Napi::Function::New(
                        env,
                        [prepare, name](const Napi::CallbackInfo& info) -> Napi::Value {
                          try {
                            ConvCall call = prepare(info);
                            if (instance(info.Env()).recording.active) {
                              ConvAlgorithm r = conv_resolve_algorithm(call.d, call.pass, call.algorithm);
                              if (r != ConvAlgorithm::auto_) {
                                Job job = [run = call.run, r](const CancelToken& c) { run(r, c); };
                                record_if_active(info, job, std::string(name) + "/" + conv_algorithm_name(r));
                                return Napi::String::New(info.Env(), conv_algorithm_name(r));
                              }
                              run_recorded_now(info.Env());
                            }
                            return Napi::String::New(info.Env(),
                                                     conv_algorithm_name(call.run(call.algorithm, CancelToken{})));
                          } catch (...) {
                            throw map_exception(info.Env(), std::current_exception());
                          }
                        },
                        name));
  std::string an = std::string(name) + "Async";
  exports.Set(an, Napi::Function::New(
                      env,
                      [prepare, nargs](const Napi::CallbackInfo& info) -> Napi::Value {
                        Napi::Env env = info.Env();
                        try {
                          ConvCall call = prepare(info);
                          CancelToken token = arg_cancel(info, nargs);
                          std::vector<Napi::Value> keep;
                          for (std::size_t i = 0; i < info.Length(); ++i) keep.push_back(info[i]);
                          auto ran = std::make_shared<ConvAlgorithm>(ConvAlgorithm::auto_);
                          return run_async(
                              env, keep, [call, token, ran] { *ran = call.run(call.algorithm, token); },
                              [ran](Napi::Env e) -> Napi::Value { return Napi::String::New(e, conv_algorithm_name(*ran)); });
                        } catch (...) {
                          auto d = Napi::Promise::Deferred::New(env);
                          d.Reject(map_exception(env, std::current_exception()).Value());
                          return d.Promise();
                        }
                      },
                      an));
}

// convForward(params, x, w, bias|null, y, algorithm, activation, leakyAlpha)
ConvCall prepare_forward(const Napi::CallbackInfo& info) {
  ConvDesc d = desc_from(info, 0);
  auto x = arg_f32(info, 1, "x", d.input_size());
  auto w = arg_f32(info, 2, "filter", d.filter_size());
  ArrayArg<float> b;
  if (!absent(info, 3)) {
    b = arg_f32(info, 3, "bias", d.K);
    d.has_bias = true;
  }
  auto y = arg_f32(info, 4, "y", d.output_size());
  ConvAlgorithm a = algo_arg(info, 5);
  d.act = act_arg(info, 6);
  d.leaky_alpha = static_cast<float>(arg_finite(info, 7, "leakyAlpha"));
  return {d, ConvPass::forward, a,
          [=](ConvAlgorithm alg, const CancelToken& c) { return conv_forward(d, alg, x.data, w.data, b.data, y.data, c); }};
}

// convBackwardInput(params, dy, w, dx, algorithm)
ConvCall prepare_dgrad(const Napi::CallbackInfo& info) {
  ConvDesc d = desc_from(info, 0);
  auto dy = arg_f32(info, 1, "dy", d.output_size());
  auto w = arg_f32(info, 2, "filter", d.filter_size());
  auto dx = arg_f32(info, 3, "dx", d.input_size());
  ConvAlgorithm a = algo_arg(info, 4);
  return {d, ConvPass::dgrad, a,
          [=](ConvAlgorithm alg, const CancelToken& c) { return conv_dgrad(d, alg, dy.data, w.data, dx.data, c); }};
}

// convBackwardFilter(params, x, dy, dw, dbias|null, algorithm)
ConvCall prepare_wgrad(const Napi::CallbackInfo& info) {
  ConvDesc d = desc_from(info, 0);
  auto x = arg_f32(info, 1, "x", d.input_size());
  auto dy = arg_f32(info, 2, "dy", d.output_size());
  auto dw = arg_f32(info, 3, "dFilter", d.filter_size());
  ArrayArg<float> db;
  if (!absent(info, 4)) db = arg_f32(info, 4, "dBias", d.K);
  ConvAlgorithm a = algo_arg(info, 5);
  return {d, ConvPass::wgrad, a, [=](ConvAlgorithm alg, const CancelToken& c) {
            return conv_wgrad(d, alg, x.data, dy.data, dw.data, db.data, c);
          }};
}

// convGeometry(params, padding: 'valid'|'same'|'explicit') -> [OD, OH, OW, pf, pb, pt, pb, pl, pr]
Napi::Value conv_geometry(const Napi::CallbackInfo& info) {
  int mode = arg_enum(info, 1, "padding", {"valid", "same", "explicit"});
  auto p = arg_int_list(info, 0, "params", 0, 1 << 30);
  if (p.size() != kParams) throw_range_error(info.Env(), "params: expected 22 integers");
  ConvDesc d;
  conv_desc_from_params(p, d);
  apply_padding(d, static_cast<Padding>(mode));
  Napi::Array r = Napi::Array::New(info.Env(), 9);
  for (uint32_t i = 0; i < 3; ++i) {
    r.Set(i, static_cast<double>(d.out[i]));
    r.Set(3 + 2 * i, static_cast<double>(d.pad_before[i]));
    r.Set(4 + 2 * i, static_cast<double>(d.pad_after[i]));
  }
  return r;
}

// convSelectAlgorithm(params, pass: 'forward'|'backwardInput'|'backwardFilter') -> the cost model's choice
Napi::Value conv_select(const Napi::CallbackInfo& info) {
  ConvDesc d = desc_from(info, 0);
  int pass = arg_enum(info, 1, "pass", {"forward", "backwardInput", "backwardFilter"});
  return Napi::String::New(info.Env(), conv_algorithm_name(select_conv_algorithm(d, static_cast<ConvPass>(pass))));
}

// convUnsupportedReason(params, pass, algorithm) -> '' or why the algorithm cannot run it
Napi::Value conv_unsupported(const Napi::CallbackInfo& info) {
  ConvDesc d = desc_from(info, 0);
  int pass = arg_enum(info, 1, "pass", {"forward", "backwardInput", "backwardFilter"});
  ConvAlgorithm a = algo_arg(info, 2);
  return Napi::String::New(info.Env(), conv_unsupported_reason(d, static_cast<ConvPass>(pass), a));
}

Napi::Value autotune_set(const Napi::CallbackInfo& info) {
  set_conv_autotune(arg_bool(info, 0, "enabled"));
  return info.Env().Undefined();
}
Napi::Value autotune_get(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), conv_autotune()); }
Napi::Value autotune_clear(const Napi::CallbackInfo& info) {
  conv_autotune_clear();
  return info.Env().Undefined();
}
Napi::Value autotune_size(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(conv_autotune_size()));
}
Napi::Value autotune_save(const Napi::CallbackInfo& info) {
  conv_autotune_save(arg_string(info, 0, "path"));
  return info.Env().Undefined();
}
Napi::Value autotune_load(const Napi::CallbackInfo& info) {
  conv_autotune_load(arg_string(info, 0, "path"));
  return info.Env().Undefined();
}

}  // namespace

CONVKIT_BINDING(conv) {
  def_conv_job(env, exports, "convForward", 8, &prepare_forward);
  def_conv_job(env, exports, "convBackwardInput", 5, &prepare_dgrad);
  def_conv_job(env, exports, "convBackwardFilter", 6, &prepare_wgrad);
  def(env, exports, "convGeometry", &conv_geometry);
  def(env, exports, "convSelectAlgorithm", &conv_select);
  def(env, exports, "convUnsupportedReason", &conv_unsupported);
  def(env, exports, "convSetAutotune", &autotune_set);
  def(env, exports, "convGetAutotune", &autotune_get);
  def(env, exports, "convAutotuneClear", &autotune_clear);
  def(env, exports, "convAutotuneSize", &autotune_size);
  def(env, exports, "convAutotuneSave", &autotune_save);
  def(env, exports, "convAutotuneLoad", &autotune_load);
}

}  // namespace convkit::binding
