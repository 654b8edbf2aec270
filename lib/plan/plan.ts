/**
 * InferencePlan: a model's forward pass compiled once into a native plan (native/plan) for one set
 * of input shapes (batch included), then run many times — as one native call per batch, async on
 * the libuv pool (the event loop stays free) or sync.
 *
 * Weights are copied into the plan at build (conv filters pre-transformed, dense kernels packed,
 * batch norms folded), so the plan records which tensor each weight held; `isCurrent()` is false
 * once any weight was re-assigned (setWeights, loadWeights, assign) or the model's training
 * counter moved (optimizers update weights in place), and the cache (cache.ts) rebuilds it.
 */
import type { CancelCell } from '../native/binding.js';
import { native } from '../native/index.js';
import type { Tensor } from '../tensor/index.js';
import { allocTensor, f32, withPinned } from '../tensor/internal.js';
import { shapesEqual as sameShape } from '../tensor/shape.js';
import { cancelCell } from '../ops/async.js';
import { compilePlanSpec, type PlannableModel, type PlanSpec, type PlanStepKind } from './compile.js';

declare module '../native/binding.js' {
  interface NativeBinding {
    planCreate(values: number[][], inputs: number[], outputs: number[], steps: unknown[], weights?: PlanWeightsHandle): PlanHandle;
    planWeightsCreate(): PlanWeightsHandle;
    planRun(plan: PlanHandle, inputs: Float32Array[], outputs: Float32Array[]): void;
    planRunAsync(plan: PlanHandle, inputs: Float32Array[], outputs: Float32Array[], cancel: CancelCell): Promise<void>;
    planRunBatch(plan: PlanHandle, n: number, inputs: Float32Array[], outputs: Float32Array[]): void;
    planRunBatchAsync(plan: PlanHandle, n: number, inputs: Float32Array[], outputs: Float32Array[], cancel: CancelCell): Promise<void>;
    planLastRunSeconds(plan: PlanHandle): number;
    planInfo(plan: PlanHandle): InferencePlanInfo; // the binding builds exactly this object
    planProfile(plan: PlanHandle, on?: boolean): { seconds: number[]; runs: number[] };
    planSetSampleParallel(plan: PlanHandle, on: boolean): void;
    planSetSerial(plan: PlanHandle, on: boolean): void;
    planSetSmallRunFlops(plan: PlanHandle, flops: number): void;
  }
}

/** The opaque native plan (a type-tagged External). */
export type PlanHandle = { readonly __convkitPlan: unique symbol };
/**
 * Prepared weights shared by the plans created with it (a type-tagged External): the plans of one
 * model for several batch sizes transform and pack each weight once.
 */
export type PlanWeightsHandle = { readonly __convkitPlanWeights: unique symbol };

/** A new, empty set of shared prepared weights. */
export function createPlanWeights(): PlanWeightsHandle {
  return native().planWeightsCreate();
}

/** What a plan is, for model.inferencePlan and profiling. */
export interface InferencePlanInfo {
  inputShapes: number[][];
  outputShapes: number[][];
  /** Activation arena (intermediates that live at the same time share memory) + conv workspace. */
  arenaBytes: number;
  /** The part of arenaBytes that is the conv workspace (im2col columns, Winograd/FFT tiles), shared by all steps. */
  workspaceBytes: number;
  /**
   * Prepared weights as held: the copies plus every prepared form (dense kernels' packed panels,
   * conv filters' Winograd/FFT transforms and packed panels). What is reported to V8 as external
   * memory, with the arena.
   */
  weightBytes: number;
  /** The part of weightBytes this plan prepared itself (the rest it shares with earlier plans). */
  newWeightBytes: number;
  /** What the same forward pass allocates per call when every op gets a fresh output (eager). */
  unsharedBytes: number;
  /** The batch size the plan was built for (its arena holds that many samples). */
  batch: number;
  /** Whether the plan also runs any smaller batch (runBatchInto): every value is batch-first and no step mixes samples. */
  runtimeBatch: boolean;
  /**
   * Sample-parallel runs: how many threads run chunks of samples at once, each chunk through the
   * whole plan on one core (0: always step by step, each step over all threads). A batch of at
   * least this many samples is cut into chunks of about n / (4 × this) samples that free threads
   * claim one by one. Chosen for plans whose per-sample activations are small.
   */
  sampleParallelChunks: number;
  /**
   * Estimated flops of a run at `batch` (2 per multiply-add of the conv and dense steps, 1 per
   * output value of the others). A run of n samples whose share n / batch of it is under the
   * small-run limit stays on the calling thread (see setSmallRunFlops).
   */
  workFlops: number;
  /** Per step: layer name, step kind and detail (the conv algorithm chosen, 'in place', ...). */
  steps: Array<{ name: string; kind: PlanStepKind; detail: string }>;
}

