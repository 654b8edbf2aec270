// Inference plans (native/plan): descriptors in, an opaque plan handle out; runs sync and async.
// No math here: this file checks and converts the descriptors lib/plan builds, then calls the core.
//
//   planCreate(values, inputs, outputs, steps) -> handle
//     values:  number[][]   shape of every value (batch first)
//     inputs, outputs: number[]   value ids
//     steps:   { kind, name, inputs: number[], output: number, params?: number[], alpha?: number,
//                epsilon?: number, algorithm?: string, activation?: string, op?: string,
//                padding?: 'valid'|'same'|'explicit', poolKind?: 'max'|'avg',
//                weights?: (Float32Array|null)[] }[]
//     params per kind: conv 22 ints (conv_binding.cc layout), dense [K, N], pool 17 ints
//     (pool_binding.cc layout), zeroPad [front, back, top, bottom, left, right], softmax/concat [axis].
//   planRun(handle, inputs: Float32Array[], outputs: Float32Array[]) and
//   planRunAsync(handle, inputs, outputs, cancel) -> Promise<void> (libuv pool; the plan's steps
//     use the core thread pool inside)
//   planRunBatch(handle, n, inputs, outputs) and planRunBatchAsync(handle, n, inputs, outputs, cancel):
//     the first n samples (1 <= n <= the plan's batch; buffers of n samples), Plan::run_batch
//   planSetSampleParallel(handle, on): allow (default) / forbid sample-parallel runs (Plan::set_sample_parallel)
//   planSetSerial(handle, on): runs on the calling thread only (Plan::set_serial)
//   planSetSmallRunFlops(handle, flops): runs estimated below `flops` stay on the calling thread
//     (Plan::set_small_run_flops; 0 = any run may use the pool)
//   planLastRunSeconds(handle) -> wall time of the last completed run (Plan::last_run_seconds)
//   planProfile(handle, on?) -> { seconds: number[], runs: number[] } per-step timing totals
//   planWeightsCreate() -> weights handle: prepared weights shared by the plans created with it
//     (planCreate's optional 5th argument), e.g. one model's plans for several batch sizes.
//   planInfo(handle) -> { arenaBytes, workspaceBytes, weightBytes, newWeightBytes, unsharedBytes, batch,
//                         runtimeBatch, sampleParallelChunks, workFlops, inputShapes, outputShapes,
//                         steps: { name, kind, detail }[] }
//
// The handle is a type-tagged External owning a shared_ptr<Plan>: an async run holds its own
// reference, so a plan collected (or its JS owner dropped) during a run stays alive until it ends.
// Its arena and weights are reported to V8 as external memory so the GC sees what a plan costs.
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "binding/binding.h"
#include "binding/conv_params.h"
#include "plan/plan.h"

namespace convkit::binding {
namespace {

using PlanPtr = std::shared_ptr<Plan>;

const napi_type_tag kPlanTag = {0x636f6e766b697470ULL, 0x6c616e5f76310001ULL};  // "convkitplan_v1"
const napi_type_tag kWeightsTag = {0x636f6e766b697470ULL, 0x6c616e5f77740001ULL};  // "convkitplan_wt"

using WeightsPtr = std::shared_ptr<PlanWeights>;

struct Holder {
  PlanPtr plan;
  std::int64_t bytes;
};

std::string at(const std::string& where, const char* field) { return where + "." + field; }

Napi::Value prop(const Napi::Object& o, const char* key) { return o.Get(key); }

bool missing(const Napi::Value& v) { return v.IsUndefined() || v.IsNull(); }

std::int64_t to_int(Napi::Env env, const Napi::Value& v, const std::string& what, std::int64_t lo, std::int64_t hi) {
  if (!v.IsNumber()) throw_type_error(env, what + ": expected an integer, got " + (v.IsString() ? "a string" : "a non-number"));
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d == static_cast<double>(static_cast<std::int64_t>(d))) || d < static_cast<double>(lo) || d > static_cast<double>(hi))
    throw_range_error(env, what + ": expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                               "], got " + Napi::Number::New(env, d).ToString().Utf8Value());
  return static_cast<std::int64_t>(d);
}

