/**
 * Step capture and replay: a training step whose graph is static is recorded once and its native
 * jobs are queued again for the following steps, so the step's per-op JavaScript (the tape, shape
 * checks, tensor allocations) no longer runs.
 *
 * A step is two recorded batches (lib/engine/deferred.ts): the forward pass, then the backward pass
 * and the fused optimizer update, with the loss (value and d loss / d yPred, lib/training/losses.ts)
 * and the metrics computed in JavaScript in between. A replay keeps that shape:
 *   1. forward: copy the batch into the captured input buffers (copyBuffer jobs, so the copy runs in
 *      queue order after the previous step's backward, which still reads the old inputs), copy
 *      state that the step replaces rather than updates in place (BatchNormalization's moving
 *      statistics: the captured jobs read the old buffer and write a new one, so the new value is
 *      copied back into the old buffer first), copy freshly drawn dropout masks in, then the
 *      captured forward jobs;
 *   2. the loss, the seeds of backpropagation and the metrics by the same JavaScript as an eager
 *      step, on the captured output buffers;
 *   3. the captured backward jobs, then a fresh call of the optimizer: its step count, learning-rate
 *      schedule and bias corrections are read when it runs, never baked into the recording.
 * Buffers the captured jobs use stay alive: the capture holds every native free of the step (its
 * temporaries), and before each replay checks that each model variable still holds the tensor it
 * held when captured (a setWeights or a reload drops the capture).
 *
 * When a step is capturable: a recording qualifies only if, while it was recorded, no op ran in
 * JavaScript and no JavaScript read tensor memory (both would need the data of that particular step),
 * and two consecutive steps with the same input shapes queued the same number of jobs and filled the
 * same constants from JavaScript (random fills are redrawn, not compared). Otherwise, and for input
 * shapes not captured yet (a last partial batch is captured under its own key), the normal path runs;
 * `CONVKIT_CAPTURE_TRACE=1` (or CONVKIT_DEFERRED_TRACE=1) prints why a step was not captured.
 * `setStepCapture(false)` or CONVKIT_STEP_CAPTURE=0 switches capture off.
 *
 * Replayed steps give bit-for-bit the weights, losses and metrics of eager steps (the same kernels
 * on the same data in the same order; test/training/step_capture.test.ts).
 */
import type { Model, TrainingForward } from '../models/model.js';
import type { LayerVariable } from '../layers/variable.js';
import type { Tensor } from '../tensor/index.js';
import { allocTensor, f32, freshViewOf, pinStorage, viewOf } from '../tensor/internal.js';
import { native } from '../native/index.js';
import {
  type CaptureSink,
  deferredEnabled,
  launchDeferred,
  recordableScope,
  releaseHeldFrees,
  runDeferred,
  runRecordedSync,
  setCaptureSink,
} from '../engine/deferred.js';
import { invalidateInferencePlans } from '../plan/index.js';
import type { RecordingSnapshot } from './native.js';
import { type Batch, asList } from './data.js';
import type { Loss } from './losses.js';
import type { Metric } from './metrics.js';
import type { Optimizer } from './optimizers.js';

const env = typeof process !== 'undefined' ? process.env : {};
let enabled = env['CONVKIT_STEP_CAPTURE'] !== '0';
const trace = env['CONVKIT_CAPTURE_TRACE'] === '1' || env['CONVKIT_DEFERRED_TRACE'] === '1';
const stats = { captured: 0, replayed: 0, eager: 0, lastReason: null as string | null };

/** Switches step capture on or off (default on; CONVKIT_STEP_CAPTURE=0 starts with it off). */
export function setStepCapture(on: boolean): void {
  if (typeof on !== 'boolean') throw new TypeError(`setStepCapture: expected a boolean, got ${typeof on}`);
  enabled = on;
}

/**
 * Counters since start: captures made, steps replayed, steps run the normal way, and the last reason
 * a step could not be captured (null if none).
 */
export function stepCaptureStats(): { captured: number; replayed: number; eager: number; lastReason: string | null } {
  return { ...stats };
}

function note(reason: string): void {
  stats.lastReason = reason;
  if (trace) process.stderr.write(`convkit step capture: not captured: ${reason}\n`);
}

/** Per-job wall times of a captured step's replays (StepCapture.profile). */
export interface JobTimes {
  names: string[];
  ms: Float64Array;
  runs: number;
}

