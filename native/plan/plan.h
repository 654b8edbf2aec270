// The inference plan: a model's forward pass compiled once for one input shape (batch included)
// and then run many times.
//
// A plan is a list of steps over *values* (tensors of known shape). Everything that does not
// depend on the input data is done at build time, so that a run only does the math:
//  - weights are copied in and pre-transformed: a conv keeps a ConvOp (algorithm chosen once,
//    Winograd/FFT filter transforms made once), a dense layer keeps its weight matrix packed for
//    the GEMM micro-kernel (pack_b), a batch norm is folded into a per-channel scale and shift
//    or, after a conv / dense step that nothing else reads, into that step's weights
//    (plan_fold.h, which also folds zero paddings into the next conv's or max pooling's padding);
//  - every intermediate value gets a slot in one arena (64-byte aligned), reused between values
//    whose lifetimes do not overlap; elementwise steps write in place over an input that dies
//    there; one workspace region (the largest any conv needs) is shared by all steps, since steps
//    run one after another;
//  - reshapes (Flatten, Reshape) and inference-time identities (Dropout, GaussianNoise) are
//    `alias` steps: the output value shares its input's storage, no copy;
//  - each model output is written straight into the caller's output buffer when it is the
//    result of a step; only an output that is an alias of an input or of another output is copied.
//
// Consequently a run allocates nothing (the caller provides input and output buffers).
//
// Prepared weights are shared by the plans of one model (one plan per batch size, say) through a
// PlanWeights object: a conv's ConvOp (filter copy, algorithm, Winograd/FFT transforms) and a dense
// layer's packed kernel are made by the first plan that needs them and reused by the others; a
// shared ConvOp is re-shaped to the running plan's descriptor before it runs (the algorithm is
// re-picked, the filter transforms are kept).
//
// Concurrency: runs of all plans sharing one PlanWeights are serialised by its mutex (each plan has
// one arena, and shared ConvOps are re-shaped per run). This costs no throughput: each step's
// parallel loops take the whole process-wide thread pool anyway (regions from different callers
// are serialised there too). Plans with different PlanWeights run independently.
//
// Weights are copied at build: later changes to the model's weights are not seen; the owner
// (lib/plan) drops the plans and their PlanWeights when they change.
#pragma once
#include <array>
#include <atomic>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "conv/conv.h"
#include "dispatch/cpu.h"
#include "gemm/gemm.h"
#include "ops/elementwise.h"
#include "ops/shape.h"
#include "pool/pool.h"
#include "runtime/aligned.h"
#include "runtime/errors.h"

