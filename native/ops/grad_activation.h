// Backward kernels of elementwise activations and of batch normalisation, used by the autodiff
// tape (lib/autodiff/gradients). The activation derivatives run on the elementwise family's per-ISA
// kernels; batch normalisation's loops accumulate in double.
#pragma once
#include <cstddef>

namespace convkit::grad {

// Which derivative: dx = dy * f'(.) evaluated from `in` (the op's input x, or its output y where
// noted, which is cheaper and exact).
enum class ActGrad {
  relu,        // in = x: x > 0
  relu6,       // in = x: 0 < x < 6
  leaky_relu,  // in = x: x > 0 ? 1 : alpha
  elu,         // in = x: x > 0 ? 1 : alpha * exp(x)
  sigmoid,     // in = y: y (1 - y)
  tanh,        // in = y: 1 - y^2
  softplus,    // in = x: sigmoid(x)
  swish,       // in = x: s + x s (1 - s), s = sigmoid(x)
  clip,        // in = x: alpha <= x <= beta
};

void activation_grad(ActGrad kind, const float* in, const float* dy, float* dx, std::size_t n, float alpha,
                     float beta);

// Training-mode batch normalisation over rows x C (channels last, rows = all other axes):
//   mean_c = Σ_r x / R,  var_c = Σ_r (x - mean)^2 / R (biased),  invstd_c = 1 / sqrt(var_c + eps)
//   y = (x - mean) * invstd * gamma + beta        (gamma / beta may be null: 1 / 0)
void batch_norm_train_forward(const float* x, std::size_t rows, std::size_t C, const float* gamma,
                              const float* beta, float eps, float* y, float* mean, float* var, float* invstd);

// Its backward (Ioffe & Szegedy 2015, eq. after Alg. 1), with x̂ = (x - mean) invstd:
//   dbeta = Σ_r dy,  dgamma = Σ_r dy x̂,
//   dx = gamma invstd / R * (R dy - dbeta - x̂ dgamma)
// dgamma / dbeta may be null when not needed; gamma null means 1.
void batch_norm_train_backward(const float* x, const float* dy, std::size_t rows, std::size_t C, const float* mean,
                               const float* invstd, const float* gamma, float* dx, float* dgamma, float* dbeta);

}  // namespace convkit::grad
