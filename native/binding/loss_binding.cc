// N-API glue of the loss family (native/loss). No math here.
//
//   softmaxCrossEntropy(logits, labels, targets, n, c, labelSmoothing, loss, grad, rowScale)
//   probabilityCrossEntropy(probs, labels, targets, n, c, labelSmoothing, epsilon, loss, grad, rowScale)
//     logits/probs Float32Array(n*c); labels Int32Array(n) or null; targets Float32Array(n*c) or null
//     (exactly one); loss Float32Array(n) (out); grad Float32Array(n*c) or null (out);
//     rowScale Float32Array(n) or null.
#include <string>

#include "binding/binding.h"
#include "loss/cross_entropy.h"

namespace convkit::binding {
namespace {

bool absent(const Napi::CallbackInfo& info, std::size_t i) {
  return info.Length() <= i || info[i].IsUndefined() || info[i].IsNull();
}

template <bool FromLogits>
Napi::Value cross_entropy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::size_t n = static_cast<std::size_t>(arg_int(info, 3, "n", 0, std::int64_t{1} << 40));
  const std::size_t c = static_cast<std::size_t>(arg_int(info, 4, "c", 1, std::int64_t{1} << 30));
  if (n > (std::size_t{1} << 40) / c) throw_range_error(env, "'n' * 'c' is too large");
  auto x = arg_f32(info, 0, FromLogits ? "logits" : "probs", n * c);
  const std::int32_t* labels = absent(info, 1) ? nullptr : arg_i32(info, 1, "labels", n).data;
  const float* targets = absent(info, 2) ? nullptr : arg_f32(info, 2, "targets", n * c).data;
  if ((labels == nullptr) == (targets == nullptr)) throw_type_error(env, "give exactly one of 'labels' and 'targets'");
  const float ls = static_cast<float>(arg_finite(info, 5, "labelSmoothing"));
  std::size_t k = 6;
  float eps = 1e-7f;
  if (!FromLogits) eps = static_cast<float>(arg_finite(info, k++, "epsilon"));
  auto loss = arg_f32(info, k, "loss", n);
  float* grad = absent(info, k + 1) ? nullptr : arg_f32(info, k + 1, "grad", n * c).data;
  const float* scale = absent(info, k + 2) ? nullptr : arg_f32(info, k + 2, "rowScale", n).data;
  if (FromLogits)
    softmax_cross_entropy(x.data, labels, targets, n, c, ls, loss.data, grad, scale);
  else
    probability_cross_entropy(x.data, labels, targets, n, c, ls, eps, loss.data, grad, scale);
  return env.Undefined();
}

}  // namespace

CONVKIT_BINDING(loss) {
  def(env, exports, "softmaxCrossEntropy", &cross_entropy<true>);
  def(env, exports, "probabilityCrossEntropy", &cross_entropy<false>);
}

}  // namespace convkit::binding