namespace convkit {

enum class PlanStepKind : int {
  conv = 0,         // ConvOp (+ fused bias and activation)
  dense,            // y[M,N] = act(x[M,K] W[K,N] + b) with W pre-packed; M = numel(x) / K
  pool,             // max / average pooling windows
  global_pool,      // [N, P, C] -> [N, C]
  zero_pad,         // Keras ZeroPadding1D/2D/3D
  batch_norm,       // inference batch norm, folded to y = x * scale[c] + shift[c] over the last axis
  unary,            // activation y = f(x)
  softmax,          // along one axis
  add,              // sum of n >= 2 inputs of the output's shape
  concat,           // along one axis
  alias,            // output shares the input's storage (reshape, identity)
  bias_add,         // y = x + bias[c] over the last axis (a bias the eager layer adds after its op)
};
constexpr int kPlanStepKindCount = 12;
const char* plan_step_kind_name(PlanStepKind k);
// Accepts the names above ("conv", "dense", ...); false for an unknown name.
bool parse_plan_step_kind(const std::string& s, PlanStepKind* out);

// A weight array handed to the builder; it is copied (or transformed) during the build.
struct PlanWeight {
  const float* data = nullptr;
  std::size_t size = 0;
};

// One step as described by the caller (lib/plan via the binding). Only the fields of its kind are
// read. Value ids index PlanSpec::values.
struct PlanStepSpec {
  PlanStepKind kind = PlanStepKind::alias;
  std::string name;                    // the layer's name, for error messages and describe()
  std::vector<std::size_t> inputs;
  std::size_t output = 0;
  // conv: descriptor (spatial padding explicit or resolved by `padding`), algorithm request,
  // weights {filter [KD,KH,KW,Cin/g,Cout], bias [Cout] (if conv.has_bias)}. conv.act is fused.
  ConvDesc conv;
  Padding padding = Padding::explicit_;
  ConvAlgorithm algorithm = ConvAlgorithm::auto_;
  // dense: K = input features, N = units; weights {W [K,N], bias [N] (optional)}; act fused.
  std::size_t dense_k = 0, dense_n = 0;
  Activation act = Activation::none;
  float act_alpha = 0.2f;
  // pool: descriptor (finalized with `padding`) and kind; global_pool: kind.
  PoolDesc pool;
  PoolKind pool_kind = PoolKind::max;
  // zero_pad: padding per (D, H, W).
  std::array<std::size_t, 3> pad_before{{0, 0, 0}}, pad_after{{0, 0, 0}};
  // bias_add: weights {bias [C]}.
  // batch_norm: weights {moving mean, moving variance, gamma or empty, beta or empty}, epsilon.
  double epsilon = 1e-3;
  // unary: op and alpha (leaky slope / elu scale).
  UnaryOp unary = UnaryOp::relu;
  float unary_alpha = 0.f;
  // softmax, concat: the axis (non-negative, < rank).
  std::size_t axis = 0;
  std::vector<PlanWeight> weights;
  // Set by the plan itself, not by callers: a relu/relu6 step fused into this batch_norm, add or
  // bias_add step (applied to each block of the result while it is in cache).
  bool post_unary = false;
  UnaryOp post_op = UnaryOp::relu;
  // Set by the plan itself (plan_fold.cc): an inference batch norm folded into this conv or dense
  // step ({moving mean, moving variance, gamma or empty, beta or empty} of the batch norm's step,
  // fold_epsilon), and the names of the layers folded in (batch norm, zero padding, activation),
  // for describe().
  std::vector<PlanWeight> fold_bn;
  double fold_epsilon = 1e-3;
  std::vector<std::string> folded;
};

struct PlanSpec {
  std::vector<Shape> values;           // shape of every value (batch dimension included)
  std::vector<std::size_t> inputs;     // value ids fed by the caller, in order
  std::vector<std::size_t> outputs;    // value ids returned to the caller, in order
  std::vector<PlanStepSpec> steps;     // in execution (topological) order
};

// What describe() reports per step.
struct PlanStepInfo {
  std::string name;
  PlanStepKind kind;
  std::string detail;  // e.g. the conv algorithm, "in place", "packed"
};

// Prepared weights of one model version, shared by its plans; entries are keyed by step name and
// ordinal and remember the caller's weight pointer, so a mismatch is never reused silently.
class PlanWeights {
 public:
  struct Dense {
    const float* src = nullptr;
    std::size_t K = 0, N = 0;
    std::vector<float> w, bias;
    std::unique_ptr<PackedB> packed;
    Isa isa = Isa::scalar;
    const float* fold_src = nullptr;  // the folded batch norm's moving mean (null: none folded)
  };
  struct Conv {
    const float* src = nullptr;
    const float* fold_src = nullptr;  // as Dense::fold_src
    std::shared_ptr<ConvOp> op;
  };
  std::mutex mu;
  std::map<std::string, std::shared_ptr<Dense>> dense;
  std::map<std::string, Conv> conv;
};

class Plan {
 public:
  // Validates the whole spec (InvalidArgument naming the step's layer and expected vs got),
  // prepares the weights (or reuses those already in `shared`), and lays out the arena.
  explicit Plan(const PlanSpec& spec, std::shared_ptr<PlanWeights> shared = nullptr);
  ~Plan();
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;