export interface PlanRunOptions {
  signal?: AbortSignal;
}

export class InferencePlan {
  private readonly handle: PlanHandle;
  private readonly spec: PlanSpec;
  readonly inputShapes: number[][];
  readonly outputShapes: number[][];
  private cachedInfo: InferencePlanInfo | null = null;

  private constructor(spec: PlanSpec, private readonly epochs: readonly number[], weights: PlanWeightsHandle | undefined) {
    this.spec = spec;
    const { values, inputs, outputs, steps } = spec;
    this.handle = native().planCreate(values, inputs, outputs, steps, weights);
    this.inputShapes = inputs.map((v) => [...values[v]!]);
    this.outputShapes = outputs.map((v) => [...values[v]!]);
  }

  /**
   * Compiles `model` for these input shapes. Throws PlanUnsupported (compile.ts) for models the
   * plan cannot express, and RangeError from the native build for inconsistent descriptors.
   * Plans built with the same `weights` (createPlanWeights) share their prepared weights: they
   * must be built from the same weight values (the cache drops both together on any change).
   */
  static build(
    model: PlannableModel,
    inputShapes: readonly (readonly number[])[],
    epochOf: (m: PlannableModel) => number = () => 0,
    weights?: PlanWeightsHandle,
  ): InferencePlan {
    const spec = compilePlanSpec(model, inputShapes);
    return new InferencePlan(spec, spec.models.map((m) => epochOf(m.model)), weights);
  }

  /**
   * False once a weight was re-assigned, the graph of the model (or of a nested model) changed,
   * or the weights epoch of any of them moved.
   */
  isCurrent(epochOf: (m: PlannableModel) => number): boolean {
    for (const { variable, tensor } of this.spec.variables) if (variable.read() !== tensor || tensor.isDisposed) return false;
    return this.spec.models.every(({ model, nodes }, i) => {
      if (epochOf(model) !== this.epochs[i]) return false;
      const now = model.graphNodes();
      return now !== null && now.length === nodes.length && now.every((n, k) => n === nodes[k]);
    });
  }

  /**
   * Sets `lastAlgorithm` on the conv layers (what profile() and `convkit summary` show), as an
   * eager forward pass does: the algorithm this plan chose for each. Called per run, since the
   * attribute means "the algorithm the last forward pass used".
   */
  reportAlgorithms(): void {
    if (!this.convAlgorithms) {
      this.convAlgorithms = [];
      const seen = new Set<string>();
      for (const s of this.info.steps) {
        if (s.kind !== 'conv' || seen.has(s.name)) continue;  // a SeparableConv2D reports its depthwise conv
        seen.add(s.name);
        const layer = this.spec.layers.get(s.name);
        if (layer && 'lastAlgorithm' in layer) this.convAlgorithms.push([layer as unknown as { lastAlgorithm: string | null }, s.detail.split(',')[0]!]);
      }
    }
    for (const [l, a] of this.convAlgorithms) l.lastAlgorithm = a;
  }
  private convAlgorithms: Array<[{ lastAlgorithm: string | null }, string]> | null = null;

