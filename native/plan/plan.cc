#include "plan/plan.h"
#include "plan/plan_fold.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <sstream>

#include "pool/zero_pad.h"
#include "runtime/thread_pool.h"

namespace convkit {
namespace {

constexpr const char* kKindNames[kPlanStepKindCount] = {"conv",    "dense", "pool",   "globalPool",
                                                         "zeroPad", "batchNorm", "unary", "softmax",
                                                         "add",     "concat", "alias", "biasAdd"};

// Arena slots start on 64-byte boundaries (16 floats) so kernels see aligned data, as with tensors.
constexpr std::size_t kSlotAlign = kAlignment / sizeof(float);
std::size_t round_slot(std::size_t n) { return (n + kSlotAlign - 1) / kSlotAlign * kSlotAlign; }

// Steps whose kernel reads element i of each input before writing element i of the output (and
// nothing else), so the output may occupy the storage of an input that dies at this step.
bool elementwise(PlanStepKind k) {
  return k == PlanStepKind::unary || k == PlanStepKind::batch_norm || k == PlanStepKind::bias_add || k == PlanStepKind::add ||
         k == PlanStepKind::softmax;  // softmax_f32 documents that y may alias x
}

}  // namespace

const char* plan_step_kind_name(PlanStepKind k) {
  int i = static_cast<int>(k);
  return i >= 0 && i < kPlanStepKindCount ? kKindNames[i] : "?";
}

bool parse_plan_step_kind(const std::string& s, PlanStepKind* out) {
  for (int i = 0; i < kPlanStepKindCount; ++i)
    if (s == kKindNames[i]) {
      *out = static_cast<PlanStepKind>(i);
      return true;
    }
  return false;
}

struct Plan::Step {
  PlanStepKind kind;
  std::string name;
  std::vector<Loc> in;
  std::vector<Shape> in_shapes;
  Loc out;
  Shape out_shape;
  bool in_place = false;
  // conv: the (possibly shared) operator, this plan's descriptor for it and the algorithm then
  std::shared_ptr<ConvOp> conv;
  ConvDesc conv_desc;
  ConvAlgorithm algo = ConvAlgorithm::direct;
  // dense: the (possibly shared) packed kernel; its raw weights are kept so that the packing can
  // be redone if the active ISA changes (tests switch ISAs; the packing is ISA-specific).
  std::size_t M = 0, K = 0, N = 0;
  std::shared_ptr<PlanWeights::Dense> dense;
  Activation act = Activation::none;
  float alpha = 0.f;
  // pool / global pool
  PoolDesc pool;
  PoolKind pool_kind = PoolKind::max;
  std::size_t gN = 0, gP = 0, gC = 0;
  // zero pad
  std::array<std::size_t, 3> zin{{1, 1, 1}}, zb{{0, 0, 0}}, za{{0, 0, 0}};
  // batch norm folded
  std::vector<float> scale, shift;
  // unary; or a relu/relu6 fused into a batch norm, add or bias add (post)
  UnaryOp unary = UnaryOp::relu;
  bool post = false;
  UnaryOp post_op = UnaryOp::relu;
  // softmax / concat
  std::size_t axis = 0;
  // layers folded into this step (plan_fold.h), for describe()
  std::vector<std::string> folded;

