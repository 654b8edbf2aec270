// Rewrites of a plan spec before it is built (plan.h): steps merged into their neighbours where the
// merged step computes the same function, so a run makes fewer passes over the activations.
//
//  0. split_conv_relus: a conv's own ReLU/ReLU6 runs as an in-place step after it (faster than
//     the conv epilogue's, same values; see .cc). A batch norm after it then stays a step.
//  1. fold_batch_norms: an inference batch norm whose input is a conv (or dense) step's output
//     read by nothing else becomes part of that step's weights (the step carries the batch norm's
//     weights in fold_bn; the build computes W', b', see plan.cc). Not bit-identical to the eager
//     layers (one rounding of W·s instead of two of (x·W)·s + t): within a few float32 ulps.
//  2. fuse_activations: a ReLU/ReLU6 whose input is read by nothing else is applied by the step
//     that produces it: a dense step (GEMM epilogue), or a batch norm, add or bias add (block by
//     block while in cache). ReLU is exact, so this changes no value. (Not a conv: see .cc.)
//  3. fold_zero_pads: a ZeroPadding step read only by a conv becomes the conv's explicit zero
//     padding (same values); read only by a max pooling, it becomes the pooling's padding when
//     the padded input is known to be >= 0 and every window keeps a real input (see plan_fold.cc).
//
// CONVKIT_PLAN_FOLD=0 (read at each build) turns rewrites 1 and 3 off: plans then agree with the
// eager layers bit for bit (0 and 2 change no value).
//
// Values that are plan inputs or outputs, or that any other step (an alias included) reads, are
// never merged away. A spec that does not validate is returned unchanged, for the builder's checks
// to report.
#pragma once
#include "plan/plan.h"

namespace convkit {

// All rewrites, in the order above (an activation fuses into a dense step once its batch
// norm is folded; zero pads fold into a max pooling once the ReLU before them is known).
PlanSpec optimize_plan_spec(const PlanSpec& spec);

// The weights of a conv or dense step with a batch norm folded in (fold_bn, epsilon): `w` has
// its output channel as the last (fastest) axis, `bias` is the step's own bias or null. Writes
// W' (w.size floats) and b' (channels floats); see plan_fold.cc for the algebra.
void fold_batch_norm_weights(std::size_t channels, const PlanWeight& w, const PlanWeight* bias,
                             const std::vector<PlanWeight>& bn, double epsilon, std::vector<float>* w_out,
                             std::vector<float>* b_out);

}  // namespace convkit
