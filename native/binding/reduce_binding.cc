// Reductions, arg-reductions, transpose and casts.
#include "binding/binding.h"
#include "ops/reduce.h"
#include "ops/transpose.h"

namespace convkit::binding {
namespace {

bool is_int32_array(const Napi::CallbackInfo& info, std::size_t i) {
  return i < info.Length() && info[i].IsTypedArray() && info[i].As<Napi::TypedArray>().TypedArrayType() == napi_int32_array;
}

std::vector<std::size_t> axes_arg(const Napi::CallbackInfo& info, std::size_t i, const Shape& s) {
  auto list = arg_int_list(info, i, "axes", 0, static_cast<std::int64_t>(s.size()) - 1);
  return std::vector<std::size_t>(list.begin(), list.end());
}

// reduce(op, x, shape, axes, out)
Job prepare_reduce(const Napi::CallbackInfo& info) {
  auto op = static_cast<ReduceOp>(arg_enum(info, 0, "op", {"sum", "mean", "max", "min"}));
  Shape s = arg_shape(info, 2, "shape");
  auto x = arg_f32(info, 1, "x", shape_numel(s));
  auto axes = axes_arg(info, 3, s);
  std::size_t out_n = 1;
  {
    std::vector<bool> red(s.size(), false);
    for (auto a : axes) red[a] = true;
    for (std::size_t i = 0; i < s.size(); ++i)
      if (!red[i]) out_n *= s[i];
  }
  auto out = arg_f32(info, 4, "out", out_n);
  return [=](const CancelToken& c) { reduce_f32(op, x.data, s, axes, out.data, c); };
}

// argReduce(isMax, x, shape, axis, out)
Job prepare_arg_reduce(const Napi::CallbackInfo& info) {
  bool is_max = arg_bool(info, 0, "isMax");
  Shape s = arg_shape(info, 2, "shape");
  auto x = arg_f32(info, 1, "x", shape_numel(s));
  if (s.empty()) throw_range_error(info.Env(), "argMax/argMin: 'x' must have rank >= 1, got a scalar");
  auto axis = static_cast<std::size_t>(arg_int(info, 3, "axis", 0, static_cast<std::int64_t>(s.size()) - 1));
  auto out = arg_i32(info, 4, "out", s[axis] ? shape_numel(s) / s[axis] : 0);
  if (s[axis] == 0 && shape_numel(s) == 0) {
    std::size_t n = 1;
    for (std::size_t i = 0; i < s.size(); ++i)
      if (i != axis) n *= s[i];
    if (n) throw_range_error(info.Env(), "argMax/argMin: axis " + std::to_string(axis) + " has size 0");
  }
  return [=](const CancelToken& c) { arg_reduce_f32(is_max, x.data, s, axis, out.data, c); };
}

// transpose(x, shape, perm, y): float32 or int32.
Job prepare_transpose(const Napi::CallbackInfo& info) {
  Shape s = arg_shape(info, 1, "shape");
  auto p = arg_int_list(info, 2, "perm", 0, static_cast<std::int64_t>(s.size()) - 1);
  std::vector<std::size_t> perm(p.begin(), p.end());
  std::size_t n = shape_numel(s);
  const void* x;
  void* y;
  if (is_int32_array(info, 0)) {
    x = arg_i32(info, 0, "x", n).data;
    y = arg_i32(info, 3, "y", n).data;
  } else {
    x = arg_f32(info, 0, "x", n).data;
    y = arg_f32(info, 3, "y", n).data;
  }
  return [=](const CancelToken& c) { transpose_4b(x, s, perm, y, c); };
}

// cast(x, y): Float32Array -> Int32Array or Int32Array -> Float32Array of equal length.
Job prepare_cast(const Napi::CallbackInfo& info) {
  if (is_int32_array(info, 0)) {
    auto x = arg_i32(info, 0, "x");
    auto y = arg_f32(info, 1, "y", x.length);
    return [=](const CancelToken&) { cast_i32_f32(x.data, y.data, x.length); };
  }
  auto x = arg_f32(info, 0, "x");
  auto y = arg_i32(info, 1, "y", x.length);
  return [=](const CancelToken&) { cast_f32_i32(x.data, y.data, x.length); };
}

}  // namespace

CONVKIT_BINDING(reduce) {
  def_job(env, exports, "reduce", 5, &prepare_reduce);
  def_job(env, exports, "argReduce", 5, &prepare_arg_reduce);
  def_job(env, exports, "transpose", 4, &prepare_transpose);
  def_job(env, exports, "cast", 2, &prepare_cast);
}

}  // namespace convkit::binding
