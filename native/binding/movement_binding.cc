// N-API binding of the layers' data-movement kernels (native/ops/movement.h): argument checks and
// conversion only.
#include <cstring>

#include "binding/binding.h"
#include "ops/movement.h"

namespace convkit::binding {
namespace {

// broadcastTo(x, xShape, out, outShape)
Job prepare_broadcast_to(const Napi::CallbackInfo& info) {
  Shape xs = arg_shape(info, 1, "xShape"), os = arg_shape(info, 3, "outShape");
  auto x = arg_f32(info, 0, "x", shape_size(info.Env(), xs, "xShape"));
  auto out = arg_f32(info, 2, "out", shape_size(info.Env(), os, "outShape"));
  return [=](const CancelToken&) { movement::broadcast_to_f32(x.data, xs, out.data, os); };
}

// padConstant(x, xShape, before, value, out, outShape)
Job prepare_pad(const Napi::CallbackInfo& info) {
  Shape xs = arg_shape(info, 1, "xShape"), os = arg_shape(info, 5, "outShape");
  auto x = arg_f32(info, 0, "x", shape_size(info.Env(), xs, "xShape"));
  auto b = arg_int_list(info, 2, "before", 0, std::int64_t(1) << 40);
  if (b.size() != xs.size()) throw InvalidArgument("before: expected " + std::to_string(xs.size()) + " offsets, got " + std::to_string(b.size()));
  std::vector<std::size_t> before(b.begin(), b.end());
  const float value = static_cast<float>(arg_finite(info, 3, "value"));
  auto out = arg_f32(info, 4, "out", shape_size(info.Env(), os, "outShape"));
  return [=](const CancelToken&) { movement::pad_f32(x.data, xs, before.data(), value, out.data, os); };
}

// upsampleNearest2d(x, [n, h, w, c], [sh, sw], out)
Job prepare_upsample(const Napi::CallbackInfo& info) {
  Shape d = arg_shape(info, 1, "dims");
  if (d.size() != 4) throw InvalidArgument("dims: expected [n, h, w, c], got " + shape_string(d));
  auto f = arg_int_list(info, 2, "size", 1, 1 << 20);
  if (f.size() != 2) throw InvalidArgument("size: expected [sh, sw], got " + std::to_string(f.size()) + " values");
  const std::size_t sh = f[0], sw = f[1];
  auto x = arg_f32(info, 0, "x", shape_size(info.Env(), d, "dims"));
  auto out = arg_f32(info, 3, "out", d[0] * d[1] * sh * d[2] * sw * d[3]);
  return [=](const CancelToken&) { movement::upsample_nearest2d_f32(x.data, d[0], d[1], d[2], d[3], sh, sw, out.data); };
}

// upsampleBilinear2d(x, [n, h, w, c], [sh, sw], out) and upsampleBilinear2dAdjoint(dy, dims, size, dx)
Job prepare_bilinear(const Napi::CallbackInfo& info, bool adjoint) {
  Shape d = arg_shape(info, 1, "dims");
  if (d.size() != 4) throw InvalidArgument("dims: expected [n, h, w, c], got " + shape_string(d));
  auto f = arg_int_list(info, 2, "size", 1, 1 << 20);
  if (f.size() != 2) throw InvalidArgument("size: expected [sh, sw], got " + std::to_string(f.size()) + " values");
  const std::size_t sh = f[0], sw = f[1];
  const std::size_t small = shape_size(info.Env(), d, "dims"), big = d[0] * d[1] * sh * d[2] * sw * d[3];
  auto src = arg_f32(info, 0, adjoint ? "dy" : "x", adjoint ? big : small);
  auto dst = arg_f32(info, 3, adjoint ? "dx" : "out", adjoint ? small : big);
  if (adjoint) return [=](const CancelToken&) { movement::upsample_bilinear2d_adjoint_f32(src.data, d[0], d[1], d[2], d[3], sh, sw, dst.data); };
  return [=](const CancelToken&) { movement::upsample_bilinear2d_f32(src.data, d[0], d[1], d[2], d[3], sh, sw, dst.data); };
}
Job prepare_bilinear_fwd(const Napi::CallbackInfo& info) { return prepare_bilinear(info, false); }
Job prepare_bilinear_adj(const Napi::CallbackInfo& info) { return prepare_bilinear(info, true); }

// The generator state travels as an Int32Array(4) (the bits of the four uint32 words).
movement::RngState read_state(const ArrayArg<std::int32_t>& a) {
  movement::RngState st{};
  std::memcpy(st.s, a.data, sizeof st.s);
  return st;
}
void write_state(const ArrayArg<std::int32_t>& a, const movement::RngState& st) { std::memcpy(a.data, st.s, sizeof st.s); }

// randomMask(state, rate, out): advances state in place.
Napi::Value random_mask(const Napi::CallbackInfo& info) {
  auto state = arg_i32(info, 0, "state", 4);
  const double rate = arg_finite(info, 1, "rate");
  if (!(rate >= 0 && rate < 1)) throw InvalidArgument("rate: expected a number in [0, 1), got " + std::to_string(rate));
  auto out = arg_f32(info, 2, "out");
  auto st = read_state(state);
  movement::random_mask(st, rate, static_cast<float>(1.0 / (1.0 - rate)), out.data, out.length);
  write_state(state, st);
  return info.Env().Undefined();
}

// randomUniform(state, lo, hi, out): advances state in place.
Napi::Value random_uniform(const Napi::CallbackInfo& info) {
  auto state = arg_i32(info, 0, "state", 4);
  const double lo = arg_finite(info, 1, "lo"), hi = arg_finite(info, 2, "hi");
  if (!(hi >= lo)) throw InvalidArgument("hi: expected >= lo");
  auto out = arg_f32(info, 3, "out");
  auto st = read_state(state);
  movement::random_uniform(st, lo, hi, out.data, out.length);
  write_state(state, st);
  return info.Env().Undefined();
}

}  // namespace

CONVKIT_BINDING(movement) {
  def_job(env, exports, "broadcastTo", 4, &prepare_broadcast_to);
  def_job(env, exports, "padConstant", 6, &prepare_pad);
  def_job(env, exports, "upsampleNearest2d", 4, &prepare_upsample);
  def_job(env, exports, "upsampleBilinear2d", 4, &prepare_bilinear_fwd);
  def_job(env, exports, "upsampleBilinear2dAdjoint", 4, &prepare_bilinear_adj);
  def(env, exports, "randomMask", &random_mask);
  def(env, exports, "randomUniform", &random_uniform);
}

}  // namespace convkit::binding