/** What the step needs besides the model: the compiled loss, optimizer and metrics. */
export interface StepParts {
  loss: Loss;
  optimizer: Optimizer;
  metrics: Metric[];
  updateMetrics(y: Tensor, pred: Float32Array, predShape: readonly number[], sw: Float32Array | null): void;
}

/** One captured step, replayable for batches of its key's shapes. */
interface Captured {
  key: string;
  fwd: RecordingSnapshot;
  bwd: RecordingSnapshot;
  nFwd: number;
  nBwd: number;
  /** Plan-owned input buffers the forward jobs read. */
  xCaps: Tensor[];
  xViews: ArrayBufferView[];
  outViews: Float32Array[];
  outShapes: number[][];
  seedViews: Float32Array[];
  gradViews: Float32Array[];
  trainable: LayerVariable[];
  /** Every model variable updated in place, and the tensor it must still hold. */
  vars: { v: LayerVariable; t: Tensor }[];
  /**
   * Variables the step replaces (BatchNormalization's moving statistics): the captured jobs read
   * `read` and write `write` (the tensor the variable held after the capture, pinned here, since
   * another step may replace and dispose it). A replay copies the variable's current value into
   * `read` first, and the new value from `write` into the variable's current tensor after.
   */
  rebind: { v: LayerVariable; read: Float32Array; write: Float32Array; unpin: () => void }[];
  randoms: { view: Float32Array; redraw: (dst: Float32Array) => void; scratch: Tensor }[];
  /** Plan-owned seeds of backpropagation (written by each replay's loss). */
  seeds: Tensor[];
  /** JavaScript-filled constants, compared between two captures. */
  fresh: Uint8Array[];
  frees: (() => void)[];
}

function keyOf(b: Batch): string {
  const part = (ts: Tensor[]) => ts.map((t) => `${t.dtype}[${t.shape.join(',')}]`).join(';');
  return `${native().getIsa()}|${part(asList(b.x))}|${part(asList(b.y))}|${b.sampleWeight ? 'w' : ''}`;
}

function drop(c: Captured): void {
  for (const t of c.xCaps) t.dispose();
  for (const t of c.seeds) t.dispose();
  for (const r of c.randoms) r.scratch.dispose();
  for (const r of c.rebind) r.unpin();
  releaseHeldFrees(c.frees.splice(0));
}

function sameRecording(a: Captured, b: Captured): string | null {
  if (a.nFwd !== b.nFwd || a.nBwd !== b.nBwd) return `the step queued ${a.nFwd}+${a.nBwd} jobs, then ${b.nFwd}+${b.nBwd}`;
  if (a.randoms.length !== b.randoms.length || a.randoms.some((r, i) => r.view.length !== b.randoms[i]!.view.length))
    return 'random fills differ between two steps';
  if (a.fresh.length !== b.fresh.length) return `JavaScript filled ${a.fresh.length} tensors, then ${b.fresh.length}`;
  for (let i = 0; i < a.fresh.length; i++) {
    const x = a.fresh[i]!, y = b.fresh[i]!;
    if (x.length !== y.length) return 'JavaScript-filled tensors differ between two steps';
    for (let k = 0; k < x.length; k++) if (x[k] !== y[k]) return 'JavaScript fills a tensor with data that changes from step to step';
  }
  return null;
}

function stillValid(c: Captured, m: Model): boolean {
  for (const { v, t } of c.vars) if (!v.initialized || v.read() !== t || t.isDisposed) return false;
  for (const { v, write } of c.rebind) if (!v.initialized || v.read().isDisposed || v.read().dtype !== 'float32' || v.read().size !== write.length) return false;
  const tw = m.trainableWeights;
  return tw.length === c.trainable.length && tw.every((w, i) => w === c.trainable[i]);
}

/** Per-model capture state (kept on the compiled training state; a new compile() starts afresh). */
export class StepCapture {
  private plans = new Map<string, Captured>();
  private candidates = new Map<string, Captured>();
  private attempts = new Map<string, number>();
  private blocked = new Map<string, string>();

