/**
 * Per-model plan cache and the predict paths that use it.
 *
 * A model keeps up to MAX_PLANS plans keyed by input shapes, least recently used evicted first. A
 * plan runs any batch up to the one it was built for (native run_batch), so a smaller batch (the
 * last partial batch of predict(), a serving batch that did not fill) reuses a larger plan rather
 * than building its own; only a batch larger than every cached plan's builds one. The plans of a model
 * share one set of prepared weights (PlanWeightsHandle): conv filters are copied and transformed,
 * dense kernels packed, once for all batch sizes, so a new batch size costs an arena and shapes. State lives in a
 * WeakMap so that Model carries no plan fields and a dropped model drops its plans.
 *
 * Invalidation (plans copy the weights): a plan is rebuilt when
 *  - any weight it copied now holds another tensor (assign: setWeights, loadWeights, io loaders);
 *  - the model's weights epoch moved: Model bumps it whenever it runs in training mode or under a
 *    gradient tape (fit, trainOnBatch, custom loops), since optimizers update weights in place,
 *    and `invalidateInferencePlans(model)` bumps it for any other in-place write;
 *  - the graph changed (Sequential add/pop).
 */
import { isTaping } from '../autodiff/scope.js';
import type { Tensor } from '../tensor/index.js';
import { f32 } from '../tensor/internal.js';
import { type PlannableModel, PlanUnsupported } from './compile.js';
import { createPlanWeights, InferencePlan, type InferencePlanInfo, type PlanRunOptions, type PlanWeightsHandle } from './plan.js';
import { allocTensor } from '../tensor/internal.js';

const MAX_PLANS = 4;

interface PlanState {
  plans: InferencePlan[];
  /** Prepared weights shared by `plans` (dropped with them whenever the weights change). */
  weights: PlanWeightsHandle | null;
  enabled: boolean;
  /** Why the model cannot be planned (cached per graph), or null. */
  unsupported: { reason: string; nodes: readonly unknown[] | null } | null;
  lastPath: 'plan' | 'eager' | null;
  builds: number;
}

const states = new WeakMap<PlannableModel, PlanState>();
// Weights epoch per model (nested models included), bumped when weights may change in place.
const epochs = new WeakMap<PlannableModel, number>();
const epochOf = (m: PlannableModel): number => epochs.get(m) ?? 0;

function state(model: PlannableModel): PlanState {
  let s = states.get(model);
  if (!s) {
    s = { plans: [], weights: null, enabled: process.env['CONVKIT_PLAN'] !== '0', unsupported: null, lastPath: null, builds: 0 };
    states.set(model, s);
  }
  return s;
}

/** What `model.inferencePlan` reports. */
export interface InferencePlanStatus {
  /** Whether predict()/predictSync() may use plans for this model (see setInferencePlanEnabled). */
  enabled: boolean;
  /** Why this model falls back to the eager path (null when it can be planned or was not tried yet). */
  unsupportedReason: string | null;
  /** Which path the last predict()/predictSync() took. */
  lastPath: 'plan' | 'eager' | null;
  /** Plans built so far (rebuilds after weight changes included). */
  builds: number;
  /** The cached plans, most recently used first. */
  plans: InferencePlanInfo[];
}

export function inferencePlanStatus(model: PlannableModel): InferencePlanStatus {
  const s = state(model);
  return {
    enabled: s.enabled,
    unsupportedReason: s.unsupported?.reason ?? null,
    lastPath: s.lastPath,
    builds: s.builds,
    plans: s.plans.map((p) => p.info),
  };
}

/** Turns plan use on or off for one model (CONVKIT_PLAN=0 turns it off by default). */
export function setInferencePlanEnabled(model: PlannableModel, on: boolean): void {
  const s = state(model);
  s.enabled = on;
  if (!on) (s.plans = []), (s.weights = null);
}

/**
 * Drops the model's plans (they are rebuilt on next use). Needed only after writing into a
 * weight's memory directly; assign/setWeights and training are detected.
 */
export function invalidateInferencePlans(model: PlannableModel): void {
  epochs.set(model, epochOf(model) + 1);
  const s = state(model);
  s.plans = [];
  s.weights = null;
  s.unsupported = null;
}

/**
 * Called by Model when it runs in training mode or under a tape (weights may change in place).
 * Plans of this model, and of models that inline it, see the epoch move and are rebuilt.
 */
export function noteWeightsMayChange(model: PlannableModel): void {
  epochs.set(model, epochOf(model) + 1);
  const s = states.get(model);
  if (s) (s.plans = []), (s.weights = null);
}

/** Records that a plan ran the model's last prediction (for callers that run plans themselves, e.g. serving). */
export function notePlanPath(model: PlannableModel): void {
  state(model).lastPath = 'plan';
}

export function noteEagerPath(model: PlannableModel): void {
  state(model).lastPath = 'eager';
}

/** Whether the model was found unplannable and its graph has not changed since (else forgets why). */
function stillUnsupported(s: PlanState, nodes: readonly unknown[] | null): boolean {
  if (!s.unsupported) return false;
  const was = s.unsupported.nodes;
  if (nodes !== null && was !== null && nodes.length === was.length && nodes.every((n, i) => n === was[i])) return true;
  s.unsupported = null;
  return false;
}

/**
 * The plan for these input shapes, built (and cached) if needed; null when plans are off, a tape
 * is recording, or the model cannot be planned (the reason is kept for inferencePlanStatus).
 */