double to_finite(Napi::Env env, const Napi::Value& v, const std::string& what) {
  if (!v.IsNumber()) throw_type_error(env, what + ": expected a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) throw_range_error(env, what + ": expected a finite number");
  return d;
}

std::string to_string(Napi::Env env, const Napi::Value& v, const std::string& what) {
  if (!v.IsString()) throw_type_error(env, what + ": expected a string");
  return v.As<Napi::String>().Utf8Value();
}

std::vector<std::int64_t> to_int_list(Napi::Env env, const Napi::Value& v, const std::string& what, std::int64_t lo,
                                      std::int64_t hi) {
  if (!v.IsArray()) throw_type_error(env, what + ": expected an array of integers");
  auto a = v.As<Napi::Array>();
  std::vector<std::int64_t> r(a.Length());
  for (uint32_t i = 0; i < a.Length(); ++i) r[i] = to_int(env, a.Get(i), what + "[" + std::to_string(i) + "]", lo, hi);
  return r;
}

std::vector<std::size_t> to_ids(Napi::Env env, const Napi::Value& v, const std::string& what) {
  auto l = to_int_list(env, v, what, 0, 1 << 30);
  return std::vector<std::size_t>(l.begin(), l.end());
}

int to_enum(Napi::Env env, const Napi::Value& v, const std::string& what, std::initializer_list<const char*> names) {
  std::string s = to_string(env, v, what);
  int i = 0;
  std::string list;
  for (const char* n : names) {
    if (s == n) return i;
    list += (i ? " | '" : "'") + std::string(n) + "'";
    ++i;
  }
  throw_range_error(env, what + ": expected " + list + ", got '" + s + "'");
}

void expect_params(Napi::Env env, const std::vector<std::int64_t>& p, std::size_t n, const std::string& what) {
  if (p.size() != n)
    throw_range_error(env, what + ": expected " + std::to_string(n) + " integers, got " + std::to_string(p.size()));
}

PlanStepSpec step_from(Napi::Env env, const Napi::Value& v, const std::string& where) {
  if (!v.IsObject()) throw_type_error(env, where + ": expected a step object");
  auto o = v.As<Napi::Object>();
  PlanStepSpec s;
  std::string kind = to_string(env, prop(o, "kind"), at(where, "kind"));
  if (!parse_plan_step_kind(kind, &s.kind))
    throw_range_error(env, at(where, "kind") + ": unknown step kind '" + kind + "'");
  s.name = missing(prop(o, "name")) ? kind : to_string(env, prop(o, "name"), at(where, "name"));
  s.inputs = to_ids(env, prop(o, "inputs"), at(where, "inputs"));
  s.output = static_cast<std::size_t>(to_int(env, prop(o, "output"), at(where, "output"), 0, 1 << 30));
  std::vector<std::int64_t> p;
  if (!missing(prop(o, "params"))) p = to_int_list(env, prop(o, "params"), at(where, "params"), 0, 1 << 30);
  auto u = [&](std::size_t k) { return static_cast<std::size_t>(p[k]); };
  auto act = [&] {
    if (!missing(prop(o, "activation")))
      s.act = static_cast<Activation>(to_enum(env, prop(o, "activation"), at(where, "activation"),
                                              {"none", "relu", "relu6", "sigmoid", "tanh", "leakyRelu"}));
    if (!missing(prop(o, "alpha"))) s.act_alpha = static_cast<float>(to_finite(env, prop(o, "alpha"), at(where, "alpha")));
  };
  auto padding = [&] {
    s.padding = missing(prop(o, "padding")) ? Padding::explicit_
                                            : static_cast<Padding>(to_enum(env, prop(o, "padding"), at(where, "padding"),
                                                                           {"valid", "same", "explicit"}));
  };
  switch (s.kind) {
    case PlanStepKind::conv: {
      expect_params(env, p, 22, at(where, "params"));
      ConvDesc& d = s.conv;
      conv_desc_from_params(p, d);
      padding();
      act();
      d.act = s.act;
      d.leaky_alpha = s.act_alpha;
      if (!missing(prop(o, "algorithm"))) {
        std::string a = to_string(env, prop(o, "algorithm"), at(where, "algorithm"));
        if (!parse_conv_algorithm(a, &s.algorithm))
          throw_range_error(env, at(where, "algorithm") + ": expected 'auto' | 'direct' | 'im2col' | 'winograd' | "
                                                          "'winograd-f2' | 'winograd-f4' | 'winograd-s2' | 'fft', got '" + a + "'");
      }
      break;
    }
    case PlanStepKind::dense:
      expect_params(env, p, 2, at(where, "params"));
      s.dense_k = u(0);
      s.dense_n = u(1);
      act();
      break;
    case PlanStepKind::pool:
      expect_params(env, p, 17, at(where, "params"));
      s.pool.N = u(0);
      s.pool.in = {u(1), u(2), u(3)};
      s.pool.C = u(4);
      s.pool.window = {u(5), u(6), u(7)};
      s.pool.stride = {u(8), u(9), u(10)};
      s.pool.pad_before = {u(11), u(13), u(15)};
      s.pool.pad_after = {u(12), u(14), u(16)};
      padding();
      [[fallthrough]];
    case PlanStepKind::global_pool:
      s.pool_kind = static_cast<PoolKind>(to_enum(env, prop(o, "poolKind"), at(where, "poolKind"), {"max", "avg"}));
      break;
    case PlanStepKind::zero_pad:
      expect_params(env, p, 6, at(where, "params"));
      s.pad_before = {u(0), u(2), u(4)};
      s.pad_after = {u(1), u(3), u(5)};
      break;
    case PlanStepKind::batch_norm:
      s.epsilon = to_finite(env, prop(o, "epsilon"), at(where, "epsilon"));
      break;
    case PlanStepKind::unary:
      s.unary = static_cast<UnaryOp>(to_enum(env, prop(o, "op"), at(where, "op"),
                                             {"relu", "relu6", "leakyRelu", "elu", "sigmoid", "tanh", "exp", "log",
                                              "neg", "abs", "sqrt", "square", "softplus", "swish", "reciprocal"}));
      if (!missing(prop(o, "alpha"))) s.unary_alpha = static_cast<float>(to_finite(env, prop(o, "alpha"), at(where, "alpha")));
      break;
    case PlanStepKind::softmax:
    case PlanStepKind::concat:
      expect_params(env, p, 1, at(where, "params"));
      s.axis = u(0);
      break;
    default: break;
  }
  auto wv = prop(o, "weights");
  if (!missing(wv)) {
    if (!wv.IsArray()) throw_type_error(env, at(where, "weights") + ": expected an array of Float32Array (or null)");
    auto wa = wv.As<Napi::Array>();
    for (uint32_t i = 0; i < wa.Length(); ++i) {
      Napi::Value e = wa.Get(i);
      std::string what = at(where, "weights") + "[" + std::to_string(i) + "]";
      if (missing(e)) {
        s.weights.push_back(PlanWeight{});
        continue;
      }
      if (!e.IsTypedArray() || e.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
        throw_type_error(env, what + ": expected a Float32Array or null");
      auto f = e.As<Napi::Float32Array>();
      s.weights.push_back(PlanWeight{f.Data(), f.ElementLength()});
    }
  }
  // A conv's bias is its optional second weight array.
  if (s.kind == PlanStepKind::conv) s.conv.has_bias = s.weights.size() >= 2 && s.weights[1].size > 0;
  return s;
}

Napi::Value plan_weights_create(const Napi::CallbackInfo& info) {
  auto ext = Napi::External<WeightsPtr>::New(info.Env(), new WeightsPtr(std::make_shared<PlanWeights>()),
                                             [](Napi::Env, WeightsPtr* p) { delete p; });
  ext.TypeTag(&kWeightsTag);
  return ext;
}

// planCreate(values, inputs, outputs, steps, weights?)
Napi::Value plan_create(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PlanSpec spec;
  if (info.Length() < 4) throw_type_error(env, "planCreate: expected (values, inputs, outputs, steps)");
  if (!info[0].IsArray()) throw_type_error(env, "values: expected an array of shapes");
  auto va = info[0].As<Napi::Array>();
  for (uint32_t i = 0; i < va.Length(); ++i) {
    auto l = to_int_list(env, va.Get(i), "values[" + std::to_string(i) + "]", 0, (std::int64_t{1} << 40));
    spec.values.emplace_back(l.begin(), l.end());
  }
  spec.inputs = to_ids(env, info[1], "inputs");
  spec.outputs = to_ids(env, info[2], "outputs");
  if (!info[3].IsArray()) throw_type_error(env, "steps: expected an array of step objects");
  auto sa = info[3].As<Napi::Array>();
  for (uint32_t i = 0; i < sa.Length(); ++i) spec.steps.push_back(step_from(env, sa.Get(i), "steps[" + std::to_string(i) + "]"));
  WeightsPtr shared;
  if (info.Length() > 4 && !info[4].IsUndefined() && !info[4].IsNull()) {
    if (!info[4].IsExternal() || !info[4].As<Napi::External<WeightsPtr>>().CheckTypeTag(&kWeightsTag))
      throw_type_error(env, "weights: expected a handle from planWeightsCreate() (or undefined)");
    shared = *info[4].As<Napi::External<WeightsPtr>>().Data();
  }
  auto plan = std::make_shared<Plan>(spec, shared);  // InvalidArgument -> RangeError naming the step
  // What this plan added to memory (weights reused from `shared` were counted by their first plan).
  auto bytes = static_cast<std::int64_t>(plan->arena_bytes() + plan->new_weight_bytes());
  auto* h = new Holder{std::move(plan), bytes};
  auto ext = Napi::External<Holder>::New(env, h, [](Napi::Env e, Holder* p) {
    Napi::MemoryManagement::AdjustExternalMemory(e, -p->bytes);
    delete p;
  });
  ext.TypeTag(&kPlanTag);
  Napi::MemoryManagement::AdjustExternalMemory(env, bytes);
  return ext;
}

PlanPtr plan_arg(const Napi::CallbackInfo& info, std::size_t i) {
  Napi::Value v = i < info.Length() ? info[i] : info.Env().Undefined();
  if (!v.IsExternal() || !v.As<Napi::External<Holder>>().CheckTypeTag(&kPlanTag))
    throw_type_error(info.Env(), "plan: expected a plan handle from planCreate()");
  return v.As<Napi::External<Holder>>().Data()->plan;
}

// `batch` (0 = the plan's own): the leading dimension the buffers are checked against.
std::vector<float*> buffers(const Napi::CallbackInfo& info, std::size_t i, const char* name, std::size_t n,
                            const std::function<const Shape&(std::size_t)>& shape_of, std::size_t batch = 0) {
  Napi::Env env = info.Env();
  if (i >= info.Length() || !info[i].IsArray()) throw_type_error(env, std::string(name) + ": expected an array of Float32Array");
  auto a = info[i].As<Napi::Array>();
  if (a.Length() != n)
    throw_range_error(env, std::string(name) + ": expected " + std::to_string(n) + " arrays, got " + std::to_string(a.Length()));
  std::vector<float*> r(n);
  for (uint32_t k = 0; k < n; ++k) {
    Napi::Value e = a.Get(k);
    std::string what = std::string(name) + "[" + std::to_string(k) + "]";
    if (!e.IsTypedArray() || e.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      throw_type_error(env, what + ": expected a Float32Array");
    auto f = e.As<Napi::Float32Array>();
    Shape shape = shape_of(k);
    if (batch) shape[0] = batch;
    std::size_t want = shape_numel(shape);
    if (f.ElementLength() != want)
      throw_range_error(env, what + ": expected " + std::to_string(want) + " floats (shape " + shape_str(shape) +
                                 "), got " + std::to_string(f.ElementLength()));
    r[k] = f.Data();
  }
  return r;
}

// planRun(plan, inputs, outputs)
Job prepare_plan_run(const Napi::CallbackInfo& info) {
  PlanPtr plan = plan_arg(info, 0);
  auto ins = buffers(info, 1, "inputs", plan->num_inputs(), [&](std::size_t k) -> const Shape& { return plan->input_shape(k); });
  auto outs = buffers(info, 2, "outputs", plan->num_outputs(), [&](std::size_t k) -> const Shape& { return plan->output_shape(k); });
  for (float* o : outs)
    for (float* x : ins)
      if (o == x) throw_range_error(info.Env(), "outputs: an output buffer may not be an input buffer");
  std::vector<const float*> cins(ins.begin(), ins.end());
  return [plan, cins, outs](const CancelToken& cancel) { plan->run(cins, outs, cancel); };
}

// planRunBatch(plan, n, inputs, outputs): the first n samples (Plan::run_batch); buffers of n samples.
Job prepare_plan_run_batch(const Napi::CallbackInfo& info) {
  PlanPtr plan = plan_arg(info, 0);
  Napi::Env env = info.Env();
  auto n = static_cast<std::size_t>(to_int(env, info[1], "n", 1, 1 << 30));
  if (n > plan->batch() || (n < plan->batch() && !plan->runtime_batch()))
    throw_range_error(env, "n: the plan was built for batch " + std::to_string(plan->batch()) +
                               (plan->runtime_batch() ? " and runs 1.." + std::to_string(plan->batch())
                                                      : " and runs that batch only") +
                               ", got " + std::to_string(n));
  auto ins = buffers(info, 2, "inputs", plan->num_inputs(), [&](std::size_t k) -> const Shape& { return plan->input_shape(k); }, n);
  auto outs = buffers(info, 3, "outputs", plan->num_outputs(), [&](std::size_t k) -> const Shape& { return plan->output_shape(k); }, n);
  for (float* o : outs)
    for (float* x : ins)
      if (o == x) throw_range_error(env, "outputs: an output buffer may not be an input buffer");
  std::vector<const float*> cins(ins.begin(), ins.end());
  return [plan, n, cins, outs](const CancelToken& cancel) { plan->run_batch(n, cins, outs, cancel); };
}

Napi::Value shape_value(Napi::Env env, const Shape& s) {
  auto a = Napi::Array::New(env, s.size());
  for (uint32_t i = 0; i < s.size(); ++i) a.Set(i, static_cast<double>(s[i]));
  return a;
}

Napi::Value plan_info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PlanPtr plan = plan_arg(info, 0);
  auto r = Napi::Object::New(env);
  r.Set("arenaBytes", static_cast<double>(plan->arena_bytes()));
  r.Set("workspaceBytes", static_cast<double>(plan->workspace_bytes()));
  r.Set("weightBytes", static_cast<double>(plan->weight_bytes()));
  r.Set("newWeightBytes", static_cast<double>(plan->new_weight_bytes()));
  r.Set("unsharedBytes", static_cast<double>(plan->unshared_bytes()));
  r.Set("batch", static_cast<double>(plan->batch()));
  r.Set("runtimeBatch", plan->runtime_batch());
  r.Set("sampleParallelChunks", static_cast<double>(plan->sample_parallel_chunks()));
  r.Set("workFlops", plan->work_flops());
  auto ins = Napi::Array::New(env, plan->num_inputs());
  for (uint32_t i = 0; i < plan->num_inputs(); ++i) ins.Set(i, shape_value(env, plan->input_shape(i)));
  auto outs = Napi::Array::New(env, plan->num_outputs());
  for (uint32_t i = 0; i < plan->num_outputs(); ++i) outs.Set(i, shape_value(env, plan->output_shape(i)));
  r.Set("inputShapes", ins);
  r.Set("outputShapes", outs);
  auto d = plan->describe();
  auto steps = Napi::Array::New(env, d.size());
  for (uint32_t i = 0; i < d.size(); ++i) {
    auto s = Napi::Object::New(env);
    s.Set("name", d[i].name);
    s.Set("kind", plan_step_kind_name(d[i].kind));
    s.Set("detail", d[i].detail);
    steps.Set(i, s);
  }
  r.Set("steps", steps);
  return r;
}

// planProfile(plan, on?: boolean) -> { seconds: number[], runs: number[] } per step (describe()
// order); with `on` given, first turns per-step timing on or off (which clears the totals).
Napi::Value plan_profile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PlanPtr plan = plan_arg(info, 0);
  if (info.Length() > 1 && !info[1].IsUndefined()) {
    if (!info[1].IsBoolean()) throw_type_error(env, "planProfile: on must be a boolean");
    plan->set_profiling(info[1].As<Napi::Boolean>().Value());
  }
  auto t = plan->step_times();
  auto secs = Napi::Array::New(env, t.size());
  auto runs = Napi::Array::New(env, t.size());
  for (uint32_t i = 0; i < t.size(); ++i) {
    secs.Set(i, t[i].seconds);
    runs.Set(i, static_cast<double>(t[i].runs));
  }
  auto r = Napi::Object::New(env);
  r.Set("seconds", secs);
  r.Set("runs", runs);
  return r;
}

// planSetSerial(plan, on): serial runs (the calling thread only; Plan::set_serial), off by default.
Napi::Value plan_set_serial(const Napi::CallbackInfo& info) {
  PlanPtr plan = plan_arg(info, 0);
  if (info.Length() < 2 || !info[1].IsBoolean()) throw_type_error(info.Env(), "planSetSerial: on must be a boolean");
  plan->set_serial(info[1].As<Napi::Boolean>().Value());
  return info.Env().Undefined();
}

// planSetSmallRunFlops(plan, flops): the small-run limit (Plan::set_small_run_flops).
Napi::Value plan_set_small_run_flops(const Napi::CallbackInfo& info) {
  PlanPtr plan = plan_arg(info, 0);
  if (info.Length() < 2 || !info[1].IsNumber()) throw_type_error(info.Env(), "planSetSmallRunFlops: flops must be a number");
  const double f = info[1].As<Napi::Number>().DoubleValue();
  if (!(f >= 0)) throw_range_error(info.Env(), "planSetSmallRunFlops: flops must be a number >= 0, got " + std::to_string(f));
  plan->set_small_run_flops(f);
  return info.Env().Undefined();
}

// planLastRunSeconds(plan) -> number
Napi::Value plan_last_run_seconds(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), plan_arg(info, 0)->last_run_seconds());
}