  /** Whether these tensors are what the plan was built for. */
  matches(xs: readonly Tensor[]): boolean {
    return xs.length === this.inputShapes.length && xs.every((x, i) => sameShape(x.shape, this.inputShapes[i]!));
  }

  /**
   * Whether the plan runs inputs of these shapes: its own, or (runtimeBatch) the same sample
   * shapes with a smaller batch, all inputs with the same batch.
   */
  accepts(shapes: readonly (readonly number[])[]): boolean {
    if (shapes.length !== this.inputShapes.length) return false;
    const n = shapes[0]![0]!;
    if (!(n >= 1 && (n === this.batch || (n < this.batch && this.runtimeBatch)))) return false;
    return shapes.every((s, i) => s[0] === n && sameShape(s.slice(1), this.inputShapes[i]!.slice(1)));
  }

  private buffers(xs: readonly Tensor[], outs: readonly Tensor[]): [Float32Array[], Float32Array[]] {
    if (xs.length !== this.inputShapes.length) throw new RangeError(`inference plan: expected ${this.inputShapes.length} input(s), got ${xs.length}`);
    if (!this.accepts(xs.map((x) => x.shape))) {
      const i = Math.max(0, xs.findIndex((x, k) => !sameShape(x.shape.slice(1), this.inputShapes[k]!.slice(1)) || x.shape[0] !== xs[0]!.shape[0]));
      throw new RangeError(`inference plan: input ${i} expects shape [${this.inputShapes[i]!.join(', ')}], got [${xs[i]!.shape.join(', ')}]${this.runtimeBatch ? ' (a smaller batch also runs)' : ''}`);
    }
    return [xs.map((x, i) => f32(x, `input ${i}`)), outs.map((o) => f32(o))];
  }

  private outputsFor(n: number): Tensor[] {
    return this.outputShapes.map((s) => allocTensor([n, ...s.slice(1)]));
  }

  /** Runs synchronously on this thread; returns new output tensors. Inputs may have a smaller batch (see accepts). */
  run(xs: readonly Tensor[]): Tensor[] {
    const n = xs[0]?.shape[0] ?? this.batch;
    const outs = this.outputsFor(n);
    try {
      const [ins, os] = this.buffers(xs, outs);
      if (n === this.batch) native().planRun(this.handle, ins, os);
      else native().planRunBatch(this.handle, n, ins, os);
    } catch (e) {
      for (const o of outs) o.dispose();
      throw e;
    }
    return outs;
  }

  /**
   * Runs on the libuv pool (one native call for the whole forward pass) and resolves to new
   * output tensors. Inputs and outputs are pinned meanwhile (a dispose() is deferred).
   */
  async runAsync(xs: readonly Tensor[], opts: PlanRunOptions = {}): Promise<Tensor[]> {
    const n = xs[0]?.shape[0] ?? this.batch;
    const outs = this.outputsFor(n);
    try {
      const [ins, os] = this.buffers(xs, outs);
      await withPinned([...xs, ...outs], () =>
        cancelCell(opts.signal, (cell) => (n === this.batch ? native().planRunAsync(this.handle, ins, os, cell) : native().planRunBatchAsync(this.handle, n, ins, os, cell))),
      );
    } catch (e) {
      for (const o of outs) o.dispose();
      throw e;
    }
    return outs;
  }

  /**
   * Runs on the libuv pool writing into caller-provided views (e.g. the rows of one batch inside
   * a larger output tensor). `keep` are the tensors that own those views, pinned meanwhile.
   */
  async runIntoAsync(ins: Float32Array[], outs: Float32Array[], keep: readonly Tensor[], opts: PlanRunOptions = {}, n = this.batch): Promise<void> {
    await withPinned(keep, () =>
      cancelCell(opts.signal, (cell) => (n === this.batch ? native().planRunAsync(this.handle, ins, outs, cell) : native().planRunBatchAsync(this.handle, n, ins, outs, cell))),
    );
  }

