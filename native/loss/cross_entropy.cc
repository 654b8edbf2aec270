// Fused cross-entropy (see cross_entropy.h for the math). Rows are independent and short (the class
// count), and the work is small next to a network's forward and backward, so this is one plain
// loop in double per row: exp/log dominate and precision is free.
#include "loss/cross_entropy.h"

#include <cmath>
#include <limits>
#include <string>

#include "runtime/errors.h"

namespace convkit {
namespace {

void check_args(const std::int32_t* labels, const float* targets, std::size_t n, std::size_t c, float ls) {
  if ((labels == nullptr) == (targets == nullptr))
    throw InvalidArgument("cross_entropy: give exactly one of labels (sparse) or targets (dense)");
  if (c == 0 && n > 0) throw InvalidArgument("cross_entropy: the class dimension is 0");
  if (!(ls >= 0.f && ls <= 1.f)) throw InvalidArgument("cross_entropy: labelSmoothing must be in [0, 1], got " + std::to_string(ls));
  if (labels) {
    for (std::size_t i = 0; i < n; ++i)
      if (labels[i] < 0 || static_cast<std::size_t>(labels[i]) >= c)
        throw InvalidArgument("cross_entropy: label " + std::to_string(labels[i]) + " at row " + std::to_string(i) +
                              " is outside [0, " + std::to_string(c) + ")");
  }
}

// The smoothed target of row i, class j.
inline double target(const std::int32_t* labels, const float* targets, std::size_t i, std::size_t j, std::size_t c,
                     double ls) {
  double t = labels ? (static_cast<std::size_t>(labels[i]) == j ? 1.0 : 0.0) : targets[i * c + j];
  return ls > 0 ? t * (1 - ls) + ls / static_cast<double>(c) : t;
}

}  // namespace

void softmax_cross_entropy(const float* x, const std::int32_t* labels, const float* targets, std::size_t n,
                           std::size_t c, float label_smoothing, float* loss, float* grad, const float* row_scale) {
  check_args(labels, targets, n, c, label_smoothing);
  const double ls = label_smoothing;
  for (std::size_t i = 0; i < n; ++i) {
    const float* xi = x + i * c;
    double mx = xi[0];
    for (std::size_t j = 1; j < c; ++j) mx = std::max(mx, static_cast<double>(xi[j]));
    double se = 0;
    for (std::size_t j = 0; j < c; ++j) se += std::exp(xi[j] - mx);
    const double lse = mx + std::log(se);
    // loss = sum_j t_j (lse - x_j): written this way it is also right when the targets do not sum
    // to 1 (Keras does not renormalise dense targets).
    double l = 0;
    for (std::size_t j = 0; j < c; ++j) {
      double t = target(labels, targets, i, j, c, ls);
      if (t != 0) l += t * (lse - xi[j]);
    }
    loss[i] = static_cast<float>(l);
    if (grad) {
      double tsum = 0;
      for (std::size_t j = 0; j < c; ++j) tsum += target(labels, targets, i, j, c, ls);
      const double scale = row_scale ? row_scale[i] : 1.0;
      float* gi = grad + i * c;
      // d/dx_j sum_k t_k (lse - x_k) = softmax_j * sum(t) - t_j
      for (std::size_t j = 0; j < c; ++j)
        gi[j] = static_cast<float>(scale * (std::exp(xi[j] - lse) * tsum - target(labels, targets, i, j, c, ls)));
    }
  }
}

void probability_cross_entropy(const float* y, const std::int32_t* labels, const float* targets, std::size_t n,
                               std::size_t c, float label_smoothing, float epsilon, float* loss, float* grad,
                               const float* row_scale) {
  check_args(labels, targets, n, c, label_smoothing);
  if (!(epsilon > 0.f && epsilon < 0.5f)) throw InvalidArgument("cross_entropy: epsilon must be in (0, 0.5)");
  const double ls = label_smoothing, eps = epsilon;
  for (std::size_t i = 0; i < n; ++i) {
    const float* yi = y + i * c;
    double s = 0;
    for (std::size_t j = 0; j < c; ++j) s += yi[j];
    if (!std::isfinite(s)) {
      // A NaN or infinite prediction (a diverged model) must give a NaN loss, as in Keras, whose
      // clip(NaN) stays NaN: otherwise the clip below turns it into -log(eps) and TerminateOnNaN
      // never sees it. (The s > 0 test alone would also map a NaN sum to the all-zero-row case.)
      const float nan = std::numeric_limits<float>::quiet_NaN();
      loss[i] = nan;
      if (grad)
        for (std::size_t j = 0; j < c; ++j) grad[i * c + j] = nan;
      continue;
    }
    double l = 0, gq = 0;
    for (std::size_t j = 0; j < c; ++j) {
      double q = s > 0 ? yi[j] / s : 0.0;
      double p = std::min(std::max(q, eps), 1 - eps);
      double t = target(labels, targets, i, j, c, ls);
      l -= t * std::log(p);
      if (grad) {
        double g = (q > eps && q < 1 - eps) ? -t / p : 0.0;
        gq += g * q;
        grad[i * c + j] = static_cast<float>(g);  // temporarily g_j, finished below
      }
    }
    loss[i] = static_cast<float>(l);
    if (grad) {
      const double scale = row_scale ? row_scale[i] : 1.0;
      float* gi = grad + i * c;
      for (std::size_t j = 0; j < c; ++j) gi[j] = s > 0 ? static_cast<float>(scale * (gi[j] - gq) / s) : 0.f;
    }
  }
}

}  // namespace convkit
