// N-API binding of the autodiff's native backward kernels (native/ops/grad_activation.h):
// argument checks and conversion only.
#include "binding/binding.h"
#include "ops/grad_activation.h"

namespace convkit::binding {
namespace {

using grad::ActGrad;

// activationGrad(kind, in, dy, dx, alpha, beta)
Job prepare_activation_grad(const Napi::CallbackInfo& info) {
  const int k = arg_enum(info, 0, "kind", {"relu", "relu6", "leakyRelu", "elu", "sigmoid", "tanh", "softplus", "swish", "clip"});
  auto in = arg_f32(info, 1, "in");
  auto dy = arg_f32(info, 2, "dy", in.length);
  auto dx = arg_f32(info, 3, "dx", in.length);
  const float alpha = static_cast<float>(arg_finite(info, 4, "alpha"));
  const float beta = static_cast<float>(arg_finite(info, 5, "beta"));
  return [=](const CancelToken&) {
    grad::activation_grad(static_cast<ActGrad>(k), in.data, dy.data, dx.data, in.length, alpha, beta);
  };
}

// An optional Float32Array of `n` elements (null/undefined -> nullptr).
float* opt_f32(const Napi::CallbackInfo& info, std::size_t i, const char* name, std::size_t n) {
  if (info.Length() <= i || info[i].IsNull() || info[i].IsUndefined()) return nullptr;
  return arg_f32(info, i, name, n).data;
}

// batchNormTrainForward(x, rows, C, gamma|null, beta|null, eps, y, mean, var, invstd)
Job prepare_bn_forward(const Napi::CallbackInfo& info) {
  const auto rows = static_cast<std::size_t>(arg_int(info, 1, "rows", 1, std::int64_t(1) << 40));
  const auto C = static_cast<std::size_t>(arg_int(info, 2, "C", 1, std::int64_t(1) << 30));
  auto x = arg_f32(info, 0, "x", rows * C);
  float* gamma = opt_f32(info, 3, "gamma", C);
  float* beta = opt_f32(info, 4, "beta", C);
  const double eps = arg_finite(info, 5, "eps");
  if (!(eps > 0)) throw InvalidArgument("eps must be > 0");
  auto y = arg_f32(info, 6, "y", rows * C);
  auto mean = arg_f32(info, 7, "mean", C);
  auto var = arg_f32(info, 8, "var", C);
  auto invstd = arg_f32(info, 9, "invstd", C);
  return [=](const CancelToken&) {
    grad::batch_norm_train_forward(x.data, rows, C, gamma, beta, static_cast<float>(eps), y.data, mean.data, var.data,
                                   invstd.data);
  };
}

// batchNormTrainBackward(x, dy, rows, C, mean, invstd, gamma|null, dx|null, dgamma|null, dbeta|null)
Job prepare_bn_backward(const Napi::CallbackInfo& info) {
  const auto rows = static_cast<std::size_t>(arg_int(info, 2, "rows", 1, std::int64_t(1) << 40));
  const auto C = static_cast<std::size_t>(arg_int(info, 3, "C", 1, std::int64_t(1) << 30));
  auto x = arg_f32(info, 0, "x", rows * C);
  auto dy = arg_f32(info, 1, "dy", rows * C);
  auto mean = arg_f32(info, 4, "mean", C);
  auto invstd = arg_f32(info, 5, "invstd", C);
  float* gamma = opt_f32(info, 6, "gamma", C);
  float* dx = opt_f32(info, 7, "dx", rows * C);
  float* dgamma = opt_f32(info, 8, "dgamma", C);
  float* dbeta = opt_f32(info, 9, "dbeta", C);
  return [=](const CancelToken&) {
    grad::batch_norm_train_backward(x.data, dy.data, rows, C, mean.data, invstd.data, gamma, dx, dgamma, dbeta);
  };
}

}  // namespace

CONVKIT_BINDING(grad) {
  def_job(env, exports, "activationGrad", 6, &prepare_activation_grad);
  def_job(env, exports, "batchNormTrainForward", 10, &prepare_bn_forward);
  def_job(env, exports, "batchNormTrainBackward", 10, &prepare_bn_backward);
}

}  // namespace convkit::binding
