// The elementwise optimizer kernels, written once and compiled once per ISA: optim_kernel_scalar.cc,
// optim_kernel_avx2.cc and optim_kernel_avx512.cc each include this file inside their own namespace
// (CK_OPTIM_NS) so the compiler vectorises the same loops with that file's instruction set
// (baseline SSE2, AVX2+FMA, AVX-512). The loops are branch-free in the element index (every option
// is hoisted into a template parameter or a separate loop) so they vectorise: updates are
// memory-bound, and a clean vectorised loop reaches the memory bandwidth.
//
// Formulas: Keras 3, keras/src/optimizers/<name>.py, update_step(); quoted next to each kernel.
// Not a standalone header: no include guard on purpose.
#include <algorithm>
#include <cstddef>

#include "optim/optimizer.h"

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#else
#include <emmintrin.h>
#endif

namespace convkit {
namespace CK_OPTIM_NS {

// Square roots go through this one vector helper over a block. A plain std::sqrt in the loops
// would keep a scalar call to sqrtf per element (for errno; GCC vectorises sqrt only under
// -fno-math-errno, which the build does not use), so every kernel works in blocks of kBlock
// elements: pass 1 updates the moments and writes the sqrt arguments into a stack buffer, this
// helper takes their roots with the ISA's vector sqrt, pass 2 updates the parameter.
constexpr std::size_t kBlock = 256;
static inline void sqrt_block(float* d, std::size_t n) {
  std::size_t i = 0;
#if defined(__AVX512F__)
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(d + i, _mm512_sqrt_ps(_mm512_loadu_ps(d + i)));
#endif
#if defined(__AVX2__)
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(d + i, _mm256_sqrt_ps(_mm256_loadu_ps(d + i)));
#endif
  for (; i + 4 <= n; i += 4) _mm_storeu_ps(d + i, _mm_sqrt_ps(_mm_loadu_ps(d + i)));
  for (; i < n; ++i) _mm_store_ss(d + i, _mm_sqrt_ss(_mm_load_ss(d + i)));
}

template <bool Clip>
static inline float grad_at(const float* g, std::size_t i, float scale, float c) {
  float x = g[i] * scale;
  if (Clip) x = x < -c ? -c : (x > c ? c : x);  // plain ternaries: no std:: templates shared across ISA files
  return x;
}

// Decoupled weight decay, Keras 3 BaseOptimizer._apply_weight_decay: var = var - var * wd * lr.
static inline void weight_decay(const OptimScalars& s, const ParamSlot& p, std::size_t b, std::size_t e) {
  if (s.decay == 0.f) return;
  float* __restrict w = p.param;
  const float d = s.decay;
  for (std::size_t i = b; i < e; ++i) w[i] = w[i] - w[i] * d;
}

// SGD (sgd.py):
//   momentum == 0: var -= lr * g
//   else:          m = momentum * m - lr * g
//                  nesterov: var += momentum * m - lr * g    else: var += m
template <bool Clip>
static void sgd_t(const OptimScalars& s, const ParamSlot& p, float gs, std::size_t b, std::size_t e) {
  weight_decay(s, p, b, e);
  float* __restrict w = p.param;
  const float* __restrict g = p.grad;
  const float lr = s.lr, mu = s.momentum, c = s.clip_value;
  if (mu == 0.f) {
    for (std::size_t i = b; i < e; ++i) w[i] -= lr * grad_at<Clip>(g, i, gs, c);
    return;
  }
  float* __restrict m = p.state[0];
  if (s.nesterov) {
    for (std::size_t i = b; i < e; ++i) {
      float gi = grad_at<Clip>(g, i, gs, c);
      float mi = mu * m[i] - lr * gi;
      m[i] = mi;
      w[i] += mu * mi - lr * gi;
    }
  } else {
    for (std::size_t i = b; i < e; ++i) {
      float gi = grad_at<Clip>(g, i, gs, c);
      float mi = mu * m[i] - lr * gi;
      m[i] = mi;
      w[i] += mi;
    }
  }
}

// Adam / AdamW (adam.py; AdamW = Adam + weight decay, adamw.py):
//   alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
//   m += (g - m) * (1 - beta_1);  v += (g^2 - v) * (1 - beta_2)
//   amsgrad: v_hat = max(v_hat, v), v := v_hat
//   var -= m * alpha / (sqrt(v) + epsilon)
template <bool Clip>
static void adam_t(const OptimScalars& s, const ParamSlot& p, float gs, std::size_t b, std::size_t e) {
  weight_decay(s, p, b, e);
  float* __restrict w = p.param;
  const float* __restrict g = p.grad;
  float* __restrict m = p.state[0];
  float* __restrict v = p.state[1];
  const float a1 = s.one_minus_beta_1, a2 = s.one_minus_beta_2, alpha = s.adam_alpha, eps = s.epsilon, c = s.clip_value;
  float* __restrict vh = s.amsgrad ? p.state[2] : nullptr;
  float d[kBlock];
  for (std::size_t b0 = b; b0 < e; b0 += kBlock) {
    const std::size_t b1 = std::min(e, b0 + kBlock), len = b1 - b0;
    for (std::size_t i = b0; i < b1; ++i) {
      float gi = grad_at<Clip>(g, i, gs, c);
      float mi = m[i] + (gi - m[i]) * a1;
      float vi = v[i] + (gi * gi - v[i]) * a2;
      m[i] = mi;
      v[i] = vi;
      d[i - b0] = vi;
    }
    if (vh) {  // amsgrad: v_hat = max(v_hat, v), the denominator uses v_hat
      for (std::size_t i = b0; i < b1; ++i) {
        float hi = vh[i] > d[i - b0] ? vh[i] : d[i - b0];
        vh[i] = hi;
        d[i - b0] = hi;
      }
    }
    sqrt_block(d, len);
    for (std::size_t i = b0; i < b1; ++i) w[i] -= m[i] * alpha / (d[i - b0] + eps);
  }
}

// RMSprop (rmsprop.py):
//   velocity = rho * velocity + (1 - rho) * g^2
//   centered: average_grad = rho * average_grad + (1 - rho) * g
//             denominator = velocity - average_grad^2 + epsilon      else: velocity + epsilon
//   increment = lr * g / sqrt(denominator)
//   momentum > 0: momentum_buf = momentum * momentum_buf + increment; var -= momentum_buf
//   else:         var -= increment
// State order: [velocity, momentum (if momentum > 0), average_grad (if centered)].
template <bool Clip, bool Centered, bool Momentum>
static void rmsprop_loop(const OptimScalars& s, const ParamSlot& p, float gs, std::size_t b, std::size_t e) {
  float* __restrict w = p.param;
  const float* __restrict g = p.grad;
  float* __restrict vel = p.state[0];
  float* __restrict mom = Momentum ? p.state[1] : nullptr;
  float* __restrict avg = Centered ? p.state[Momentum ? 2 : 1] : nullptr;
  const float rho = s.rho, a = s.one_minus_rho, lr = s.lr, eps = s.epsilon, mu = s.momentum, c = s.clip_value;
  float d[kBlock];
  for (std::size_t b0 = b; b0 < e; b0 += kBlock) {
    const std::size_t b1 = std::min(e, b0 + kBlock), len = b1 - b0;
    for (std::size_t i = b0; i < b1; ++i) {
      float gi = grad_at<Clip>(g, i, gs, c);
      float vi = rho * vel[i] + a * (gi * gi);
      vel[i] = vi;
      if (Centered) {
        float ai = rho * avg[i] + a * gi;
        avg[i] = ai;
        d[i - b0] = vi - ai * ai + eps;
      } else {
        d[i - b0] = vi + eps;
      }
    }
    sqrt_block(d, len);
    for (std::size_t i = b0; i < b1; ++i) {
      float inc = lr * grad_at<Clip>(g, i, gs, c) / d[i - b0];
      if (Momentum) {
        float mi = mu * mom[i] + inc;
        mom[i] = mi;
        w[i] -= mi;
      } else {
        w[i] -= inc;
      }
    }
  }
}
template <bool Clip>
static void rmsprop_t(const OptimScalars& s, const ParamSlot& p, float gs, std::size_t b, std::size_t e) {
  weight_decay(s, p, b, e);
  const bool mom = s.momentum > 0.f;
  if (s.centered) {
    if (mom) rmsprop_loop<Clip, true, true>(s, p, gs, b, e);
    else rmsprop_loop<Clip, true, false>(s, p, gs, b, e);
  } else {
    if (mom) rmsprop_loop<Clip, false, true>(s, p, gs, b, e);
    else rmsprop_loop<Clip, false, false>(s, p, gs, b, e);
  }
}

// Adagrad (adagrad.py):
//   accumulator += g^2
//   var -= lr * g / sqrt(accumulator + epsilon)
template <bool Clip>
static void adagrad_t(const OptimScalars& s, const ParamSlot& p, float gs, std::size_t b, std::size_t e) {
  weight_decay(s, p, b, e);
  float* __restrict w = p.param;
  const float* __restrict g = p.grad;
  float* __restrict acc = p.state[0];
  const float lr = s.lr, eps = s.epsilon, c = s.clip_value;
  float d[kBlock];
  for (std::size_t b0 = b; b0 < e; b0 += kBlock) {
    const std::size_t b1 = std::min(e, b0 + kBlock), len = b1 - b0;
    for (std::size_t i = b0; i < b1; ++i) {
      float gi = grad_at<Clip>(g, i, gs, c);
      float ai = acc[i] + gi * gi;
      acc[i] = ai;
      d[i - b0] = ai + eps;
    }
    sqrt_block(d, len);
    for (std::size_t i = b0; i < b1; ++i) w[i] -= lr * grad_at<Clip>(g, i, gs, c) / d[i - b0];
  }
}

// Adadelta (adadelta.py), rms(x) = sqrt(x + epsilon):
//   accumulated_grad = rho * accumulated_grad + (1 - rho) * g^2
//   delta_var = -rms(accumulated_delta_var) * g / rms(accumulated_grad)
//   accumulated_delta_var = rho * accumulated_delta_var + (1 - rho) * delta_var^2
//   var += lr * delta_var
template <bool Clip>
static void adadelta_t(const OptimScalars& s, const ParamSlot& p, float gs, std::size_t b, std::size_t e) {
  weight_decay(s, p, b, e);
  float* __restrict w = p.param;
  const float* __restrict g = p.grad;
  float* __restrict ag = p.state[0];
  float* __restrict ad = p.state[1];
  const float rho = s.rho, a = s.one_minus_rho, lr = s.lr, eps = s.epsilon, c = s.clip_value;
  float num[kBlock], den[kBlock];
  for (std::size_t b0 = b; b0 < e; b0 += kBlock) {
    const std::size_t b1 = std::min(e, b0 + kBlock), len = b1 - b0;
    for (std::size_t i = b0; i < b1; ++i) {
      float gi = grad_at<Clip>(g, i, gs, c);
      float agi = rho * ag[i] + a * (gi * gi);
      ag[i] = agi;
      num[i - b0] = ad[i] + eps;
      den[i - b0] = agi + eps;
    }
    sqrt_block(num, len);
    sqrt_block(den, len);
    for (std::size_t i = b0; i < b1; ++i) {
      float dv = -(num[i - b0] * grad_at<Clip>(g, i, gs, c)) / den[i - b0];
      ad[i] = rho * ad[i] + a * (dv * dv);
      w[i] += lr * dv;
    }
  }
}

// Nadam (nadam.py), with u_t = beta_1 * (1 - 0.5 * 0.96^t), u_product_t = prod_{k<=t} u_k:
//   m += (g - m) * (1 - beta_1);  v += (g^2 - v) * (1 - beta_2)
//   m_hat = u_{t+1} * m / (1 - u_product_t * u_{t+1}) + (1 - u_t) * g / (1 - u_product_t)
//   v_hat = v / (1 - beta_2^t)
//   var -= m_hat * lr / (sqrt(v_hat) + epsilon)
// nadam_a / nadam_b fold lr into the two m_hat coefficients.
template <bool Clip>
static void nadam_t(const OptimScalars& s, const ParamSlot& p, float gs, std::size_t b, std::size_t e) {
  weight_decay(s, p, b, e);
  float* __restrict w = p.param;
  const float* __restrict g = p.grad;
  float* __restrict m = p.state[0];
  float* __restrict v = p.state[1];
  const float a1 = s.one_minus_beta_1, a2 = s.one_minus_beta_2, ca = s.nadam_a, cb = s.nadam_b,
              vs = s.nadam_vscale, eps = s.epsilon, c = s.clip_value;
  float d[kBlock];
  for (std::size_t b0 = b; b0 < e; b0 += kBlock) {
    const std::size_t b1 = std::min(e, b0 + kBlock), len = b1 - b0;
    for (std::size_t i = b0; i < b1; ++i) {
      float gi = grad_at<Clip>(g, i, gs, c);
      float mi = m[i] + (gi - m[i]) * a1;
      float vi = v[i] + (gi * gi - v[i]) * a2;
      m[i] = mi;
      v[i] = vi;
      d[i - b0] = vi * vs;
    }
    sqrt_block(d, len);
    for (std::size_t i = b0; i < b1; ++i) w[i] -= (ca * m[i] + cb * grad_at<Clip>(g, i, gs, c)) / (d[i - b0] + eps);
  }
}

#define CK_OPTIM_DISPATCH(fn)                                                                             \
  static void fn(const OptimScalars& s, const ParamSlot& p, float gs, std::size_t b, std::size_t e) { \
    if (s.clip_value > 0.f) fn##_t<true>(s, p, gs, b, e);                                                 \
    else fn##_t<false>(s, p, gs, b, e);                                                                   \
  }
CK_OPTIM_DISPATCH(sgd)
CK_OPTIM_DISPATCH(adam)
CK_OPTIM_DISPATCH(rmsprop)
CK_OPTIM_DISPATCH(adagrad)
CK_OPTIM_DISPATCH(adadelta)
CK_OPTIM_DISPATCH(nadam)
#undef CK_OPTIM_DISPATCH

// Indexed by OptimKind: sgd, adam, adamw (= adam), rmsprop, adagrad, adadelta, nadam.
static const OptimKernels kKernels = {{&sgd, &adam, &adam, &rmsprop, &adagrad, &adadelta, &nadam}};

}  // namespace CK_OPTIM_NS
}  // namespace convkit
