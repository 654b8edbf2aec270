// Fused optimizer updates: one call applies gradient clipping, decoupled weight decay and the
// update rule to EVERY parameter of a training step (an array of slots), so a step costs one
// native call instead of a handful of elementwise ops per parameter.
//
// The update rules are Keras 3's (keras/src/optimizers/{sgd,adam,rmsprop,adagrad,adadelta,nadam}.py
// and the base class keras/src/optimizers/base_optimizer.py), in the order Keras applies them in
// BaseOptimizer.apply():
//   1. clip the gradients (_clip_gradients: clipnorm per tensor, else global_clipnorm, else clipvalue);
//   2. decoupled weight decay (_apply_weight_decay): var -= var * weight_decay * lr;
//   3. the optimizer's update_step with t = iterations + 1;
// after which the caller increments `iterations`. AdamW is Adam with weight decay (Keras 3 defines
// it exactly so).
#pragma once
#include <cstddef>
#include <cstdint>

namespace convkit {

enum class OptimKind : int { sgd = 0, adam = 1, adamw = 2, rmsprop = 3, adagrad = 4, adadelta = 5, nadam = 6 };
constexpr int kOptimKindCount = 7;

// Number of state buffers (same length as the parameter) each kind keeps per parameter.
// sgd: momentum (only if momentum != 0); adam/adamw: m, v (+ v_hat if amsgrad);
// rmsprop: velocity (+ momentum if momentum > 0) (+ average_grad if centered);
// adagrad: accumulator (Keras initialises it to initial_accumulator_value = 0.1: the caller fills it);
// adadelta: accumulated_grad, accumulated_delta_var; nadam: m, v.
struct OptimConfig {
  OptimKind kind = OptimKind::adam;
  float learning_rate = 0.001f;
  float beta_1 = 0.9f;        // adam, adamw, nadam
  float beta_2 = 0.999f;      // adam, adamw, nadam
  float epsilon = 1e-7f;      // every kind but sgd
  float momentum = 0.f;       // sgd, rmsprop
  float rho = 0.9f;           // rmsprop (0.9), adadelta (0.95)
  float weight_decay = 0.f;   // decoupled, scaled by lr (Keras 3 semantics); 0 = off
  bool nesterov = false;      // sgd
  bool amsgrad = false;       // adam, adamw
  bool centered = false;      // rmsprop
  // Clipping, at most one of them > 0 (Keras raises if several are set; so does the binding).
  float clip_norm = 0.f;         // per tensor: g * c / max(||g||, c)
  float global_clip_norm = 0.f;  // all tensors: g * c / max(||G||, c), NaN if ||G|| is not finite
  float clip_value = 0.f;        // elementwise clamp to [-c, c]
};

int optim_state_count(const OptimConfig& cfg);

// One parameter: its values (updated in place), its gradient (read only; clipping is applied on
// the fly, the gradient buffer is not modified) and its state buffers, all of length n.
struct ParamSlot {
  float* param = nullptr;
  const float* grad = nullptr;
  float* state[3] = {nullptr, nullptr, nullptr};
  std::size_t n = 0;
};

// Step-wide scalars derived from the config and the step counter (computed once per step in
// double, then rounded to float, as the kernels use them).
struct OptimScalars {
  float lr, beta_1, beta_2, one_minus_beta_1, one_minus_beta_2, epsilon, momentum, rho, one_minus_rho;
  float decay;           // weight_decay * lr (0 = none)
  float adam_alpha;      // lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
  float nadam_a;         // lr * u_{t+1} / (1 - u_product_{t+1})          (times m)
  float nadam_b;         // lr * (1 - u_t) / (1 - u_product_t)             (times g)
  float nadam_vscale;    // 1 / (1 - beta_2^t)
  bool nesterov, amsgrad, centered;
  float clip_value;      // 0 = off
};

// One ISA's kernels: kernels[kind](scalars, slot, grad_scale). grad_scale multiplies the gradient
// (from clip_norm / global_clip_norm; 1 otherwise) before the elementwise clip_value clamp.
// A kernel updates elements [begin, end) of the slot so large tensors can be split over threads.
using OptimKernel = void (*)(const OptimScalars& s, const ParamSlot& slot, float grad_scale, std::size_t begin,
                             std::size_t end);
struct OptimKernels {
  OptimKernel update[kOptimKindCount];
};
const OptimKernels& optim_kernels_scalar();
const OptimKernels& optim_kernels_avx2();
const OptimKernels& optim_kernels_avx512();

// Applies one step to all slots. `iterations` is the optimizer's step counter BEFORE this step
// (Keras's self.iterations); `nadam_u_product` is Nadam's running product (in: before this step,
// starts at 1.0; out: after it) and may be null for other kinds. Validates the config
// (InvalidArgument on bad hyper-parameters, several clip options, or null pointers).
void optimizer_step(const OptimConfig& cfg, const ParamSlot* slots, std::size_t count, std::int64_t iterations,
                    double* nadam_u_product);

// The scalars for step t = iterations + 1 (exposed for tests).
OptimScalars optim_scalars(const OptimConfig& cfg, std::int64_t iterations, double u_product_after);

// The factor clip_norm / global_clip_norm applies to each slot's gradient (1 when off); out has
// `count` entries. Keras computes norms in float32; this computes them in double.
void optim_grad_scales(const OptimConfig& cfg, const ParamSlot* slots, std::size_t count, float* out);

}  // namespace convkit
