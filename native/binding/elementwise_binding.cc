// Elementwise family: binary (broadcasting), unary, softmax. Each has a sync and an Async twin.
#include "binding/binding.h"
#include "ops/elementwise.h"

namespace convkit::binding {
namespace {

const std::initializer_list<const char*> kBinaryNames = {"add", "sub", "mul", "div", "maximum", "minimum",
                                                         "squaredDifference", "greater", "equal"};
const std::initializer_list<const char*> kUnaryNames = {"relu", "relu6", "leakyRelu", "elu", "sigmoid",
                                                        "tanh", "exp", "log", "neg", "abs",
                                                        "sqrt", "square", "softplus", "swish", "reciprocal",
                                                        "rsqrt", "sign", "step", "minScalar", "maxScalar",
                                                        "clip", "powScalar"};

bool is_int32_array(const Napi::CallbackInfo& info, std::size_t i) {
  return i < info.Length() && info[i].IsTypedArray() && info[i].As<Napi::TypedArray>().TypedArrayType() == napi_int32_array;
}

// binary(op, a, aShape, b, bShape, out, outShape): float32 or int32 (all three arrays alike).
Job prepare_binary(const Napi::CallbackInfo& info) {
  auto op = static_cast<BinaryOp>(arg_enum(info, 0, "op", kBinaryNames));
  Shape as = arg_shape(info, 2, "aShape"), bs = arg_shape(info, 4, "bShape"), os = arg_shape(info, 6, "outShape");
  if (is_int32_array(info, 1)) {
    auto a = arg_i32(info, 1, "a", shape_numel(as));
    auto b = arg_i32(info, 3, "b", shape_numel(bs));
    auto out = arg_i32(info, 5, "out", shape_numel(os));
    return [=](const CancelToken& c) { binary_i32(op, a.data, as, b.data, bs, out.data, os, c); };
  }
  auto a = arg_f32(info, 1, "a", shape_numel(as));
  auto b = arg_f32(info, 3, "b", shape_numel(bs));
  auto out = arg_f32(info, 5, "out", shape_numel(os));
  return [=](const CancelToken& c) { binary_f32(op, a.data, as, b.data, bs, out.data, os, c); };
}

// unary(op, x, y, alpha, beta)
Job prepare_unary(const Napi::CallbackInfo& info) {
  auto op = static_cast<UnaryOp>(arg_enum(info, 0, "op", kUnaryNames));
  auto x = arg_f32(info, 1, "x");
  auto y = arg_f32(info, 2, "y", x.length);
  auto alpha = static_cast<float>(arg_finite(info, 3, "alpha"));
  auto beta = static_cast<float>(arg_finite(info, 4, "beta"));
  return [=](const CancelToken& c) { unary_f32(op, x.data, y.data, x.length, alpha, beta, c); };
}

// softmax(x, shape, axis, log, y)
Job prepare_softmax(const Napi::CallbackInfo& info) {
  Shape s = arg_shape(info, 1, "shape");
  auto x = arg_f32(info, 0, "x", shape_numel(s));
  if (s.empty()) throw_range_error(info.Env(), "softmax: 'x' must have rank >= 1, got a scalar");
  auto axis = static_cast<std::size_t>(arg_int(info, 2, "axis", 0, static_cast<std::int64_t>(s.size()) - 1));
  bool log = arg_bool(info, 3, "log");
  auto y = arg_f32(info, 4, "y", x.length);
  return [=](const CancelToken& c) { softmax_f32(x.data, y.data, s, axis, log, c); };
}

}  // namespace

CONVKIT_BINDING(elementwise) {
  def_job(env, exports, "binary", 7, &prepare_binary);
  def_job(env, exports, "unary", 5, &prepare_unary);
  def_job(env, exports, "softmax", 5, &prepare_softmax);
}

}  // namespace convkit::binding
