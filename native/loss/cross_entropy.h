// Categorical cross-entropy, fused with its gradient, over rows of class scores.
//
// Two entry points, as Keras's `from_logits` flag:
//  - softmax_cross_entropy: from logits. loss_i = logsumexp(x_i) - sum_j t_ij x_ij (with
//    sum_j t_ij = 1), computed with the row max subtracted so logits of +-1e4 stay finite;
//    d loss_i / d x_ij = softmax(x_i)_j - t_ij.
//  - probability_cross_entropy: from probabilities, as Keras 3 (backend categorical_crossentropy /
//    sparse_categorical_crossentropy, numpy/jax backends): p = y / sum(y), clipped to
//    [epsilon, 1 - epsilon] (Keras's epsilon() = 1e-7), loss_i = -sum_j t_ij log(p_ij).
//    Gradient through the normalisation and the clip (zero where clipped):
//      g_j = -t_j / p_j (0 where clipped);  d loss / d y_k = (g_k - sum_j g_j q_j) / s,  q = y / s.
//    A row of all zeros (s = 0) is where Keras gives NaN (0/0); here it counts as p = 0 everywhere,
//    clipped to epsilon: loss = -log(epsilon) * sum(t) (about 16.1) and a zero gradient.
//
// Targets are either sparse class indices (labels, int32 [n]; InvalidArgument if outside [0, c))
// or dense rows (targets, float [n, c]); exactly one is given. Label smoothing ls (Keras
// CategoricalCrossentropy(label_smoothing)): t' = t (1 - ls) + ls / c; allowed for sparse labels
// too (as if one-hot encoded first).
//
// loss receives n per-row losses (before any reduction); grad (nullable) receives [n, c] gradients
// of loss_i, each row multiplied by row_scale[i] (nullable: 1) — the reduction's weight of the row
// (sample weight / batch size for Keras's sum_over_batch_size), so the caller gets d(reduced loss)
// directly.
#pragma once
#include <cstddef>
#include <cstdint>

namespace convkit {

void softmax_cross_entropy(const float* logits, const std::int32_t* labels, const float* targets, std::size_t n,
                           std::size_t c, float label_smoothing, float* loss, float* grad, const float* row_scale);

void probability_cross_entropy(const float* probs, const std::int32_t* labels, const float* targets, std::size_t n,
                               std::size_t c, float label_smoothing, float epsilon, float* loss, float* grad,
                               const float* row_scale);

}  // namespace convkit
