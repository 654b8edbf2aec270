// Pooling and zero padding: validate + convert, then call native/pool. No math here.
//
// `params` for pooling, 17 integers (channels-last, 3-D; 1-D/2-D callers pass unit dims):
//   [N, D, H, W, C, WD, WH, WW, SD, SH, SW, padFront, padBack, padTop, padBottom, padLeft, padRight]
// with explicit padding; poolGeometry() resolves 'valid'/'same' and returns the output size.
#include <array>
#include <string>

#include "binding/binding.h"
#include "pool/pool.h"
#include "pool/zero_pad.h"

namespace convkit::binding {
namespace {

constexpr std::size_t kParams = 17;

PoolDesc pool_desc(const Napi::CallbackInfo& info, std::size_t i, Padding mode) {
  auto p = arg_int_list(info, i, "params", 0, 1 << 30);
  if (p.size() != kParams)
    throw_range_error(info.Env(), "params: expected 17 integers, got " + std::to_string(p.size()));
  auto u = [&](std::size_t k) { return static_cast<std::size_t>(p[k]); };
  PoolDesc d;
  d.N = u(0);
  d.in = {u(1), u(2), u(3)};
  d.C = u(4);
  d.window = {u(5), u(6), u(7)};
  d.stride = {u(8), u(9), u(10)};
  d.pad_before = {u(11), u(13), u(15)};
  d.pad_after = {u(12), u(14), u(16)};
  d.finalize(mode);
  return d;
}

PoolKind kind_arg(const Napi::CallbackInfo& info, std::size_t i) {
  return static_cast<PoolKind>(arg_enum(info, i, "kind", {"max", "avg"}));
}

// poolGeometry(params, padding) -> [OD, OH, OW, pf, pb, pt, pb, pl, pr]
Napi::Value pool_geometry(const Napi::CallbackInfo& info) {
  int mode = arg_enum(info, 1, "padding", {"valid", "same", "explicit"});
  PoolDesc d = pool_desc(info, 0, static_cast<Padding>(mode));
  Napi::Array r = Napi::Array::New(info.Env(), 9);
  for (uint32_t i = 0; i < 3; ++i) {
    r.Set(i, static_cast<double>(d.out[i]));
    r.Set(3 + 2 * i, static_cast<double>(d.pad_before[i]));
    r.Set(4 + 2 * i, static_cast<double>(d.pad_after[i]));
  }
  return r;
}

// poolForward(params, kind, x, y)
Job prepare_pool_forward(const Napi::CallbackInfo& info) {
  PoolDesc d = pool_desc(info, 0, Padding::explicit_);
  PoolKind k = kind_arg(info, 1);
  auto x = arg_f32(info, 2, "x", d.input_size());
  auto y = arg_f32(info, 3, "y", d.output_size());
  return [=](const CancelToken& c) { pool_forward(d, k, x.data, y.data, c); };
}

// poolBackward(params, kind, x, dy, dx, relu): relu (max only) fuses the gradient of the ReLU
// that produced x (pool.h).
Job prepare_pool_backward(const Napi::CallbackInfo& info) {
  PoolDesc d = pool_desc(info, 0, Padding::explicit_);
  PoolKind k = kind_arg(info, 1);
  auto x = arg_f32(info, 2, "x", d.input_size());
  auto dy = arg_f32(info, 3, "dy", d.output_size());
  auto dx = arg_f32(info, 4, "dx", d.input_size());
  const bool relu = arg_bool(info, 5, "relu");
  if (relu && k != PoolKind::max) throw_range_error(info.Env(), "relu: the fused ReLU gradient is for max pooling only");
  return [=](const CancelToken& c) { pool_backward(d, k, x.data, dy.data, dx.data, c, relu); };
}

// globalPoolForward(N, P, C, kind, x, y)
Job prepare_global_forward(const Napi::CallbackInfo& info) {
  auto N = static_cast<std::size_t>(arg_int(info, 0, "batch", 1, 1 << 30));
  auto P = static_cast<std::size_t>(arg_int(info, 1, "positions", 1, 1 << 30));
  auto C = static_cast<std::size_t>(arg_int(info, 2, "channels", 1, 1 << 30));
  PoolKind k = kind_arg(info, 3);
  auto x = arg_f32(info, 4, "x", N * P * C);
  auto y = arg_f32(info, 5, "y", N * C);
  return [=](const CancelToken& c) {
    c.check();
    global_pool_forward(N, P, C, k, x.data, y.data);
  };
}

// globalPoolBackward(N, P, C, kind, x, dy, dx)
Job prepare_global_backward(const Napi::CallbackInfo& info) {
  auto N = static_cast<std::size_t>(arg_int(info, 0, "batch", 1, 1 << 30));
  auto P = static_cast<std::size_t>(arg_int(info, 1, "positions", 1, 1 << 30));
  auto C = static_cast<std::size_t>(arg_int(info, 2, "channels", 1, 1 << 30));
  PoolKind k = kind_arg(info, 3);
  auto x = arg_f32(info, 4, "x", N * P * C);
  auto dy = arg_f32(info, 5, "dy", N * C);
  auto dx = arg_f32(info, 6, "dx", N * P * C);
  return [=](const CancelToken& c) {
    c.check();
    global_pool_backward(N, P, C, k, x.data, dy.data, dx.data);
  };
}

// zeroPad(dims[N,D,H,W,C], pads[front,back,top,bottom,left,right], x, y) and zeroPadBackward(dims, pads, dy, dx)
struct PadArgs {
  std::size_t N, C;
  std::array<std::size_t, 3> in, before, after;
  std::size_t in_size() const { return N * in[0] * in[1] * in[2] * C; }
  std::size_t out_size() const {
    return N * (in[0] + before[0] + after[0]) * (in[1] + before[1] + after[1]) * (in[2] + before[2] + after[2]) * C;
  }
};
PadArgs pad_args(const Napi::CallbackInfo& info) {
  auto dims = arg_int_list(info, 0, "dims", 1, 1 << 30);
  auto pads = arg_int_list(info, 1, "pads", 0, 1 << 30);
  if (dims.size() != 5) throw_range_error(info.Env(), "dims: expected [N, D, H, W, C]");
  if (pads.size() != 6) throw_range_error(info.Env(), "pads: expected [front, back, top, bottom, left, right]");
  PadArgs a;
  a.N = dims[0];
  a.in = {(std::size_t)dims[1], (std::size_t)dims[2], (std::size_t)dims[3]};
  a.C = dims[4];
  a.before = {(std::size_t)pads[0], (std::size_t)pads[2], (std::size_t)pads[4]};
  a.after = {(std::size_t)pads[1], (std::size_t)pads[3], (std::size_t)pads[5]};
  return a;
}
Job prepare_zero_pad(const Napi::CallbackInfo& info) {
  PadArgs a = pad_args(info);
  auto x = arg_f32(info, 2, "x", a.in_size());
  auto y = arg_f32(info, 3, "y", a.out_size());
  return [=](const CancelToken&) { zero_pad_forward(a.N, a.in, a.C, a.before, a.after, x.data, y.data); };
}
Job prepare_zero_pad_backward(const Napi::CallbackInfo& info) {
  PadArgs a = pad_args(info);
  auto dy = arg_f32(info, 2, "dy", a.out_size());
  auto dx = arg_f32(info, 3, "dx", a.in_size());
  return [=](const CancelToken&) { zero_pad_backward(a.N, a.in, a.C, a.before, a.after, dy.data, dx.data); };
}

}  // namespace

CONVKIT_BINDING(pool) {
  def(env, exports, "poolGeometry", &pool_geometry);
  def_job(env, exports, "poolForward", 4, &prepare_pool_forward);
  def_job(env, exports, "poolBackward", 6, &prepare_pool_backward);
  def_job(env, exports, "globalPoolForward", 6, &prepare_global_forward);
  def_job(env, exports, "globalPoolBackward", 7, &prepare_global_backward);
  def_job(env, exports, "zeroPad", 4, &prepare_zero_pad);
  def_job(env, exports, "zeroPadBackward", 4, &prepare_zero_pad_backward);
}

}  // namespace convkit::binding