export function planFor(model: PlannableModel, shapes: readonly (readonly number[])[]): InferencePlan | null {
  const s = state(model);
  if (!s.enabled || isTaping()) return null;
  if (shapes.some((sh) => sh[0] === 0)) return null;
  const nodes = model.graphNodes();
  if (stillUnsupported(s, nodes)) return null;
  // The plan built for exactly these shapes, else the smallest one that also runs this batch
  // (a plan runs any batch up to its own: see InferencePlan.accepts), so varying batch sizes do
  // not rebuild plans.
  let i = s.plans.findIndex((p) => p.inputShapes.length === shapes.length && p.inputShapes.every((q, k) => q.length === shapes[k]!.length && q.every((d, j) => d === shapes[k]![j])));
  if (i < 0) {
    for (let k = 0; k < s.plans.length; k++) if (s.plans[k]!.accepts(shapes) && (i < 0 || s.plans[k]!.batch < s.plans[i]!.batch)) i = k;
  }
  if (i >= 0) {
    const p = s.plans[i]!;
    s.plans.splice(i, 1);
    if (p.isCurrent(epochOf)) {
      s.plans.unshift(p);
      p.reportAlgorithms();
      return p;
    }
    // Stale weights are stale for every plan of the model (they share them): start over.
    s.plans = [];
    s.weights = null;
  } else if (s.plans.length && !s.plans[0]!.isCurrent(epochOf)) {
    s.plans = [];
    s.weights = null;
  }
  let plan: InferencePlan;
  try {
    s.weights ??= createPlanWeights();
    plan = InferencePlan.build(model, shapes, epochOf, s.weights);
  } catch (e) {
    if (e instanceof PlanUnsupported) {
      s.unsupported = { reason: e.message, nodes };
      return null;
    }
    throw e;
  }
  s.builds++;
  // Cached plans whose batches the new one also runs are dropped: they would only hold arenas
  // (a server growing its batches would otherwise keep a plan per size it went through).
  s.plans = s.plans.filter((p) => !plan.accepts(p.inputShapes));
  s.plans.unshift(plan);
  plan.reportAlgorithms();
  if (s.plans.length > MAX_PLANS) s.plans.length = MAX_PLANS;
  return plan;
}

/**
 * A plan of the model's own for these shapes, outside the cache and with weights prepared for it
 * alone, or null when plans are off or the model cannot be planned. For callers that run several
 * plans of one model at once (serving lanes): plans sharing prepared weights run one at a time.
 * Check it with planIsCurrent before each use; rebuild when that is false.
 */
export function privatePlan(model: PlannableModel, shapes: readonly (readonly number[])[]): InferencePlan | null {
  const s = state(model);
  if (!s.enabled || isTaping()) return null;
  const nodes = model.graphNodes();
  if (stillUnsupported(s, nodes)) return null;
  try {
    const plan = InferencePlan.build(model, shapes, epochOf);
    s.builds++;
    return plan;
  } catch (e) {
    if (e instanceof PlanUnsupported) {
      s.unsupported = { reason: e.message, nodes };
      return null;
    }
    throw e;
  }
}

/** Whether `plan` (of `model`) still holds the model's current weights and graph. */
export function planIsCurrent(plan: InferencePlan): boolean {
  return plan.isCurrent(epochOf);
}

function shapesOf(xs: readonly Tensor[], batch?: number): number[][] {
  return xs.map((x) => (batch === undefined ? [...x.shape] : [batch, ...x.shape.slice(1)]));
}

/** predictSync through a plan, or null (caller runs the eager path). Inputs are already checked. */
export function predictSyncWithPlan(model: PlannableModel, xs: readonly Tensor[]): Tensor[] | null {
  if (xs.some((x) => x.dtype !== 'float32')) return null;
  const plan = planFor(model, shapesOf(xs));
  if (!plan) return null;
  const outs = plan.run(xs);
  state(model).lastPath = 'plan';
  return outs;
}

/**
 * predict() through plans: one async native call per batch of `batchSize` rows, reading each batch
 * straight from the input tensors and writing straight into the rows of the final outputs (no
 * slices, no concatenation). Null when the model cannot be planned (caller runs the eager path).
 */
export async function predictWithPlan(model: PlannableModel, xs: readonly Tensor[], batchSize: number, opts: PlanRunOptions = {}): Promise<Tensor[] | null> {
  if (xs.some((x) => x.dtype !== 'float32')) return null;
  const n = xs[0]!.shape[0]!;
  if (n === 0) return null;
  const first = planFor(model, shapesOf(xs, Math.min(batchSize, n)));
  if (!first) return null;
  const st = state(model);
  if (n <= batchSize) {
    const outs = await first.runAsync(xs, opts);
    st.lastPath = 'plan';
    return outs;
  }
  const outs = first.outputShapes.map((s) => allocTensor([n, ...s.slice(1)]));
  try {
    const inRow = xs.map((x) => x.size / n);
    const outRow = outs.map((o) => o.size / n);
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      const plan = planFor(model, shapesOf(xs, size));
      if (!plan) throw new Error(`predict: model '${model.name}' stopped being plannable during predict()`);
      const ins = xs.map((x, k) => f32(x, `input ${k}`).subarray(start * inRow[k]!, (start + size) * inRow[k]!));
      const os = outs.map((o, k) => f32(o).subarray(start * outRow[k]!, (start + size) * outRow[k]!));
      await plan.runIntoAsync(ins, os, [...xs, ...outs], opts, size);
    }
  } catch (e) {
    for (const o of outs) o.dispose();
    throw e;
  }
  st.lastPath = 'plan';
  return outs;
}