  /**
   * Starts (clearing totals) or stops timing each native job of the replays, for every captured
   * shape; returns the report so far: per shape, the forward and backward jobs in order with the
   * binding function behind each and its summed wall time (the optimizer call is not in them).
   */
  profile(on: boolean): { key: string; forward: JobTimes; backward: JobTimes }[] {
    const out = [...this.plans.values()].map((c) => ({ key: c.key, forward: native().recordProfileReport(c.fwd), backward: native().recordProfileReport(c.bwd) }));
    for (const c of this.plans.values()) {
      native().recordProfile(c.fwd, on);
      native().recordProfile(c.bwd, on);
    }
    return out;
  }

  /** Drops every capture (their buffers are freed once no queued work uses them). */
  dispose(): void {
    for (const c of [...this.plans.values(), ...this.candidates.values()]) drop(c);
    this.plans.clear();
    this.candidates.clear();
  }

  /**
   * One training step through a replay or a capture when possible; null when the caller must run
   * its normal step (capture off, or this step's shapes are known not to be capturable).
   */
  step(m: Model, p: StepParts, b: Batch, sync: boolean): number | Promise<number | null> | null {
    if (!enabled) return null;
    const key = keyOf(b);
    const plan = this.plans.get(key);
    if (plan) {
      if (stillValid(plan, m)) {
        stats.replayed++;
        return sync || !deferredEnabled() ? replaySync(plan, m, p, b) : replayAsync(plan, m, p, b);
      }
      note('a model variable was replaced or disposed since the capture (captured again)');
      this.plans.delete(key);
      drop(plan);
    }
    if (this.blocked.has(key)) {
      stats.eager++;
      return null;
    }
    const done = (c: Captured | string): void => this.settle(key, c);
    return sync || !deferredEnabled() ? captureSync(m, p, b, key, done) : captureAsync(m, p, b, key, done);
  }

  private settle(key: string, c: Captured | string): void {
    if (typeof c === 'string') {
      note(c);
      this.blocked.set(key, c);
      return;
    }
    const prev = this.candidates.get(key);
    this.candidates.delete(key);
    if (prev) {
      const diff = sameRecording(prev, c);
      drop(prev);
      if (diff === null) {
        stats.captured++;
        // Keep at most two shapes (a full batch and the last partial one).
        if (this.plans.size >= 2) {
          const [k0, c0] = this.plans.entries().next().value as [string, Captured];
          this.plans.delete(k0);
          drop(c0);
        }
        this.plans.set(key, c);
        return;
      }
      const n = (this.attempts.get(key) ?? 0) + 1;
      this.attempts.set(key, n);
      if (n >= 3) {
        note(diff);
        this.blocked.set(key, diff);
        drop(c);
        return;
      }
    }
    this.candidates.set(key, c);
  }
}

// ---- capture -------------------------------------------------------------------------------------

interface CaptureRun {
  sink: CaptureSink;
  key: string;
  xCaps: Tensor[];
  vars: { v: LayerVariable; t: Tensor; view: Float32Array; unpin: () => void }[];
  f: TrainingForward | null;
  fwd: RecordingSnapshot | null;
  nFwd: number;
  bwd: RecordingSnapshot | null;
  nBwd: number;
  outViews: Float32Array[];
  outShapes: number[][];
  seeds: Tensor[];
  gradViews: Float32Array[];
}

function startCapture(m: Model, b: Batch, key: string): CaptureRun | string {
  const xs = asList(b.x);
  if (xs.some((t) => t.dtype !== 'float32')) return 'an input is not float32';
  const vars: CaptureRun['vars'] = [];
  for (const v of m.weights) {
    if (!v.initialized) return 'a model variable is not initialised yet';
    const t = v.read();
    if (t.dtype !== 'float32') return `variable ${v.name} is not float32`;
    // Pinned: if the step replaces this variable, the captured jobs read this buffer again (an
    // earlier capture may also hold it; its release must not free it under this one).
    vars.push({ v, t, view: freshViewOf(t) as Float32Array, unpin: pinStorage(t) });
  }
  // The step runs on plan-owned copies of the inputs; a replay copies each new batch into them.
  const xCaps = xs.map((t) => t.clone());
  const sink: CaptureSink = { frees: [], invalid: null, fresh: [], randoms: [] };
  setCaptureSink(sink);
  return { sink, key, xCaps, vars, f: null, fwd: null, nFwd: 0, bwd: null, nBwd: 0, outViews: [], outShapes: [], seeds: [], gradViews: [] };
}