  std::string who() const { return "plan step '" + name + "' (" + plan_step_kind_name(kind) + ")"; }
};

Plan::~Plan() = default;

namespace {

[[noreturn]] void fail(const std::string& who, const std::string& msg) { throw InvalidArgument(who + ": " + msg); }

void expect_shape(const std::string& who, const char* what, const Shape& got, const Shape& want) {
  if (got != want) fail(who, std::string(what) + ": expected shape " + shape_str(want) + ", got " + shape_str(got));
}

void expect_weights(const std::string& who, const PlanStepSpec& s, std::size_t n) {
  if (s.weights.size() != n)
    fail(who, "expected " + std::to_string(n) + " weight arrays, got " + std::to_string(s.weights.size()));
}

void expect_weight(const std::string& who, const PlanStepSpec& s, std::size_t i, const char* what, std::size_t n) {
  if (s.weights[i].size != n || (n > 0 && !s.weights[i].data))
    fail(who, std::string(what) + ": expected " + std::to_string(n) + " floats, got " +
                  std::to_string(s.weights[i].size));
}

}  // namespace

namespace {

// Whether a shared ConvOp made for `a` can run `b` after reshape(): everything but the batch,
// the spatial input size and the padding must agree (ConvOp::reshape's contract).
bool reshapable(const ConvDesc& a, const ConvDesc& b) {
  return a.C == b.C && a.K == b.K && a.kernel == b.kernel && a.stride == b.stride && a.dilation == b.dilation &&
         a.groups == b.groups && a.has_bias == b.has_bias && a.act == b.act && a.leaky_alpha == b.leaky_alpha;
}

bool same_geometry(const ConvDesc& a, const ConvDesc& b) {
  return a.N == b.N && a.in == b.in && a.pad_before == b.pad_before && a.pad_after == b.pad_after;
}

}  // namespace

Plan::Plan(const PlanSpec& caller_spec, std::shared_ptr<PlanWeights> shared)
    : Plan(optimize_plan_spec(caller_spec), std::move(shared), 0) {}

Plan::Plan(const PlanSpec& spec, std::shared_ptr<PlanWeights> shared, int /*fused*/)
    : shapes_(spec.values),
      inputs_(spec.inputs),
      outputs_(spec.outputs),
      shared_(shared ? std::move(shared) : std::make_shared<PlanWeights>()) {
  // Building reads and fills the shared weights, which a running plan may be re-shaping.
  std::lock_guard<std::mutex> shared_lock(shared_->mu);
  std::map<std::string, int> ordinal;  // a step's weights key: name + '#' + its ordinal among steps of that name
  const std::size_t nv = shapes_.size();
  const std::size_t ns = spec.steps.size();
  if (inputs_.empty()) throw InvalidArgument("plan: at least one input is required");
  if (outputs_.empty()) throw InvalidArgument("plan: at least one output is required");
  for (auto& sh : shapes_)
    if (sh.empty()) throw InvalidArgument("plan: every value needs a rank >= 1 shape (batch first)");

  // ---- definitions: each value is an input or the output of exactly one step, defined before use.
  constexpr std::size_t kUndef = static_cast<std::size_t>(-1);
  constexpr std::size_t kInput = static_cast<std::size_t>(-2);
  std::vector<std::size_t> def(nv, kUndef);
  for (std::size_t k = 0; k < inputs_.size(); ++k) {
    std::size_t v = inputs_[k];
    if (v >= nv) throw InvalidArgument("plan: input " + std::to_string(k) + " refers to value " + std::to_string(v) +
                                       " but there are " + std::to_string(nv) + " values");
    if (def[v] != kUndef) throw InvalidArgument("plan: value " + std::to_string(v) + " is listed as an input twice");
    def[v] = kInput;
  }
  for (std::size_t i = 0; i < ns; ++i) {
    const auto& s = spec.steps[i];
    std::string who = "plan step " + std::to_string(i) + " '" + s.name + "' (" + plan_step_kind_name(s.kind) + ")";
    if (s.inputs.empty()) fail(who, "has no inputs");
    for (std::size_t v : s.inputs) {
      if (v >= nv) fail(who, "input value " + std::to_string(v) + " is out of range (" + std::to_string(nv) + " values)");
      if (def[v] == kUndef) fail(who, "reads value " + std::to_string(v) + " before any step produces it");
    }
    if (s.output >= nv) fail(who, "output value " + std::to_string(s.output) + " is out of range");
    if (def[s.output] != kUndef) fail(who, "value " + std::to_string(s.output) + " is produced twice");
    def[s.output] = i;
  }
  for (std::size_t k = 0; k < outputs_.size(); ++k) {
    std::size_t v = outputs_[k];
    if (v >= nv || def[v] == kUndef)
      throw InvalidArgument("plan: output " + std::to_string(k) + " refers to a value no step produces");
  }

  // ---- storage roots: an alias shares its input's storage.
  std::vector<std::size_t> root(nv);
  for (std::size_t v = 0; v < nv; ++v) root[v] = v;
  for (std::size_t i = 0; i < ns; ++i) {
    const auto& s = spec.steps[i];
    if (s.kind != PlanStepKind::alias) continue;
    if (s.inputs.size() != 1) fail("plan step '" + s.name + "' (alias)", "expected 1 input");
    if (shape_numel(shapes_[s.inputs[0]]) != shape_numel(shapes_[s.output]))
      fail("plan step '" + s.name + "' (alias)", "cannot view " + shape_str(shapes_[s.inputs[0]]) + " as " +
                                                    shape_str(shapes_[s.output]) + " (different sizes)");
    root[s.output] = root[s.inputs[0]];
  }

  // ---- homes: inputs stay in the caller's buffers; each output is written in place into the
  // caller's output buffer when its storage is a step result not already bound to another output.
  std::vector<Loc> home(nv);
  std::vector<bool> bound(nv, false);
  for (std::size_t k = 0; k < inputs_.size(); ++k) home[inputs_[k]] = Loc{Home::input, k};
  for (std::size_t k = 0; k < outputs_.size(); ++k) {
    std::size_t r = root[outputs_[k]];
    if (def[r] != kInput && !bound[r]) {
      bound[r] = true;
      home[r] = Loc{Home::output, k};
    } else {
      // copied at the end (see copies_ below)
    }
  }

  // ---- lifetimes of arena storage (step index of definition and of last read).
  std::vector<std::size_t> last(nv, 0);
  for (std::size_t v = 0; v < nv; ++v)
    if (def[v] != kInput && def[v] != kUndef) last[v] = def[v];
  for (std::size_t i = 0; i < ns; ++i)
    for (std::size_t v : spec.steps[i].inputs) last[root[v]] = std::max(last[root[v]], i);

  // ---- slots: greedy reuse of freed slots (best fit, growing a free slot if none is big enough).
  struct Slot {
    std::size_t floats = 0;
    bool busy = false;
  };
  std::vector<Slot> slots;
  std::vector<std::size_t> slot_of(nv, kUndef);
  std::vector<bool> in_place(ns, false), handed(nv, false);
  auto is_arena = [&](std::size_t r) { return def[r] != kInput && !bound[r]; };
  auto acquire = [&](std::size_t floats) {
    std::size_t best = kUndef, grow = kUndef;
    for (std::size_t k = 0; k < slots.size(); ++k) {
      if (slots[k].busy) continue;
      if (slots[k].floats >= floats && (best == kUndef || slots[k].floats < slots[best].floats)) best = k;
      if (grow == kUndef || slots[k].floats > slots[grow].floats) grow = k;
    }
    if (best == kUndef && grow != kUndef) (best = grow, slots[grow].floats = floats);
    if (best == kUndef) (best = slots.size(), slots.push_back(Slot{floats, false}));
    slots[best].busy = true;
    return best;
  };
  for (std::size_t i = 0; i < ns; ++i) {
    const auto& s = spec.steps[i];
    if (s.kind == PlanStepKind::alias) continue;
    std::size_t r = s.output;  // a non-alias output is its own root
    std::size_t need = shape_numel(shapes_[r]);
    if (is_arena(r)) {
      if (elementwise(s.kind)) {
        for (std::size_t v : s.inputs) {
          std::size_t q = root[v];
          if (is_arena(q) && last[q] == i && slot_of[q] != kUndef && !handed[q] && shape_numel(shapes_[q]) == need) {
            slot_of[r] = slot_of[q];
            handed[q] = true;  // the slot now belongs to r: not released below
            in_place[i] = true;
            break;
          }
        }
      }
      if (slot_of[r] == kUndef) slot_of[r] = acquire(std::max<std::size_t>(need, 1));
    }
    for (std::size_t v : s.inputs) {
      std::size_t q = root[v];
      if (is_arena(q) && last[q] == i && slot_of[q] != kUndef && !handed[q]) slots[slot_of[q]].busy = false;
    }
    if (is_arena(r) && last[r] == i) slots[slot_of[r]].busy = false;  // produced but never read
  }
  std::vector<std::size_t> slot_at(slots.size());
  std::size_t off = 0;
  for (std::size_t k = 0; k < slots.size(); ++k) (slot_at[k] = off, off += round_slot(slots[k].floats));
  for (std::size_t v = 0; v < nv; ++v)
    if (slot_of[v] != kUndef) home[v] = Loc{Home::arena, slot_at[slot_of[v]], slot_of[v]};
  auto loc_of = [&](std::size_t v) { return home[root[v]]; };

  // ---- steps: validate shapes and prepare weights.
  for (std::size_t i = 0; i < ns; ++i) {
    const auto& s = spec.steps[i];
    auto st = std::make_unique<Step>();
    st->kind = s.kind;
    st->name = s.name;
    st->in_place = in_place[i];
    st->post = s.post_unary;
    st->post_op = s.post_op;
    st->folded = s.folded;
    for (std::size_t v : s.inputs) (st->in.push_back(loc_of(v)), st->in_shapes.push_back(shapes_[v]));
    st->out = loc_of(s.output);
    st->out_shape = shapes_[s.output];
    const std::string who = st->who();
    const Shape& x = st->in_shapes[0];
    const Shape& y = st->out_shape;
    const std::size_t xn = shape_numel(x), yn = shape_numel(y);
    if (s.kind != PlanStepKind::alias) unshared_floats_ += yn;
    auto single = [&] {
      if (s.inputs.size() != 1) fail(who, "expected 1 input, got " + std::to_string(s.inputs.size()));
    };
    switch (s.kind) {
      case PlanStepKind::alias: single(); break;
      case PlanStepKind::conv: {
        single();
        ConvDesc d = s.conv;
        apply_padding(d, s.padding);  // validates, computes the output size
        if (d.input_size() != xn || x[0] != d.N || x.back() != d.C)
          fail(who, "the input " + shape_str(x) + " does not match the convolution " + d.str());
        if (d.output_size() != yn || y[0] != d.N || y.back() != d.K)
          fail(who, "output: the convolution " + d.str() + " gives " + std::to_string(d.output_size()) +
                        " values, the plan expects shape " + shape_str(y));
        expect_weights(who, s, d.has_bias ? 2 : 1);
        expect_weight(who, s, 0, "filter", d.filter_size());
        if (d.has_bias) expect_weight(who, s, 1, "bias", d.K);
        // A folded batch norm (plan_fold.h) makes the operator's filter W' and its bias b'.
        const float* fold_src = s.fold_bn.empty() ? nullptr : s.fold_bn[0].data;
        const bool had_bias = d.has_bias;
        if (fold_src) d.has_bias = true;
        std::string key = s.name + "#" + std::to_string(ordinal[s.name]++);
        auto it = shared_->conv.find(key);
        // Weights are counted as the operator holds them: the copy plus its prepared forms (a
        // Winograd U is 16/9 or 36/9 of the filter), so V8 sees what a plan really costs.
        if (it != shared_->conv.end() && it->second.src == s.weights[0].data && it->second.fold_src == fold_src &&
            reshapable(it->second.op->desc(), d)) {
          st->conv = it->second.op;
          const std::size_t had = st->conv->prepared_bytes();
          st->conv->reshape(d);  // picks the algorithm for this shape; the filter transforms are kept
          new_weight_floats_ += (st->conv->prepared_bytes() - had) / sizeof(float);  // a new transform, if any
        } else if (fold_src) {
          std::vector<float> w, b;
          fold_batch_norm_weights(d.K, s.weights[0], had_bias ? &s.weights[1] : nullptr, s.fold_bn, s.fold_epsilon, &w, &b);
          st->conv = std::make_shared<ConvOp>(d, w.data(), b.data(), s.algorithm);
          shared_->conv[key] = PlanWeights::Conv{s.weights[0].data, fold_src, st->conv};
          new_weight_floats_ += st->conv->prepared_bytes() / sizeof(float);
        } else {
          st->conv = std::make_shared<ConvOp>(d, s.weights[0].data, d.has_bias ? s.weights[1].data : nullptr,
                                              s.algorithm);
          shared_->conv[key] = PlanWeights::Conv{s.weights[0].data, nullptr, st->conv};
          new_weight_floats_ += st->conv->prepared_bytes() / sizeof(float);
        }
        st->conv_desc = st->conv->desc();
        st->algo = st->conv->algorithm();
        workspace_floats_ = std::max(workspace_floats_, st->conv->workspace_floats());
        weight_floats_ += st->conv->prepared_bytes() / sizeof(float);
        break;
      }
      case PlanStepKind::dense: {
        single();
        st->K = s.dense_k;
        st->N = s.dense_n;
        if (st->K == 0 || st->N == 0) fail(who, "input features and units must be positive");
        if (x.back() != st->K) fail(who, "input: expected " + std::to_string(st->K) + " features on the last axis, got shape " + shape_str(x));
        st->M = xn / st->K;
        Shape want = x;
        want.back() = st->N;
        expect_shape(who, "output", y, want);
        if (s.weights.size() != 1 && s.weights.size() != 2)
          fail(who, "expected 1 or 2 weight arrays (kernel, bias), got " + std::to_string(s.weights.size()));
        expect_weight(who, s, 0, "kernel", st->K * st->N);
        if (s.weights.size() == 2) expect_weight(who, s, 1, "bias", st->N);
        st->act = s.act;
        st->alpha = s.act_alpha;
        const float* fold_src = s.fold_bn.empty() ? nullptr : s.fold_bn[0].data;  // a folded batch norm
        const std::size_t nb = s.weights.size() == 2 || fold_src ? st->N : 0;
        std::string key = s.name + "#" + std::to_string(ordinal[s.name]++);
        auto it = shared_->dense.find(key);
        if (it != shared_->dense.end() && it->second->src == s.weights[0].data && it->second->fold_src == fold_src &&
            it->second->K == st->K && it->second->N == st->N && it->second->bias.size() == nb) {
          st->dense = it->second;
        } else {
          auto dw = std::make_shared<PlanWeights::Dense>();
          dw->src = s.weights[0].data;
          dw->fold_src = fold_src;
          dw->K = st->K;
          dw->N = st->N;
          if (fold_src) {
            fold_batch_norm_weights(st->N, s.weights[0], s.weights.size() == 2 ? &s.weights[1] : nullptr, s.fold_bn,
                                    s.fold_epsilon, &dw->w, &dw->bias);
          } else {
            dw->w.assign(s.weights[0].data, s.weights[0].data + st->K * st->N);
            if (nb) dw->bias.assign(s.weights[1].data, s.weights[1].data + nb);
          }
          dw->isa = active_isa();
          dw->packed = pack_b(false, st->K, st->N, dw->w.data(), st->N);
          shared_->dense[key] = dw;
          st->dense = dw;
          new_weight_floats_ += 2 * st->K * st->N + nb;
        }
        weight_floats_ += 2 * st->K * st->N + nb;
        break;
      }
      case PlanStepKind::pool: {
        single();
        PoolDesc d = s.pool;
        d.finalize(s.padding);
        if (d.input_size() != xn || x[0] != d.N || x.back() != d.C)
          fail(who, "the input " + shape_str(x) + " does not match the pooling " + d.str());
        if (d.output_size() != yn) fail(who, "output: the pooling " + d.str() + " does not give shape " + shape_str(y));
        st->pool = d;
        st->pool_kind = s.pool_kind;
        break;
      }
      case PlanStepKind::global_pool: {
        single();
        if (x.size() < 3) fail(who, "expected an input of rank >= 3 ([N, ...spatial, C]), got " + shape_str(x));
        st->gN = x[0];
        st->gC = x.back();
        st->gP = st->gN * st->gC == 0 ? 0 : xn / (st->gN * st->gC);
        if (yn != st->gN * st->gC) fail(who, "output: expected " + std::to_string(st->gN * st->gC) + " values ([N, C]), got shape " + shape_str(y));
        st->pool_kind = s.pool_kind;
        break;
      }
      case PlanStepKind::zero_pad: {
        single();
        if (x.size() < 3 || x.size() > 5) fail(who, "expected an input of rank 3, 4 or 5, got " + shape_str(x));
        std::size_t sp = x.size() - 2;
        Shape want = x;
        for (std::size_t d = 0; d < 3; ++d) {
          st->zb[d] = s.pad_before[d];
          st->za[d] = s.pad_after[d];
          if (d + sp >= 3) {
            st->zin[d] = x[1 + d + sp - 3];
            want[1 + d + sp - 3] += s.pad_before[d] + s.pad_after[d];
          } else if (s.pad_before[d] || s.pad_after[d]) {
            fail(who, "padding given for a dimension the input does not have");
          }
        }
        expect_shape(who, "output", y, want);
        break;
      }
      case PlanStepKind::batch_norm: {
        single();
        expect_shape(who, "output", y, x);
        const std::size_t C = x.back();
        expect_weights(who, s, 4);
        expect_weight(who, s, 0, "moving mean", C);
        expect_weight(who, s, 1, "moving variance", C);
        if (s.weights[2].size) expect_weight(who, s, 2, "gamma", C);
        if (s.weights[3].size) expect_weight(who, s, 3, "beta", C);
        if (!(s.epsilon > 0)) fail(who, "epsilon must be > 0");
        // Folded exactly as the eager layer computes it, in float32 step by step, so that the plan
        // and predictSync agree bit for bit: scale = rsqrt(var + eps) * gamma,
        // shift = beta - mean * scale; y = x * scale + shift.
        const float eps = static_cast<float>(s.epsilon);
        st->scale.resize(C);
        st->shift.resize(C);
        for (std::size_t c = 0; c < C; ++c) {
          float v = s.weights[1].data[c] + eps;
          float sc = static_cast<float>(1.0 / std::sqrt(static_cast<double>(v)));
          if (s.weights[2].size) sc = sc * s.weights[2].data[c];
          float sh = -(s.weights[0].data[c] * sc);
          if (s.weights[3].size) sh = sh + s.weights[3].data[c];
          st->scale[c] = sc;
          st->shift[c] = sh;
        }
        weight_floats_ += 2 * C;
        new_weight_floats_ += 2 * C;
        break;
      }
      case PlanStepKind::bias_add: {
        single();
        expect_shape(who, "output", y, x);
        expect_weights(who, s, 1);
        expect_weight(who, s, 0, "bias", x.back());
        st->shift.assign(s.weights[0].data, s.weights[0].data + x.back());
        weight_floats_ += x.back();
        new_weight_floats_ += x.back();
        break;
      }
      case PlanStepKind::unary: {
        single();
        if (yn != xn) fail(who, "output: expected " + std::to_string(xn) + " values, got shape " + shape_str(y));
        st->unary = s.unary;
        st->alpha = s.unary_alpha;
        break;
      }
      case PlanStepKind::softmax: {
        single();
        expect_shape(who, "output", y, x);
        if (s.axis >= x.size()) fail(who, "axis " + std::to_string(s.axis) + " is out of range for shape " + shape_str(x));
        st->axis = s.axis;
        break;
      }
      case PlanStepKind::add: {
        if (s.inputs.size() < 2) fail(who, "expected at least 2 inputs, got " + std::to_string(s.inputs.size()));
        for (std::size_t k = 0; k < s.inputs.size(); ++k)
          expect_shape(who, ("input " + std::to_string(k)).c_str(), st->in_shapes[k], y);
        break;
      }
      case PlanStepKind::concat: {
        if (s.axis >= y.size() || s.axis == 0) fail(who, "axis " + std::to_string(s.axis) + " is out of range for shape " + shape_str(y));
        Shape want = x;
        want[s.axis] = 0;
        for (std::size_t k = 0; k < s.inputs.size(); ++k) {
          const Shape& xi = st->in_shapes[k];
          bool ok = xi.size() == x.size();
          for (std::size_t d = 0; ok && d < x.size(); ++d) ok = d == s.axis || xi[d] == x[d];
          if (!ok) fail(who, "input " + std::to_string(k) + " " + shape_str(xi) + " does not match input 0 " + shape_str(x) + " outside axis " + std::to_string(s.axis));
          want[s.axis] += xi[s.axis];
        }
        expect_shape(who, "output", y, want);
        st->axis = s.axis;
        break;
      }
    }
    // Arithmetic of the step at the built batch (work_flops() in plan.h): a conv or dense
    // layer does 2 flops per multiply-add, 2 * outputs * (KD*KH*KW*Cin/groups) or 2 * M*K*N;
    // every other step about one operation per output value.
    switch (s.kind) {
      case PlanStepKind::alias: break;
      case PlanStepKind::conv: work_flops_ += 2.0 * static_cast<double>(yn) * static_cast<double>(st->conv_desc.filter_size() / st->conv_desc.K); break;
      case PlanStepKind::dense: work_flops_ += 2.0 * static_cast<double>(st->M) * static_cast<double>(st->K) * static_cast<double>(st->N); break;
      default: work_flops_ += static_cast<double>(yn); break;
    }
    steps_.push_back(std::move(st));
  }
  // Outputs not written in place: copied from the caller's input, or from the output buffer the
  // same storage was bound to (filled by then). Never from the arena (such roots were bound).
  for (std::size_t k = 0; k < outputs_.size(); ++k) {
    std::size_t r = root[outputs_[k]];
    if (home[r].home == Home::output && home[r].at == k) continue;
    copies_.push_back(FinalCopy{home[r], k, shape_numel(shapes_[outputs_[k]])});
  }

  // Runtime batch (run_batch with n < N): every value must carry the batch as its leading
  // dimension, and no step may mix samples (softmax over axis 0 does; concat on axis 0 is refused
  // above).
  batch_ = shapes_[inputs_[0]][0];
  runtime_batch_ = batch_ > 0;
  for (const auto& sh : shapes_) runtime_batch_ = runtime_batch_ && sh[0] == batch_;
  for (const auto& st : steps_) runtime_batch_ = runtime_batch_ && !(st->kind == PlanStepKind::softmax && st->axis == 0);

  workspace_at_ = off;
  arena_floats_ = off + round_slot(workspace_floats_);

  // Sample-parallel runs. Step by step, every step is one parallel region over the thread pool:
  // for small per-sample work (LeNet-size models) the wake-ups and barriers between steps cost as
  // much as the math, and every intermediate makes a round trip through memory. Instead, when
  // each sample's activations are small, the batch is cut into chunks of samples and each thread
  // runs the whole forward pass on the chunks it takes (the kernels' own parallel loops run inline
  // there): one region per run, and a chunk's intermediates stay in that core's cache. Each thread
  // gets its own share of the arena for a chunk's slots (sized for its samples) and its own conv
  // workspace (step-by-step and chunked runs never overlap: runs are serialised). Every
  // value is batch-first and no step mixes samples (runtime_batch_), so a chunk's result is the
  // result for its samples.
  // Measured (busy 2-core machine): LeNet-5 (6K floats per sample) gains 1.1-1.4x, a ResNet-18 at
  // 32x32 (far more per sample) loses 0.8x, its kernels preferring whole-batch parallel loops.
  constexpr std::size_t kMaxChunkedSampleFloats = 16 * 1024;  // 64 KiB of activations per sample
  const std::size_t threads = static_cast<std::size_t>(std::max(1, num_threads()));
  if (runtime_batch_ && threads >= 2 && batch_ >= threads) {
    std::size_t per = 0;
    for (const auto& sl : slots) per += sl.floats / batch_;
    if (per <= kMaxChunkedSampleFloats) {
      chunks_ = threads;
      for (const auto& sl : slots) slot_per_sample_.push_back(sl.floats / batch_);
      const std::size_t c = batch_ / chunks_;
      std::size_t chunk = 0;
      for (std::size_t per_slot : slot_per_sample_) chunk += round_slot(per_slot * c);
      chunk += round_slot(workspace_floats_);
      arena_floats_ = std::max(arena_floats_, chunks_ * chunk);
    }
  }
  for (std::size_t v : inputs_) in_per_sample_.push_back(batch_ ? shape_numel(shapes_[v]) / batch_ : 0);
  for (std::size_t v : outputs_) out_per_sample_.push_back(batch_ ? shape_numel(shapes_[v]) / batch_ : 0);
  arena_ = aligned_array<float>(std::max<std::size_t>(arena_floats_, 1));
}

float* Plan::resolve(const Loc& l, const Ctx& cx) const {
  switch (l.home) {
    case Home::input: return const_cast<float*>((*cx.in)[l.at]);  // only ever read (steps never write inputs)
    case Home::output: return (*cx.out)[l.at];
    default: return cx.base + (cx.slot_at ? cx.slot_at[l.slot] : l.at);
  }
}

void Plan::run(const std::vector<const float*>& inputs, const std::vector<float*>& outputs, const CancelToken& cancel) {
  run_batch(batch_, inputs, outputs, cancel);
}

float* Plan::conv_workspace(std::size_t floats, const Ctx& cx) {
  if (cx.slot_at) return cx.ws;  // chunk: checked to fit before the chunks start
  if (floats <= workspace_floats_) return arena_.get() + workspace_at_;
  if (extra_workspace_.size() < floats) extra_workspace_.resize(floats);
  return extra_workspace_.data();
}

void Plan::run_batch(std::size_t n, const std::vector<const float*>& inputs, const std::vector<float*>& outputs,
                     const CancelToken& cancel) {
  if (n != batch_ && !(runtime_batch_ && n >= 1 && n <= batch_))
    throw InvalidArgument("plan: batch " + std::to_string(n) + " is not available: the plan was built for batch " +
                          std::to_string(batch_) +
                          (runtime_batch_ ? " and runs 1.." + std::to_string(batch_) : " and runs that batch only"));
  if (inputs.size() != inputs_.size())
    throw InvalidArgument("plan: expected " + std::to_string(inputs_.size()) + " input buffers, got " + std::to_string(inputs.size()));
  if (outputs.size() != outputs_.size())
    throw InvalidArgument("plan: expected " + std::to_string(outputs_.size()) + " output buffers, got " + std::to_string(outputs.size()));
  std::lock_guard<std::mutex> lock(shared_->mu);
  const auto started = std::chrono::steady_clock::now();
  std::optional<InlineRegions> inline_regions;
  if (serial_ || runs_on_caller(n)) inline_regions.emplace();
  // Dense kernels packed for another ISA are repacked here, before any chunk could race on it.
  for (auto& s : steps_)
    if (s->kind == PlanStepKind::dense && s->dense->isa != active_isa()) {
      s->dense->packed = pack_b(false, s->K, s->N, s->dense->w.data(), s->N);
      s->dense->isa = active_isa();
    }
  if (profiling_ || !run_sample_parallel(n, inputs, outputs, cancel)) run_steps(n, inputs, outputs, cancel);
  Ctx cx{&inputs, &outputs, arena_.get(), nullptr};
  for (const auto& c : copies_)
    std::memcpy(outputs[c.output], resolve(c.from, cx), (n == batch_ ? c.floats : c.floats / batch_ * n) * sizeof(float));
  last_run_seconds_.store(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
                          std::memory_order_relaxed);
}

void Plan::run_steps(std::size_t n, const std::vector<const float*>& in, const std::vector<float*>& out,
                     const CancelToken& cancel) {
  Ctx cx{&in, &out, arena_.get(), nullptr};
  if (profiling_) {
    using clock = std::chrono::steady_clock;
    for (std::size_t i = 0; i < steps_.size(); ++i) {
      cancel.check();
      if (steps_[i]->kind == PlanStepKind::alias) continue;
      auto t0 = clock::now();
      run_step(*steps_[i], n, cx, cancel);
      times_[i].seconds += std::chrono::duration<double>(clock::now() - t0).count();
      times_[i].runs++;
    }
    return;
  }
  for (auto& s : steps_) {
    cancel.check();
    if (s->kind == PlanStepKind::alias) continue;
    run_step(*s, n, cx, cancel);
  }
}

bool Plan::run_sample_parallel(std::size_t n, const std::vector<const float*>& in, const std::vector<float*>& out,
                               const CancelToken& cancel) {
  const std::size_t T = chunks_;  // arena shares: one per thread
  if (!sample_parallel_ || T < 2 || n < T) return false;
  // Chunks of about n / (4T) samples, claimed one at a time by whichever thread is free, rather
  // than one chunk of n / T per thread: on a 2-core server the event loop runs beside the plan
  // (completing the previous batch, taking new requests), and a thread that loses its core for a
  // while then holds up one small chunk, not half the batch. Smaller chunks cost little here:
  // sample-parallel plans have small per-sample work whose kernels loop over samples anyway.
  // A last chunk with fewer samples runs padded to the same size (every chunk must have one size:
  // the shared conv operators are shaped once, before the tasks start), from pad_. (A single
  // sample on one thread instead of step by step over the pool was measured slower for LeNet-5:
  // 100-120 vs 65 us per request, quiet machine.)
  constexpr std::size_t kChunksPerThread = 4;
  const std::size_t c = std::max<std::size_t>(1, n / (T * kChunksPerThread));
  const std::size_t full = n / c, rest = n - full * c, n_chunks = full + (rest ? 1 : 0);
  // Layout of one chunk of c samples: the slots, then the conv workspace.
  std::vector<std::size_t> slot_at(slot_per_sample_.size());
  std::size_t chunk = 0;
  for (std::size_t k = 0; k < slot_at.size(); ++k) (slot_at[k] = chunk, chunk += round_slot(slot_per_sample_[k] * c));
  const std::size_t ws_at = chunk;
  // Shared conv operators take the chunk's descriptor now (tasks must not re-shape them); each
  // chunk's workspace must fit what is left of its thread's share of the arena.
  std::size_t ws = 0;
  for (auto& s : steps_) {
    if (s->kind != PlanStepKind::conv) continue;
    ConvDesc want = s->conv_desc;
    want.N = c;
    if (!same_geometry(s->conv->desc(), want)) s->conv->reshape(want);
    ws = std::max(ws, s->conv->workspace_floats());
  }
  const std::size_t share = arena_floats_ / T / kSlotAlign * kSlotAlign;
  if (ws_at + ws > share) return false;
  // The padded chunk's staging: c samples of every input, then of every output. Grown once (and
  // zeroed then, so padding samples compute on finite data); their results are dropped.
  std::vector<float*> pad_in(in.size()), pad_out(out.size());
  if (rest) {
    std::size_t floats = 0;
    for (std::size_t k = 0; k < in.size(); ++k) floats += c * in_per_sample_[k];
    for (std::size_t k = 0; k < out.size(); ++k) floats += c * out_per_sample_[k];
    if (pad_.size() < floats) pad_.assign(floats, 0.f);
    float* p = pad_.data();
    for (std::size_t k = 0; k < in.size(); ++k) {
      pad_in[k] = p;
      std::memcpy(p, in[k] + full * c * in_per_sample_[k], rest * in_per_sample_[k] * sizeof(float));
      p += c * in_per_sample_[k];
    }
    for (std::size_t k = 0; k < out.size(); ++k) (pad_out[k] = p, p += c * out_per_sample_[k]);
  }
  std::atomic<std::size_t> next{0};
  parallel_for(std::min(T, n_chunks), [&](std::size_t t) {
    float* base = arena_.get() + t * share;
    std::vector<const float*> ci(in.size());
    std::vector<float*> co(out.size());
    for (std::size_t q = next.fetch_add(1, std::memory_order_relaxed); q < n_chunks; q = next.fetch_add(1, std::memory_order_relaxed)) {
      // This chunk's samples of the caller's buffers (or the padded staging).
      for (std::size_t k = 0; k < in.size(); ++k) ci[k] = q < full ? in[k] + q * c * in_per_sample_[k] : pad_in[k];
      for (std::size_t k = 0; k < out.size(); ++k) co[k] = q < full ? out[k] + q * c * out_per_sample_[k] : pad_out[k];
      Ctx cx{&ci, &co, base, slot_at.data(), base + ws_at, ws};
      for (auto& s : steps_) {
        cancel.check();
        if (s->kind != PlanStepKind::alias) run_step(*s, c, cx, cancel);
      }
    }
  });
  for (std::size_t k = 0; rest && k < out.size(); ++k)
    std::memcpy(out[k] + full * c * out_per_sample_[k], pad_out[k], rest * out_per_sample_[k] * sizeof(float));
  return true;
}

void Plan::run_step(Step& s, std::size_t n, const Ctx& cx, const CancelToken& cancel) {
  const float* x = resolve(s.in[0], cx);
  float* y = resolve(s.out, cx);
  // Every value has the batch as its leading dimension (runtime_batch_, checked by run_batch when
  // n < batch_): a step over n samples sees its shapes with n in front and sizes scaled by n / N.
  const std::size_t N = batch_;
  auto scaled = [n, N](std::size_t floats) { return n == N ? floats : floats / N * n; };  // n == N: also N == 0
  const std::size_t out_numel = scaled(shape_numel(s.out_shape));
  auto with_batch = [n](Shape sh) {
    sh[0] = n;
    return sh;
  };
  switch (s.kind) {
    case PlanStepKind::conv: {
      // A ConvOp shared with a plan for another shape, or run for another batch: re-shaped to this
      // run's descriptor (cheap: the filter transforms are kept and the cost model does not
      // depend on the batch size). Its workspace is per thread tile, not per sample; should the
      // re-shaped operator need more than the arena's share all the same, conv_workspace grows a
      // side buffer once.
      ConvDesc want = s.conv_desc;
      want.N = n;
      if (!same_geometry(s.conv->desc(), want)) s.conv->reshape(want);  // never in a chunk (done before)
      s.conv->run(x, y, conv_workspace(s.conv->workspace_floats(), cx), cancel);
      return;
    }
    case PlanStepKind::dense: {
      PlanWeights::Dense& dw = *s.dense;  // packed for the active ISA by run_batch
      GemmEpilogue epi;
      epi.bias = dw.bias.empty() ? nullptr : dw.bias.data();
      epi.act = s.act;
      epi.leaky_alpha = s.alpha;
      sgemm_packed(false, scaled(s.M), 1.f, x, s.K, *dw.packed, 0.f, y, s.N, &epi, &cancel);
      return;
    }
    case PlanStepKind::pool: {
      PoolDesc d = s.pool;
      d.N = n;
      pool_forward(d, s.pool_kind, x, y, cancel);
      return;
    }
    case PlanStepKind::global_pool: global_pool_forward(n, s.gP, s.gC, s.pool_kind, x, y); return;
    case PlanStepKind::zero_pad: zero_pad_forward(n, s.zin, s.in_shapes[0].back(), s.zb, s.za, x, y); return;
    case PlanStepKind::batch_norm: {
      // y = x * scale[c] + shift[c]: two roundings (no FMA contraction in baseline x86-64 code),
      // as the eager mul-then-add.
      const std::size_t C = s.scale.size();
      if (C == 0) return;
      const std::size_t rows = out_numel / C;
      const float* sc = s.scale.data();
      const float* sh = s.shift.data();
      parallel_range(rows, std::max<std::size_t>(1, 4096 / C), [&](std::size_t b, std::size_t e) {
        for (std::size_t r = b; r < e; ++r) {
          const float* xr = x + r * C;
          float* yr = y + r * C;
          for (std::size_t c = 0; c < C; ++c) {
            float t = xr[c] * sc[c];
            yr[c] = t + sh[c];
          }
        }
        if (s.post) unary_f32(s.post_op, y + b * C, y + b * C, (e - b) * C);
      });
      return;
    }
    case PlanStepKind::bias_add: {
      const std::size_t C = s.shift.size();
      if (C == 0) return;
      const std::size_t rows = out_numel / C;
      const float* b = s.shift.data();
      parallel_range(rows, std::max<std::size_t>(1, 4096 / C), [&](std::size_t r0, std::size_t r1) {
        for (std::size_t r = r0; r < r1; ++r)
          for (std::size_t c = 0; c < C; ++c) y[r * C + c] = x[r * C + c] + b[c];
        if (s.post) unary_f32(s.post_op, y + r0 * C, y + r0 * C, (r1 - r0) * C);
      });
      return;
    }
    case PlanStepKind::unary: unary_f32(s.unary, x, y, out_numel, s.alpha, 0.f, cancel); return;
    case PlanStepKind::softmax: softmax_f32(x, y, with_batch(s.out_shape), s.axis, false, cancel); return;
    case PlanStepKind::add: {
      // Left to right, as the eager Add layer reduces its inputs.
      if (s.post) {
        // Block by block (all inputs have the output's shape, so flat blocks), the fused
        // activation applied to each block while it is in cache. 16K floats: 64 KiB per operand.
        parallel_range(out_numel, 16384, [&](std::size_t b, std::size_t e) {
          const Shape bs{e - b};
          binary_f32(BinaryOp::add, x + b, bs, resolve(s.in[1], cx) + b, bs, y + b, bs);
          for (std::size_t k = 2; k < s.in.size(); ++k) binary_f32(BinaryOp::add, y + b, bs, resolve(s.in[k], cx) + b, bs, y + b, bs);
          unary_f32(s.post_op, y + b, y + b, e - b);
        });
        return;
      }
      const Shape ys = with_batch(s.out_shape);
      binary_f32(BinaryOp::add, x, ys, resolve(s.in[1], cx), ys, y, ys, cancel);
      for (std::size_t k = 2; k < s.in.size(); ++k) binary_f32(BinaryOp::add, y, ys, resolve(s.in[k], cx), ys, y, ys, cancel);
      return;
    }
    case PlanStepKind::concat: {
      const Shape ys = with_batch(s.out_shape);
      std::size_t outer = 1;
      for (std::size_t d = 0; d < s.axis; ++d) outer *= ys[d];
      std::size_t inner = shape_numel(ys) / std::max<std::size_t>(outer, 1);  // floats per outer row of y
      std::size_t col = 0;
      for (std::size_t k = 0; k < s.in.size(); ++k) {
        const float* xk = resolve(s.in[k], cx);
        std::size_t row = outer ? scaled(shape_numel(s.in_shapes[k])) / outer : 0;
        parallel_range(outer, 64, [&](std::size_t b, std::size_t e) {
          for (std::size_t o = b; o < e; ++o) std::memcpy(y + o * inner + col, xk + o * row, row * sizeof(float));
        });
        col += row;
      }
      return;
    }
    case PlanStepKind::alias: return;
  }
}

// Below this many flops a run stays on the calling thread (Plan::runs_on_caller). Measured with
// LeNet-5 (0.85 MFLOP per sample) on the 2-vCPU VM, median of 40 synchronous runs, pooled vs on the
// caller: back to back, batch 1 36 vs 16 us, 2 50 vs 25, 4 49 vs 49, 8 100 vs 124; after 2.5 ms
// idle (the pool worker asleep, as under a 2 ms batching delay), 86 vs 53, 67 vs 54, 108 vs 75,
// 176 vs 142. A pooled step costs a hand-off to the worker and a barrier (and a futex wake of a
// sleeping worker, slow on a VM) whatever its size, and such runs have ~10 steps of a few us each.
// CONVKIT_PLAN_SMALL_RUN_FLOPS overrides it (0 = every run may use the pool), to measure the rule.
double Plan::default_small_run_flops() {
  static const double v = [] {
    if (const char* e = std::getenv("CONVKIT_PLAN_SMALL_RUN_FLOPS")) {
      char* end = nullptr;
      double x = std::strtod(e, &end);
      if (end != e && *end == 0 && x >= 0 && x <= 1e15) return x;
    }
    return 4e6;
  }();
  return v;
}

bool Plan::runs_on_caller(std::size_t n) const {
  if (batch_ == 0) return false;
  return work_flops_ / static_cast<double>(batch_) * static_cast<double>(n) < small_run_flops_;
}

void Plan::set_small_run_flops(double flops) {
  if (!(flops >= 0)) throw InvalidArgument("plan: the small-run limit must be a number of flops >= 0");
  std::lock_guard<std::mutex> lock(shared_->mu);
  small_run_flops_ = flops;
}

void Plan::set_serial(bool on) {
  std::lock_guard<std::mutex> lock(shared_->mu);
  serial_ = on;
}

void Plan::set_sample_parallel(bool on) {
  std::lock_guard<std::mutex> lock(shared_->mu);
  sample_parallel_ = on;
}

void Plan::set_profiling(bool on) {
  std::lock_guard<std::mutex> lock(shared_->mu);
  profiling_ = on;
  times_.assign(steps_.size(), StepTime{});
}

std::vector<Plan::StepTime> Plan::step_times() {
  std::lock_guard<std::mutex> lock(shared_->mu);
  if (times_.size() != steps_.size()) return std::vector<StepTime>(steps_.size());
  return times_;
}

std::vector<PlanStepInfo> Plan::describe() const {
  std::vector<PlanStepInfo> r;
  for (const auto& s : steps_) {
    std::string d;
    if (s->kind == PlanStepKind::conv) d = conv_algorithm_name(s->algo);
    if (s->kind == PlanStepKind::dense) d = "packed";
    if (s->in_place) d = d.empty() ? "in place" : d + ", in place";
    if (s->post) d += std::string(d.empty() ? "" : ", ") + "+" + (s->post_op == UnaryOp::relu6 ? "relu6" : "relu");
    for (const auto& f : s->folded) d += std::string(d.empty() ? "" : ", ") + "+" + f;  // e.g. "winograd, +bn1, +relu1"

    r.push_back(PlanStepInfo{s->name, s->kind, d});
  }
  return r;
}

}  // namespace convkit