  // Runs the plan: inputs[i] has numel(input_shape(i)) floats, outputs[i] numel(output_shape(i)).
  // Outputs must not overlap the inputs. Serialised per plan (see top). Cancel is checked between
  // steps and inside the conv/pool tiles.
  void run(const std::vector<const float*>& inputs, const std::vector<float*>& outputs,
           const CancelToken& cancel = {});

  // Runs the first `n` samples only (1 <= n <= batch()): the buffers hold n samples each
  // (numel(shape) / batch() * n floats). Every step is batch-separable (sample i of a value
  // depends on sample i of its inputs only; a plan with a softmax over axis 0 has runtime_batch()
  // false),
  // so the result for the n samples is what a plan built for batch n gives. The arena and
  // prepared weights of the batch-N build are reused: one plan serves every batch size up to N
  // without a rebuild. Throws InvalidArgument when n is out of range or the plan's values do not
  // all share one leading (batch) dimension (runtime_batch() is false then, and only n = batch()
  // is accepted).
  void run_batch(std::size_t n, const std::vector<const float*>& inputs, const std::vector<float*>& outputs,
                 const CancelToken& cancel = {});
  // The batch size the plan was built for (the inputs' leading dimension).
  std::size_t batch() const { return batch_; }
  // Whether run_batch accepts n < batch().
  bool runtime_batch() const { return runtime_batch_; }
  // Sample-parallel runs (see plan.cc): chunks of samples run at once, one per thread, each through
  // the whole plan. Chosen at build for plans with small per-sample activations; 0 = step by step.
  // set_sample_parallel(false) forces step-by-step runs (to compare both, and in tests).
  std::size_t sample_parallel_chunks() const { return sample_parallel_ ? chunks_ : 0; }
  void set_sample_parallel(bool on);
  // Serial runs: the whole run on the calling thread (InlineRegions), none on the pool. For
  // several plans of one model run at once, one per core (serving lanes); off by default.
  bool serial() const { return serial_; }
  void set_serial(bool on);
  // Whether a run of n samples stays on the calling thread even when not serial(): its estimated
  // arithmetic (n / batch() * work_flops()) is below small_run_flops() (default a few MFLOP, see
  // plan.cc), where handing each step's parallel loops to the pool costs more than it saves.
  // Same results either way (the kernels' parallel loops split independent outputs).
  bool runs_on_caller(std::size_t n) const;
  double small_run_flops() const { return small_run_flops_; }
  // 0 lets every run use the pool; the default comes from CONVKIT_PLAN_SMALL_RUN_FLOPS or plan.cc.
  void set_small_run_flops(double flops);
  static double default_small_run_flops();
  // Estimated flops of a run at batch(): 2 per multiply-add of the conv and dense steps, one per
  // output value of every other step.
  double work_flops() const { return work_flops_; }
  // Wall time of the last completed run_batch, from taking the run lock to the last output
  // written (0 before the first run). A server uses it to tell a batch that costs less than an
  // async hop to a worker thread (lib/serving/plan_runner.ts).
  double last_run_seconds() const { return last_run_seconds_.load(std::memory_order_relaxed); }

  std::size_t num_inputs() const { return inputs_.size(); }
  std::size_t num_outputs() const { return outputs_.size(); }
  const Shape& input_shape(std::size_t i) const { return shapes_[inputs_.at(i)]; }
  const Shape& output_shape(std::size_t i) const { return shapes_[outputs_.at(i)]; }
  // Bytes of the activation arena (intermediates + workspace) and of the prepared weights.
  std::size_t arena_bytes() const { return arena_floats_ * sizeof(float); }
  std::size_t weight_bytes() const { return weight_floats_ * sizeof(float); }
  // The part of weight_bytes this plan prepared itself (the rest was reused from `shared`).
  std::size_t new_weight_bytes() const { return new_weight_floats_ * sizeof(float); }
  // The part of the arena that is the shared conv workspace.
  std::size_t workspace_bytes() const { return workspace_floats_ * sizeof(float); }
  // Sum of the sizes of all non-alias step outputs: what the eager path allocates per call.
  std::size_t unshared_bytes() const { return unshared_floats_ * sizeof(float); }
  std::vector<PlanStepInfo> describe() const;

