// The fused optimizer step: validation, the step-wide scalars (bias corrections, Nadam's
// momentum schedule), gradient clipping factors, the ISA dispatch table and the split over threads.
#include "optim/optimizer.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "dispatch/cpu.h"
#include "runtime/errors.h"
#include "runtime/thread_pool.h"

namespace convkit {
namespace {

// The one dispatch table of the optimizer family, indexed by Isa, read at call time.
const OptimKernels& kernels_for(Isa isa) {
  switch (isa) {
    case Isa::avx512: return optim_kernels_avx512();
    case Isa::avx2: return optim_kernels_avx2();
    default: return optim_kernels_scalar();
  }
}

void require(bool ok, const std::string& msg) {
  if (!ok) throw InvalidArgument("optimizer: " + msg);
}

bool finite_nonneg(float x) { return std::isfinite(x) && x >= 0.f; }

void validate(const OptimConfig& c) {
  require(static_cast<int>(c.kind) >= 0 && static_cast<int>(c.kind) < kOptimKindCount, "unknown optimizer kind");
  require(finite_nonneg(c.learning_rate), "learning_rate must be a finite number >= 0, got " + std::to_string(c.learning_rate));
  require(finite_nonneg(c.weight_decay), "weight_decay must be >= 0");
  require(finite_nonneg(c.epsilon), "epsilon must be >= 0");
  require(c.beta_1 >= 0.f && c.beta_1 < 1.f, "beta_1 must be in [0, 1), got " + std::to_string(c.beta_1));
  require(c.beta_2 >= 0.f && c.beta_2 < 1.f, "beta_2 must be in [0, 1), got " + std::to_string(c.beta_2));
  require(c.momentum >= 0.f && c.momentum <= 1.f, "momentum must be in [0, 1], got " + std::to_string(c.momentum));
  require(c.rho >= 0.f && c.rho <= 1.f, "rho must be in [0, 1], got " + std::to_string(c.rho));
  require(finite_nonneg(c.clip_norm) && finite_nonneg(c.global_clip_norm) && finite_nonneg(c.clip_value),
          "clip values must be finite numbers >= 0");
  int clips = (c.clip_norm > 0) + (c.global_clip_norm > 0) + (c.clip_value > 0);
  require(clips <= 1, "only one of clipNorm, globalClipNorm and clipValue may be set (as in Keras)");
}

double sum_squares(const float* g, std::size_t n) {
  double s = 0;
  for (std::size_t i = 0; i < n; ++i) s += static_cast<double>(g[i]) * g[i];
  return s;
}

}  // namespace

int optim_state_count(const OptimConfig& c) {
  switch (c.kind) {
    case OptimKind::sgd: return c.momentum != 0.f ? 1 : 0;
    case OptimKind::adam:
    case OptimKind::adamw: return c.amsgrad ? 3 : 2;
    case OptimKind::rmsprop: return 1 + (c.momentum > 0.f) + (c.centered ? 1 : 0);
    case OptimKind::adagrad: return 1;
    case OptimKind::adadelta: return 2;
    case OptimKind::nadam: return 2;
  }
  return 0;
}

OptimScalars optim_scalars(const OptimConfig& c, std::int64_t iterations, double u_product_after) {
  OptimScalars s{};
  const double t = static_cast<double>(iterations) + 1;  // Keras: local_step = iterations + 1
  const double lr = c.learning_rate, b1 = c.beta_1, b2 = c.beta_2;
  s.lr = c.learning_rate;
  s.beta_1 = c.beta_1;
  s.beta_2 = c.beta_2;
  s.one_minus_beta_1 = static_cast<float>(1 - b1);
  s.one_minus_beta_2 = static_cast<float>(1 - b2);
  s.epsilon = c.epsilon;
  s.momentum = c.momentum;
  s.rho = c.rho;
  s.one_minus_rho = static_cast<float>(1 - static_cast<double>(c.rho));
  s.decay = static_cast<float>(static_cast<double>(c.weight_decay) * lr);
  // Adam: alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t).
  s.adam_alpha = static_cast<float>(lr * std::sqrt(1 - std::pow(b2, t)) / (1 - std::pow(b1, t)));
  // Nadam: u_t = beta_1 (1 - 0.5 * 0.96^t); u_product_t already includes u_t (Keras multiplies it
  // in _backend_update_step before the per-variable update_step).
  const double u_t = b1 * (1 - 0.5 * std::pow(0.96, t));
  const double u_t1 = b1 * (1 - 0.5 * std::pow(0.96, t + 1));
  const double up_t = u_product_after, up_t1 = up_t * u_t1;
  s.nadam_a = static_cast<float>(lr * u_t1 / (1 - up_t1));
  s.nadam_b = static_cast<float>(lr * (1 - u_t) / (1 - up_t));
  s.nadam_vscale = static_cast<float>(1 / (1 - std::pow(b2, t)));
  s.nesterov = c.nesterov;
  s.amsgrad = c.amsgrad;
  s.centered = c.centered;
  s.clip_value = c.clip_value;
  return s;
}

void optim_grad_scales(const OptimConfig& c, const ParamSlot* slots, std::size_t count, float* out) {
  for (std::size_t k = 0; k < count; ++k) out[k] = 1.f;
  if (c.clip_norm > 0) {
    // Keras _clip_by_norm: g * clipnorm / max(||g||, clipnorm); a zero gradient stays zero.
    const double cn = c.clip_norm;
    for (std::size_t k = 0; k < count; ++k) {
      double norm = std::sqrt(sum_squares(slots[k].grad, slots[k].n));
      out[k] = static_cast<float>(cn / std::max(norm, cn));
    }
  } else if (c.global_clip_norm > 0) {
    // Keras clip_by_global_norm: scale = clip * min(1/||G||, 1/clip) + (||G|| - ||G||), so a
    // non-finite global norm turns every gradient into NaN (and the step visibly fails) instead of
    // being silently ignored.
    double ss = 0;
    for (std::size_t k = 0; k < count; ++k) ss += sum_squares(slots[k].grad, slots[k].n);
    const double norm = std::sqrt(ss), cn = c.global_clip_norm;
    double scale = cn * std::min(1 / norm, 1 / cn) + (norm - norm);
    for (std::size_t k = 0; k < count; ++k) out[k] = static_cast<float>(scale);
  }
}

void optimizer_step(const OptimConfig& c, const ParamSlot* slots, std::size_t count, std::int64_t iterations,
                    double* nadam_u_product) {
  validate(c);
  require(iterations >= 0, "iterations must be >= 0");
  require(count == 0 || slots != nullptr, "no parameter slots");
  const int nstate = optim_state_count(c);
  for (std::size_t k = 0; k < count; ++k) {
    const ParamSlot& p = slots[k];
    require(p.n == 0 || (p.param && p.grad), "parameter " + std::to_string(k) + " has no data or gradient");
    for (int j = 0; j < nstate; ++j)
      require(p.n == 0 || p.state[j], "parameter " + std::to_string(k) + " is missing optimizer state " + std::to_string(j));
  }
  double u_product = 1.0;
  if (c.kind == OptimKind::nadam) {
    require(nadam_u_product != nullptr, "nadam needs its u_product");
    const double t = static_cast<double>(iterations) + 1;
    u_product = *nadam_u_product * c.beta_1 * (1 - 0.5 * std::pow(0.96, t));
  }
  const OptimScalars s = optim_scalars(c, iterations, u_product);

  // Clipping factors first (they need every gradient's norm before any update).
  float small_scales[64];
  std::unique_ptr<float[]> big_scales;
  float* scales = small_scales;
  if (count > 64) {
    big_scales.reset(new float[count]);
    scales = big_scales.get();
  }
  optim_grad_scales(c, slots, count, scales);

  const OptimKernel kernel = kernels_for(active_isa()).update[static_cast<int>(c.kind)];
  // Small tensors run one after another on the caller; large ones are split over the pool. The
  // split only chooses which thread updates which elements: every element's arithmetic is the
  // same, so results do not depend on the thread count.
  constexpr std::size_t kParallelMin = 1 << 15, kGrain = 1 << 13;
  for (std::size_t k = 0; k < count; ++k) {
    const ParamSlot& p = slots[k];
    if (p.n >= kParallelMin && num_threads() > 1) {
      parallel_range(p.n, kGrain, [&](std::size_t b, std::size_t e) { kernel(s, p, scales[k], b, e); });
    } else if (p.n > 0) {
      kernel(s, p, scales[k], 0, p.n);
    }
  }
  if (c.kind == OptimKind::nadam) *nadam_u_product = u_product;
}

}  // namespace convkit