function captureForward(r: CaptureRun, m: Model, b: Batch): TrainingForward {
  const a0 = native().recordPending();
  const f = m.forwardForTraining(Array.isArray(b.x) ? r.xCaps : r.xCaps[0]!);
  const a1 = native().recordPending();
  r.fwd = native().recordSnapshot(a0, a1);
  r.nFwd = a1 - a0;
  r.f = f;
  return f;
}

/** The loss, seeds and metrics of the captured forward pass (lossAndSeeds of an eager step). */
function lossSeedsMetrics(p: StepParts, b: Batch, outViews: Float32Array[], outShapes: readonly (readonly number[])[], seedViews: Float32Array[] | null, seeds: Tensor[] | null): number {
  const ys = asList(b.y);
  if (outViews.length !== ys.length) throw new RangeError(`the model has ${outViews.length} output(s), got ${ys.length} target(s)`);
  let value = 0;
  outViews.forEach((pred, k) => {
    const yt = ys[k]!;
    const out = p.loss.compute(viewOf(yt, 'y'), yt.shape, pred, outShapes[k]!, { sampleWeight: b.sampleWeight });
    value += out.value;
    if (seedViews) seedViews[k]!.set(out.grad!);
    else {
      const s = allocTensor([...outShapes[k]!]);
      (freshViewOf(s) as Float32Array).set(out.grad!);
      seeds!.push(s);
    }
    if (k === 0) p.updateMetrics(yt, pred, outShapes[k]!, b.sampleWeight);
  });
  return value;
}

function captureMiddle(r: CaptureRun, p: StepParts, b: Batch): number {
  const f = r.f!;
  r.outViews = f.outputs.map((t) => f32(t, 'model output'));
  r.outShapes = f.outputs.map((t) => [...t.shape]);
  const fresh0 = r.sink.fresh.length;
  const value = f.regularizationLoss + lossSeedsMetrics(p, b, r.outViews, r.outShapes, null, r.seeds);
  r.sink.fresh.length = fresh0; // the seeds are written by every replay, not constants
  if (f.regularizationLoss !== 0) captureInvalid(r, 'the model has regularization losses (read in JavaScript)');
  return value;
}

function captureInvalid(r: CaptureRun, why: string): void {
  r.sink.invalid ??= why;
}

function captureBackward(r: CaptureRun, p: StepParts): void {
  const f = r.f!;
  let grads: Tensor[] = [];
  try {
    const b0 = native().recordPending();
    grads = f.backward(r.seeds);
    const b1 = native().recordPending();
    r.bwd = native().recordSnapshot(b0, b1);
    r.nBwd = b1 - b0;
  } finally {
    for (const t of f.outputs) t.dispose();
  }
  try {
    const weights = f.weights;
    recordableScope(() => {
      r.gradViews = grads.map((g) => f32(g));
      if (weights.length > 0) p.optimizer.applyArrays(weights, weights.map((w) => f32(w.read(), w.name)), r.gradViews);
    });
  } finally {
    for (const g of grads) g.dispose();
  }
}

/** Ends the capture window: the recording if it can be replayed, else why not. */
function finishCapture(r: CaptureRun, m: Model): Captured | string {
  setCaptureSink(null);
  const { sink } = r;
  const fail = (why: string): string => {
    for (const x of r.vars) x.unpin();
    for (const t of r.xCaps) t.dispose();
    for (const t of r.seeds) t.dispose();
    releaseHeldFrees(sink.frees);
    return why;
  };
  if (sink.invalid !== null) return fail(sink.invalid);
  if (!r.fwd || !r.bwd) return fail('the step did not finish');
  const rebind: Captured['rebind'] = [];
  const vars: Captured['vars'] = [];
  for (const { v, t, view, unpin } of r.vars) {
    const now = v.read();
    if (now !== t) {
      const unpinWrite = pinStorage(now);
      rebind.push({ v, read: view, write: freshViewOf(now) as Float32Array, unpin: () => (unpin(), unpinWrite()) });
    } else {
      unpin();
      vars.push({ v, t });
    }
  }
  return {
    key: r.key,
    fwd: r.fwd,
    bwd: r.bwd,
    nFwd: r.nFwd,
    nBwd: r.nBwd,
    xCaps: r.xCaps,
    xViews: r.xCaps.map((t) => freshViewOf(t)),
    outViews: r.outViews,
    outShapes: r.outShapes,
    seedViews: r.seeds.map((t) => freshViewOf(t) as Float32Array),
    gradViews: r.gradViews,
    trainable: r.f!.weights,
    vars,
    rebind,
    randoms: sink.randoms.map((x) => ({ ...x, scratch: allocTensor([x.view.length]) })),
    seeds: r.seeds,
    fresh: sink.fresh.map((v) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice()),
    frees: sink.frees,
  };
}