  // Per-step timing (off by default): when on, every run adds each step's wall time to a
  // per-step total (index = describe() index), so a caller can see where a plan's time goes.
  // Turning it on or off clears the totals. The totals are read under the run lock.
  void set_profiling(bool on);
  struct StepTime {
    double seconds = 0;
    std::size_t runs = 0;
  };
  std::vector<StepTime> step_times();

 private:
  struct Step;
  // The constructor proper, on the spec after the rewrites of plan_fold.h.
  Plan(const PlanSpec& fused_spec, std::shared_ptr<PlanWeights> shared, int);
  // Where a value lives at run time.
  enum class Home : int { arena = 0, input = 1, output = 2 };
  struct Loc {
    Home home = Home::arena;
    std::size_t at = 0;    // arena offset in floats, or input/output index
    std::size_t slot = 0;  // arena slot (for the per-chunk layouts of sample-parallel runs)
  };
  // Where one run (or one chunk of samples of a sample-parallel run) finds its buffers.
  struct Ctx {
    const std::vector<const float*>* in;
    const std::vector<float*>* out;
    float* base;                  // arena (or this chunk's part of it)
    const std::size_t* slot_at;   // chunk layout: slot offsets from base; null = Loc::at
    float* ws = nullptr;          // chunk: its own conv workspace
    std::size_t ws_floats = 0;
  };
  float* resolve(const Loc& l, const Ctx& cx) const;
  void run_step(Step& s, std::size_t n, const Ctx& cx, const CancelToken& cancel);
  // Runs every step for samples [0, n) of `in`/`out` (already offset), step by step, each step
  // parallel over the thread pool.
  void run_steps(std::size_t n, const std::vector<const float*>& in, const std::vector<float*>& out,
                 const CancelToken& cancel);
  // Sample-parallel run (see plan.cc): false when it does not apply to this n (caller runs steps).
  bool run_sample_parallel(std::size_t n, const std::vector<const float*>& in, const std::vector<float*>& out,
                           const CancelToken& cancel);
  // Conv workspace for a step whose operator (re-shaped for this run) needs more than the arena's
  // share: grown once and kept, so steady-state runs allocate nothing.
  float* conv_workspace(std::size_t floats, const Ctx& cx);

  std::vector<Shape> shapes_;
  std::vector<std::size_t> inputs_, outputs_;
  std::vector<std::unique_ptr<Step>> steps_;
  // Outputs that are not produced in place (alias of an input or of another output): copied last.
  struct FinalCopy {
    Loc from;
    std::size_t output;
    std::size_t floats;
  };
  std::vector<FinalCopy> copies_;
  AlignedPtr<float> arena_;
  std::size_t arena_floats_ = 0, workspace_at_ = 0, workspace_floats_ = 0;
  std::size_t weight_floats_ = 0, new_weight_floats_ = 0, unshared_floats_ = 0;
  std::shared_ptr<PlanWeights> shared_;
  std::size_t batch_ = 0;
  bool runtime_batch_ = false;
  // Sample-parallel runs: chunks_ chunks of samples run at once, one per thread (each thread has
  // its own share of the arena), each through all steps on one core; per slot, floats per sample;
  // per value, its floats per sample. pad_ stages a last, partly filled chunk's inputs and outputs.
  std::size_t chunks_ = 0;
  bool sample_parallel_ = true;
  bool serial_ = false;
  double work_flops_ = 0;
  double small_run_flops_ = default_small_run_flops();
  std::atomic<double> last_run_seconds_{0};
  std::vector<std::size_t> slot_per_sample_;
  std::vector<std::size_t> in_per_sample_, out_per_sample_;
  std::vector<float> extra_workspace_;
  std::vector<float> pad_;
  bool profiling_ = false;
  std::vector<StepTime> times_;
};

}  // namespace convkit
