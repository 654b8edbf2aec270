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
import { cancelCell } from '../ops/async.js';
import { compilePlanSpec, type PlannableModel, type PlanSpec, type PlanStepKind } from './compile.js';

declare module '../native/binding.js' {
  interface NativeBinding {
    planCreate(values: number[][], inputs: number[], outputs: number[], steps: unknown[], weights?: PlanWeightsHandle): PlanHandle;
    planWeightsCreate(): PlanWeightsHandle;
    planRun(plan: PlanHandle, inputs: Float32Array[], outputs: Float32Array[]): void;
    planRunAsync(plan: PlanHandle, inputs: Float32Array[], outputs: Float32Array[], cancel: CancelCell): Promise<void>;
    planInfo(plan: PlanHandle): NativePlanInfo;
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

interface NativePlanInfo {
  arenaBytes: number;
  workspaceBytes: number;
  weightBytes: number;
  newWeightBytes: number;
  unsharedBytes: number;
  inputShapes: number[][];
  outputShapes: number[][];
  steps: Array<{ name: string; kind: PlanStepKind; detail: string }>;
}

/** What a plan is, for model.inferencePlan and profiling. */
export interface InferencePlanInfo {
  inputShapes: number[][];
  outputShapes: number[][];
  /** Activation arena (intermediates that live at the same time share memory) + conv workspace. */
  arenaBytes: number;
  /** The part of arenaBytes that is the conv workspace (im2col columns, Winograd/FFT tiles), shared by all steps. */
  workspaceBytes: number;
  /** Prepared weights (copies, packed panels, transforms are counted as the copy). */
  weightBytes: number;
  /** The part of weightBytes this plan prepared itself (the rest it shares with earlier plans). */
  newWeightBytes: number;
  /** What the same forward pass allocates per call when every op gets a fresh output (eager). */
  unsharedBytes: number;
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

  private buffers(xs: readonly Tensor[], outs: readonly Tensor[]): [Float32Array[], Float32Array[]] {
    if (xs.length !== this.inputShapes.length) throw new RangeError(`inference plan: expected ${this.inputShapes.length} input(s), got ${xs.length}`);
    xs.forEach((x, i) => {
      if (!sameShape(x.shape, this.inputShapes[i]!)) {
        throw new RangeError(`inference plan: input ${i} expects shape [${this.inputShapes[i]!.join(', ')}], got [${x.shape.join(', ')}]`);
      }
    });
    return [xs.map((x, i) => f32(x, `input ${i}`)), outs.map((o) => f32(o))];
  }

  /** Runs synchronously on this thread; returns new output tensors. */
  run(xs: readonly Tensor[]): Tensor[] {
    const outs = this.outputShapes.map((s) => allocTensor(s));
    try {
      const [ins, os] = this.buffers(xs, outs);
      native().planRun(this.handle, ins, os);
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
    const outs = this.outputShapes.map((s) => allocTensor(s));
    try {
      const [ins, os] = this.buffers(xs, outs);
      await withPinned([...xs, ...outs], () => cancelCell(opts.signal, (cell) => native().planRunAsync(this.handle, ins, os, cell)));
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
  async runIntoAsync(ins: Float32Array[], outs: Float32Array[], keep: readonly Tensor[], opts: PlanRunOptions = {}): Promise<void> {
    await withPinned(keep, () => cancelCell(opts.signal, (cell) => native().planRunAsync(this.handle, ins, outs, cell)));
  }

  /** Sync form of runIntoAsync. */
  runInto(ins: Float32Array[], outs: Float32Array[]): void {
    native().planRun(this.handle, ins, outs);
  }

  get info(): InferencePlanInfo {
    if (!this.cachedInfo) {
      const i = native().planInfo(this.handle);
      this.cachedInfo = { ...i, steps: i.steps.map((s) => ({ ...s })) };
    }
    return this.cachedInfo;
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