  /** Sync form of runIntoAsync. */
  runInto(ins: Float32Array[], outs: Float32Array[]): void {
    native().planRun(this.handle, ins, outs);
  }

  /** The batch size the plan was built for. */
  get batch(): number {
    return this.inputShapes[0]![0]!;
  }

  /** Whether `runBatchInto` accepts any n in 1..batch (not only batch itself). */
  get runtimeBatch(): boolean {
    return this.info.runtimeBatch;
  }

  /**
   * Runs the first `n` samples (1 ≤ n ≤ batch when `runtimeBatch`): `ins`/`outs` hold n samples
   * each. The same arena and prepared weights serve every n, so a server with varying batch
   * sizes keeps one plan. The buffers are caller-owned and must stay untouched until it resolves.
   */
  async runBatchIntoAsync(n: number, ins: Float32Array[], outs: Float32Array[], opts: PlanRunOptions = {}): Promise<void> {
    if (opts.signal) return cancelCell(opts.signal, (cell) => native().planRunBatchAsync(this.handle, n, ins, outs, cell));
    return native().planRunBatchAsync(this.handle, n, ins, outs, undefined);
  }

  /** Wall time of the last completed run in ms, measured natively (excludes the async hop); 0 before the first. */
  get lastRunMs(): number {
    return native().planLastRunSeconds(this.handle) * 1000;
  }

  /** Sync form of runBatchIntoAsync. */
  runBatchInto(n: number, ins: Float32Array[], outs: Float32Array[]): void {
    native().planRunBatch(this.handle, n, ins, outs);
  }

  /**
   * Per-step timing: `setProfiling(true)` makes every run add each step's wall time to a per-step
   * total (cleared on every on/off switch); `stepTimes()` reads the totals, one row per step of
   * `info.steps` (alias steps take no time). For finding where a plan's time goes.
   */
  setProfiling(on: boolean): void {
    native().planProfile(this.handle, on);
  }

  /** Allows (default) or forbids sample-parallel runs (see InferencePlanInfo.sampleParallelChunks). */
  setSampleParallel(on: boolean): void {
    native().planSetSampleParallel(this.handle, on);
  }

  /**
   * Serial runs (off by default): each run stays on the thread that runs it instead of spreading
   * over the core's thread pool, so that several plans can run at once, one per core (serving
   * lanes: createPredictor's `concurrency`).
   */
  setSerial(on: boolean): void {
    native().planSetSerial(this.handle, on);
  }

  /**
   * The small-run limit: a run whose estimated flops (info.workFlops × n / batch) are below it runs
   * on the calling thread, not over the thread pool — for LeNet-5 that is batches of 1–4, whose
   * ~10 steps of a few µs each cost more to hand to a pool worker (a wake-up when it sleeps) than
   * they take. Default 4e6 (or CONVKIT_PLAN_SMALL_RUN_FLOPS); 0 lets every run use the pool.
   * Results are the same either way.
   */
  setSmallRunFlops(flops: number): void {
    native().planSetSmallRunFlops(this.handle, flops);
  }

  stepTimes(): Array<{ name: string; kind: PlanStepKind; detail: string; ms: number; runs: number }> {
    const t = native().planProfile(this.handle);
    return this.info.steps.map((s, i) => ({ ...s, ms: (t.seconds[i]! * 1000) / Math.max(1, t.runs[i]!), runs: t.runs[i]! }));
  }

  get info(): InferencePlanInfo {
    if (!this.cachedInfo) {
      const i = native().planInfo(this.handle);
      this.cachedInfo = { ...i, steps: i.steps.map((s) => ({ ...s })) };
    }
    return this.cachedInfo;
  }
}
