// The plain reference matmul / conv2d (for tests of the fast kernels) and conv2d geometry.
#include "binding/binding.h"
#include "ops/shape.h"
#include "reference/reference.h"

namespace convkit::binding {
namespace {

constexpr std::int64_t kMaxDim = std::int64_t{1} << 31;

// referenceMatmul(transA, transB, M, N, K, a, b, c)
Job prepare_matmul(const Napi::CallbackInfo& info) {
  bool ta = arg_bool(info, 0, "transA"), tb = arg_bool(info, 1, "transB");
  auto M = static_cast<std::size_t>(arg_int(info, 2, "M", 0, kMaxDim));
  auto N = static_cast<std::size_t>(arg_int(info, 3, "N", 0, kMaxDim));
  auto K = static_cast<std::size_t>(arg_int(info, 4, "K", 0, kMaxDim));
  auto a = arg_f32(info, 5, "a", M * K);
  auto b = arg_f32(info, 6, "b", K * N);
  auto c = arg_f32(info, 7, "c", M * N);
  return [=](const CancelToken& t) { reference_matmul(ta, tb, M, N, K, a.data, b.data, c.data, t); };
}

Conv2dParams params_from(const Napi::CallbackInfo& info, std::size_t xs, std::size_t ws, std::size_t st, std::size_t dil,
                         std::size_t pad, std::size_t grp) {
  Shape x = arg_shape(info, xs, "xShape"), w = arg_shape(info, ws, "wShape");
  if (x.size() != 4) throw_range_error(info.Env(), "'xShape' must be [N, H, W, C], got rank " + std::to_string(x.size()));
  if (w.size() != 4)
    throw_range_error(info.Env(), "'wShape' must be [KH, KW, C/groups, OC], got rank " + std::to_string(w.size()));
  auto s = arg_int_list(info, st, "strides", 1, kMaxDim);
  auto d = arg_int_list(info, dil, "dilations", 1, kMaxDim);
  if (s.size() != 2) throw_range_error(info.Env(), "'strides' must have 2 entries, got " + std::to_string(s.size()));
  if (d.size() != 2) throw_range_error(info.Env(), "'dilations' must have 2 entries, got " + std::to_string(d.size()));
  auto padding = static_cast<Padding>(arg_enum(info, pad, "padding", {"valid", "same"}));
  auto groups = static_cast<std::size_t>(arg_int(info, grp, "groups", 1, kMaxDim));
  return conv2d_params(x[0], x[1], x[2], x[3], w[0], w[1], w[2], w[3], static_cast<std::size_t>(s[0]),
                       static_cast<std::size_t>(s[1]), static_cast<std::size_t>(d[0]), static_cast<std::size_t>(d[1]),
                       padding, groups);
}

// referenceConv2d(x, xShape, w, wShape, bias | null, y, strides, dilations, padding, groups)
Job prepare_conv2d(const Napi::CallbackInfo& info) {
  Conv2dParams p = params_from(info, 1, 3, 6, 7, 8, 9);
  auto x = arg_f32(info, 0, "x", p.N * p.H * p.W * p.C);
  auto w = arg_f32(info, 2, "w", p.KH * p.KW * (p.C / p.groups) * p.OC);
  const float* bias = nullptr;
  if (!(info[4].IsNull() || info[4].IsUndefined())) bias = arg_f32(info, 4, "bias", p.OC).data;
  auto y = arg_f32(info, 5, "y", p.N * p.OH * p.OW * p.OC);
  return [=](const CancelToken& t) { reference_conv2d(p, x.data, w.data, bias, y.data, t); };
}

// conv2dGeometry(xShape, wShape, strides, dilations, padding, groups) -> {outShape, padTop, padLeft}
Napi::Value conv2d_geometry(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Conv2dParams p = params_from(info, 0, 1, 2, 3, 4, 5);
  Napi::Object o = Napi::Object::New(env);
  Napi::Array shape = Napi::Array::New(env, 4);
  shape.Set(0u, static_cast<double>(p.N));
  shape.Set(1u, static_cast<double>(p.OH));
  shape.Set(2u, static_cast<double>(p.OW));
  shape.Set(3u, static_cast<double>(p.OC));
  o.Set("outShape", shape);
  o.Set("padTop", static_cast<double>(p.pad_top));
  o.Set("padLeft", static_cast<double>(p.pad_left));
  return o;
}

}  // namespace

CONVKIT_BINDING(reference) {
  def_job(env, exports, "referenceMatmul", 8, &prepare_matmul);
  def_job(env, exports, "referenceConv2d", 10, &prepare_conv2d);
  def(env, exports, "conv2dGeometry", &conv2d_geometry);
}

}  // namespace convkit::binding
