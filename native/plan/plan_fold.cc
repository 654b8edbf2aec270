#include "plan/plan_fold.h"

#include <cmath>
#include <cstdlib>
#include <string>

#include "conv/conv_desc.h"

namespace convkit {
namespace {

constexpr std::size_t kNone = static_cast<std::size_t>(-1);

// Who produces and who reads each value of a spec (recomputed after every rewrite).
struct Graph {
  std::vector<std::size_t> readers, producer, reader;  // reader: the last step reading it
  std::vector<bool> external;                          // a plan input or output
  bool ok = true;
  explicit Graph(const PlanSpec& s) {
    const std::size_t nv = s.values.size();
    readers.assign(nv, 0), producer.assign(nv, kNone), reader.assign(nv, kNone), external.assign(nv, false);
    for (std::size_t v : s.inputs) (v < nv ? external[v] = true : ok = false);
    for (std::size_t v : s.outputs) (v < nv ? external[v] = true : ok = false);
    for (std::size_t i = 0; ok && i < s.steps.size(); ++i) {
      for (std::size_t v : s.steps[i].inputs) {
        if (v >= nv) {
          ok = false;
          return;
        }
        ++readers[v], reader[v] = i;
      }
      const std::size_t o = s.steps[i].output;
      if (o >= nv || producer[o] != kNone) {  // invalid: reported by the builder
        ok = false;
        return;
      }
      producer[o] = i;
    }
  }
  // A value only step `i` reads, produced by an earlier step, and not handed to the caller.
  bool private_to(std::size_t v, std::size_t i) const {
    return v < readers.size() && !external[v] && readers[v] == 1 && reader[v] == i && producer[v] != kNone && producer[v] < i;
  }
};

PlanSpec drop_steps(PlanSpec s, const std::vector<bool>& drop) {
  std::vector<PlanStepSpec> kept;
  kept.reserve(s.steps.size());
  for (std::size_t i = 0; i < s.steps.size(); ++i)
    if (!drop[i]) kept.push_back(std::move(s.steps[i]));
  s.steps = std::move(kept);
  return s;
}

bool relu_like(Activation a) { return a == Activation::relu || a == Activation::relu6; }

// Whether a batch norm's weights are the sizes a fold needs for C channels (else the batch norm
// stays a step and the builder reports what is wrong with it).
bool foldable_bn(const PlanStepSpec& bn, std::size_t C) {
  if (bn.inputs.size() != 1 || bn.weights.size() != 4 || !(bn.epsilon > 0)) return false;
  for (std::size_t k = 0; k < 4; ++k) {
    const PlanWeight& w = bn.weights[k];
    const bool optional = k >= 2;  // gamma, beta may be absent (Keras scale/center false)
    if (!((w.size == C && w.data) || (optional && w.size == 0))) return false;
  }
  return true;
}

// 0. A conv's own ReLU/ReLU6 (Conv2D(activation='relu'), which the eager layer fuses into the
// conv) out of the conv, as an in-place step after it. The conv algorithms apply an epilogue
// activation with a scalar loop per output pixel or row (native/conv/conv_common.cc
// apply_activation), the unary step with the vectorised kernel over whole blocks; ReLU is exact
// either way, so the values do not change. Measured (one process alternating both plans, busy
// machine, medians): LeNet-5 b32/b64/b256 0.200-0.206 / 0.395-0.412 / 1.54-1.68 ms vs
// 0.206-0.213 / 0.406-0.423 / 1.50-1.77; small VGG b8 1.98-2.00 vs 2.13-2.19 ms, b1 0.287-0.304
// vs 0.300-0.318 ms. Other activations stay in the conv (a separate sigmoid/tanh kernel would
// round differently from the eager layer's).
PlanSpec split_conv_relus(const PlanSpec& spec) {
  PlanSpec s = spec;
  std::vector<PlanStepSpec> steps;
  steps.reserve(s.steps.size());
  for (PlanStepSpec& st : s.steps) {
    const bool split = st.kind == PlanStepKind::conv && relu_like(st.conv.act) && st.output < s.values.size();
    if (!split) {
      steps.push_back(std::move(st));
      continue;
    }
    PlanStepSpec u;
    u.kind = PlanStepKind::unary;
    u.name = st.name;
    u.unary = st.conv.act == Activation::relu6 ? UnaryOp::relu6 : UnaryOp::relu;
    u.output = st.output;
    u.inputs = {s.values.size()};  // a new value: the conv's output before the activation
    s.values.push_back(s.values[st.output]);
    st.output = u.inputs[0];
    st.conv.act = Activation::none;
    steps.push_back(std::move(st));
    steps.push_back(std::move(u));
  }
  s.steps = std::move(steps);
  return s;
}

// 1. Batch norm into the conv / dense step before it (see plan_fold.h).
PlanSpec fold_batch_norms(const PlanSpec& spec) {
  PlanSpec s = spec;
  Graph g(s);
  if (!g.ok) return spec;
  std::vector<bool> drop(s.steps.size(), false);
  for (std::size_t i = 0; i < s.steps.size(); ++i) {
    const PlanStepSpec& bn = s.steps[i];
    if (bn.kind != PlanStepKind::batch_norm || bn.inputs.size() != 1) continue;
    const std::size_t v = bn.inputs[0];
    if (!g.private_to(v, i) || s.values[bn.output] != s.values[v]) continue;
    const std::size_t p = g.producer[v];
    PlanStepSpec& ps = s.steps[p];
    if (drop[p] || !ps.fold_bn.empty()) continue;
    // The conv's own activation would come between conv and batch norm: no fold then.
    const bool conv = ps.kind == PlanStepKind::conv && ps.conv.act == Activation::none && ps.conv.K == s.values[v].back();
    const bool dense = ps.kind == PlanStepKind::dense && ps.act == Activation::none && ps.dense_n == s.values[v].back();
    if (!(conv || dense) || !foldable_bn(bn, s.values[v].back())) continue;
    ps.fold_bn = bn.weights;
    ps.fold_epsilon = bn.epsilon;
    ps.folded.push_back(bn.name);
    ps.output = bn.output;
    drop[i] = true;
  }
  return drop_steps(std::move(s), drop);
}

// 2. ReLU / ReLU6 into the step that produces its input.
PlanSpec fuse_activations(const PlanSpec& spec) {
  PlanSpec s = spec;
  Graph g(s);
  if (!g.ok) return spec;
  std::vector<bool> drop(s.steps.size(), false);
  for (std::size_t i = 0; i < s.steps.size(); ++i) {
    const PlanStepSpec& u = s.steps[i];
    if (u.kind != PlanStepKind::unary || (u.unary != UnaryOp::relu && u.unary != UnaryOp::relu6) || u.inputs.size() != 1) continue;
    const std::size_t v = u.inputs[0];
    if (!g.private_to(v, i) || s.values[u.output] != s.values[v]) continue;
    const std::size_t p = g.producer[v];
    if (drop[p]) continue;
    PlanStepSpec& ps = s.steps[p];
    const Activation act = u.unary == UnaryOp::relu6 ? Activation::relu6 : Activation::relu;
    // Not into a conv: its algorithms apply an epilogue activation per output pixel after the
    // tile is stored, which measured slower than the separate in-place pass over the activations
    // (ResNet-18 224², folded batch norms, one process alternating plans, 3 runs of 100: b1
    // median 10.06-10.30 ms with the ReLU its own step vs 10.17-10.39 ms in the conv epilogue;
    // b8 65.7-68.9 vs 67.2-70.6 ms).
    if (ps.kind == PlanStepKind::dense && ps.act == Activation::none) {
      ps.act = act;  // the GEMM epilogue
      ps.folded.push_back(u.name);
    } else if ((ps.kind == PlanStepKind::batch_norm || ps.kind == PlanStepKind::add || ps.kind == PlanStepKind::bias_add) &&
               !ps.post_unary) {
      ps.post_unary = true;
      ps.post_op = u.unary;
    } else {
      continue;
    }
    ps.output = u.output;
    drop[i] = true;
  }
  return drop_steps(std::move(s), drop);
}

// Whether every element of value v is >= 0 (or NaN) whatever the plan's inputs: the output of a
// ReLU/ReLU6 (a step of its own or fused), or a max / reshape / zero padding of such a value.
bool non_negative(const PlanSpec& s, const Graph& g, std::size_t v, int depth = 0) {
  if (v >= g.producer.size() || g.producer[v] == kNone || depth > 64) return false;
  const PlanStepSpec& p = s.steps[g.producer[v]];
  switch (p.kind) {
    case PlanStepKind::unary: return p.unary == UnaryOp::relu || p.unary == UnaryOp::relu6;
    case PlanStepKind::conv: return relu_like(p.conv.act);
    case PlanStepKind::dense: return relu_like(p.act);
    case PlanStepKind::batch_norm:
    case PlanStepKind::add:
    case PlanStepKind::bias_add: return p.post_unary;
    case PlanStepKind::pool:
    case PlanStepKind::global_pool:
      return p.pool_kind == PoolKind::max && p.inputs.size() == 1 && non_negative(s, g, p.inputs[0], depth + 1);
    case PlanStepKind::alias:
    case PlanStepKind::zero_pad: return p.inputs.size() == 1 && non_negative(s, g, p.inputs[0], depth + 1);
    default: return false;
  }
}

// Adds a zero padding's (before, after) to the padding a descriptor already resolved on the
// padded size, taking the unpadded size as its input. False when `in` does not match.
template <class Desc>
bool widen(Desc& d, const PlanStepSpec& z) {
  for (int k = 0; k < 3; ++k) {
    const std::size_t pb = z.pad_before[k], pa = z.pad_after[k];
    if (d.in[k] <= pb + pa) return false;
    d.in[k] -= pb + pa;
    d.pad_before[k] += pb;
    d.pad_after[k] += pa;
  }
  return true;
}

// 3. Zero padding into the conv / max pooling that reads it.
PlanSpec fold_zero_pads(const PlanSpec& spec) {
  PlanSpec s = spec;
  Graph g(s);
  if (!g.ok) return spec;
  std::vector<bool> drop(s.steps.size(), false);
  for (std::size_t i = 0; i < s.steps.size(); ++i) {
    const PlanStepSpec& z = s.steps[i];
    if (z.kind != PlanStepKind::zero_pad || z.inputs.size() != 1) continue;
    const std::size_t v = z.output;
    if (v >= g.readers.size() || g.external[v] || g.readers[v] != 1) continue;
    const std::size_t c = g.reader[v];
    if (c == kNone || c <= i || drop[c]) continue;
    PlanStepSpec& cs = s.steps[c];
    if (cs.inputs.size() != 1 || cs.inputs[0] != v) continue;
    const std::size_t x = z.inputs[0];
    if (x >= s.values.size() || s.values[x].size() != s.values[v].size()) continue;
    try {
      if (cs.kind == PlanStepKind::conv) {
        // A conv pads with zeros, so the padded values are the same either way. The combined
        // padding must stay below the (dilated) kernel extent, as 'same' padding always is: the
        // algorithms' tilings assume every output window overlaps the input.
        ConvDesc d = cs.conv;
        apply_padding(d, cs.padding);  // resolve 'same' / 'valid' on the padded size
        if (!widen(d, z)) continue;
        bool fits = true;
        for (int k = 0; k < 3; ++k) fits = fits && d.pad_before[k] < d.eff_kernel(k) && d.pad_after[k] < d.eff_kernel(k);
        if (!fits) continue;
        d.finalize();
        cs.conv = d;
      } else if (cs.kind == PlanStepKind::pool && cs.pool_kind == PoolKind::max && non_negative(s, g, x)) {
        // Max pooling skips padding taps instead of reading zeros. With every input >= 0 and at
        // least one real tap per window (pad < window, which finalize enforces: then neither the
        // first nor the last window lies in the padding), max(taps ∪ {0}) = max(taps). A negative
        // input or an average pooling (which divides by the real taps only) would differ.
        PoolDesc d = cs.pool;
        d.finalize(cs.padding);
        if (!widen(d, z)) continue;
        d.finalize(Padding::explicit_);
        cs.pool = d;
      } else {
        continue;
      }
    } catch (const InvalidArgument&) {
      continue;  // not foldable as described: the builder validates the steps as given
    }
    cs.padding = Padding::explicit_;
    cs.inputs[0] = x;
    cs.folded.push_back(z.name);
    drop[i] = true;
  }
  return drop_steps(std::move(s), drop);
}

}  // namespace

PlanSpec optimize_plan_spec(const PlanSpec& spec) {
  // CONVKIT_PLAN_FOLD=0 keeps batch norms and zero paddings as steps of their own, so that a plan
  // agrees bit for bit with the eager layers everywhere (and for A/B measurements of the folds).
  const char* env = std::getenv("CONVKIT_PLAN_FOLD");
  if (env && std::string(env) == "0") return fuse_activations(split_conv_relus(spec));
  return fold_zero_pads(fuse_activations(fold_batch_norms(split_conv_relus(spec))));
}

void fold_batch_norm_weights(std::size_t channels, const PlanWeight& w, const PlanWeight* bias,
                             const std::vector<PlanWeight>& bn, double epsilon, std::vector<float>* w_out,
                             std::vector<float>* b_out) {
  // Inference batch norm after a linear map y = x·W + b, per output channel c (the last, fastest
  // axis of both a conv filter [.., Cin/g, Cout] and a dense kernel [K, N]):
  //   BN(y)_c = (y_c − mean_c) · s_c + beta_c,   s_c = gamma_c / √(var_c + ε)
  //           = x·(W_:,c · s_c) + ((b_c − mean_c) · s_c + beta_c)
  // so W'_:,c = W_:,c · s_c and b'_c = (b_c − mean_c) · s_c + beta_c. Computed in double and
  // rounded to float once per weight.
  std::vector<double> scale(channels);
  b_out->resize(channels);
  for (std::size_t c = 0; c < channels; ++c) {
    const double g = bn[2].size ? static_cast<double>(bn[2].data[c]) : 1.0;
    const double beta = bn[3].size ? static_cast<double>(bn[3].data[c]) : 0.0;
    scale[c] = g / std::sqrt(static_cast<double>(bn[1].data[c]) + epsilon);
    const double b = bias ? static_cast<double>(bias->data[c]) : 0.0;
    (*b_out)[c] = static_cast<float>((b - static_cast<double>(bn[0].data[c])) * scale[c] + beta);
  }
  w_out->resize(w.size);
  for (std::size_t i = 0; i < w.size; ++i)
    (*w_out)[i] = static_cast<float>(static_cast<double>(w.data[i]) * scale[i % channels]);
}

}  // namespace convkit