/** Ends a capture that threw: nothing of it is kept. */
function abortCapture(r: CaptureRun): void {
  setCaptureSink(null);
  for (const x of r.vars) x.unpin();
  for (const t of r.xCaps) t.dispose();
  for (const t of r.seeds) t.dispose();
  releaseHeldFrees(r.sink.frees);
}

function captureSync(m: Model, p: StepParts, b: Batch, key: string, done: (c: Captured | string) => void): number | null {
  const r = startCapture(m, b, key);
  if (typeof r === 'string') {
    done(r);
    return null;
  }
  let value: number;
  try {
    runRecordedSync(() => captureForward(r, m, b));
    value = captureMiddle(r, p, b);
    runRecordedSync(() => captureBackward(r, p));
  } catch (e) {
    abortCapture(r);
    throw e;
  }
  done(finishCapture(r, m));
  return value;
}

async function captureAsync(m: Model, p: StepParts, b: Batch, key: string, done: (c: Captured | string) => void): Promise<number | null> {
  const r = startCapture(m, b, key);
  if (typeof r === 'string') {
    done(r);
    return null;
  }
  let value: number;
  try {
    await runDeferred(() => captureForward(r, m, b));
    value = captureMiddle(r, p, b);
    launchDeferred(() => captureBackward(r, p));
  } catch (e) {
    abortCapture(r);
    throw e;
  }
  done(finishCapture(r, m));
  return value;
}

// ---- replay --------------------------------------------------------------------------------------

function queueForward(c: Captured, b: Batch): void {
  const xs = asList(b.x);
  recordableScope(() => {
    xs.forEach((t, i) => native().copyBuffer(viewOf(t, 'x') as Float32Array, c.xViews[i] as Float32Array));
    const current = c.rebind.map(({ v }) => f32(v.read(), v.name));
    c.rebind.forEach(({ read }, i) => native().copyBuffer(current[i]!, read));
    for (const r of c.randoms) native().copyBuffer(freshViewOf(r.scratch) as Float32Array, r.view);
    native().recordReplay(c.fwd);
    c.rebind.forEach(({ write }, i) => {
      if (current[i]!.buffer !== write.buffer || current[i]!.byteOffset !== write.byteOffset) native().copyBuffer(write, current[i]!);
    });
  });
}

/** Redraws the random fills (dropout masks) into scratch buffers, in the order the step drew them. */
function redraw(c: Captured): void {
  for (const r of c.randoms) r.redraw(freshViewOf(r.scratch) as Float32Array);
}

function queueBackward(c: Captured, p: StepParts): void {
  native().recordReplay(c.bwd);
  const weights = c.trainable;
  if (weights.length > 0) recordableScope(() => p.optimizer.applyArrays(weights, weights.map((w) => f32(w.read(), w.name)), c.gradViews));
}

function replaySync(c: Captured, m: Model, p: StepParts, b: Batch): number {
  redraw(c);
  runRecordedSync(() => queueForward(c, b));
  const value = lossSeedsMetrics(p, b, c.outViews, c.outShapes, c.seedViews, null);
  runRecordedSync(() => queueBackward(c, p));
  // The weights change in place without the model running in training mode (which is what tells
  // inference plans their copies are stale): say so.
  invalidateInferencePlans(m);
  return value;
}

async function replayAsync(c: Captured, m: Model, p: StepParts, b: Batch): Promise<number> {
  // The scratch buffers were last read by the previous step's forward batch, which has finished.
  redraw(c);
  await runDeferred(() => queueForward(c, b));
  const value = lossSeedsMetrics(p, b, c.outViews, c.outShapes, c.seedViews, null);
  launchDeferred(() => queueBackward(c, p));
  invalidateInferencePlans(m); // as in replaySync
  return value;
}