// planSetSampleParallel(plan, on): allow (default) or forbid sample-parallel runs.
Napi::Value plan_set_sample_parallel(const Napi::CallbackInfo& info) {
  PlanPtr plan = plan_arg(info, 0);
  if (info.Length() < 2 || !info[1].IsBoolean()) throw_type_error(info.Env(), "planSetSampleParallel: on must be a boolean");
  plan->set_sample_parallel(info[1].As<Napi::Boolean>().Value());
  return info.Env().Undefined();
}

}  // namespace

CONVKIT_BINDING(plan) {
  def(env, exports, "planCreate", &plan_create);
  def(env, exports, "planWeightsCreate", &plan_weights_create);
  def_job(env, exports, "planRun", 3, &prepare_plan_run);
  def_job(env, exports, "planRunBatch", 4, &prepare_plan_run_batch);
  def(env, exports, "planInfo", &plan_info);
  def(env, exports, "planProfile", &plan_profile);
  def(env, exports, "planSetSampleParallel", &plan_set_sample_parallel);
  def(env, exports, "planSetSerial", &plan_set_serial);
  def(env, exports, "planSetSmallRunFlops", &plan_set_small_run_flops);
  def(env, exports, "planLastRunSeconds", &plan_last_run_seconds);
}

}  // namespace convkit::binding
