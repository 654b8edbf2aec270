/**
 * compile / fit / evaluate / trainOnBatch / testOnBatch, installed on the layers team's Model
 * (module augmentation: the Model class stays theirs; importing convkit installs these methods).
 *
 * One training step: forward in training mode on the tape (Dropout active, BatchNormalization
 * updating its moving statistics), the loss as one fused op (value and d loss/d yPred in one
 * pass), backward through the layers' registered gradients, then ONE native call updating every
 * trainable weight in place (lib/training/optimizers.ts). Metrics read the step's predictions.
 *
 * fit awaits setImmediate between batches, so timers, I/O and an AbortSignal are served while it
 * runs; it stops cleanly after the current batch when the signal fires or a callback sets
 * model.stopTraining.
 */
import { Model, type TrainingForward } from '../models/model.js';
import type { Tensor } from '../tensor/index.js';
import { f32, viewOf } from '../tensor/internal.js';
import { launchDeferred, recordableScope, runDeferred, settleDeferred, withoutRecording } from '../engine/index.js';
import * as K from '../layers/backend.js';
import {
  type Batch,
  type DatasetLike,
  type Inputs,
  asList,
  batchSizeOf,
  classWeightsToSample,
  disposeInputs,
  gatherRows,
  isDatasetLike,
  mapInputs,
  openIterator,
  permutation,
  sliceRows,
  toBatch,
} from './data.js';
import { type Loss, type LossIdentifier, getLoss } from './losses.js';
import { lossOp, type LossOpCapture } from './loss_op.js';
import { Mean, type Metric, type MetricIdentifier, getMetric } from './metrics.js';
import { type Optimizer, type OptimizerIdentifier, getOptimizer } from './optimizers.js';
import { Callback, CallbackList, type CallbackLike, toCallback } from './callbacks/callback.js';
import { History } from './callbacks/history.js';
import { ProgbarLogger, type Writable } from './callbacks/progbar.js';
import type { Logs, TrainingParams, Verbosity } from './types.js';
import { StepCapture, type StepParts } from './step_capture.js';

export interface CompileArgs {
  optimizer: OptimizerIdentifier;
  loss: LossIdentifier;
  metrics?: MetricIdentifier[];
}

export interface FitArgs {
  batchSize?: number;
  epochs?: number;
  verbose?: Verbosity;
  callbacks?: CallbackLike | CallbackLike[];
  validationSplit?: number;
  /** [x, y] or [x, y, sampleWeight], or a dataset. */
  validationData?: readonly [Inputs, Inputs] | readonly [Inputs, Inputs, Tensor] | DatasetLike;
  /** Validate every N epochs, or on the listed (1-based) epochs. */
  validationFreq?: number | number[];
  /** Batches of each validation run when validationData is a dataset (default: until it ends). */
  validationSteps?: number;
  shuffle?: boolean;
  classWeight?: Record<number, number>;
  sampleWeight?: Tensor;
  initialEpoch?: number;
  stepsPerEpoch?: number;
  /** Stops fit after the current batch; fit then resolves with the History so far. */
  signal?: AbortSignal;
  /** Where the progress output goes (default process.stdout). */
  progressStream?: Writable;
}

export interface EvaluateArgs {
  batchSize?: number;
  verbose?: Verbosity;
  sampleWeight?: Tensor;
  steps?: number;
  callbacks?: CallbackLike | CallbackLike[];
  /** Return {loss, metric: value} instead of Keras's scalar / list. */
  returnDict?: boolean;
}

export interface BatchArgs {
  sampleWeight?: Tensor;
  classWeight?: Record<number, number>;
  returnDict?: boolean;
}

/** fit()'s result: Keras's History (history.history.loss, ...), plus whether an abort ended it. */
export type FitHistory = History & { aborted?: boolean };

interface Compiled {
  optimizer: Optimizer;
  loss: Loss;
  metricIds: MetricIdentifier[];
  /** Built on the first batch, when the output and target shapes are known. */
  metrics: Metric[] | null;
  valMetrics: Metric[] | null;
  /** Captured training steps, replayed while the step stays the same (step_capture.ts). */
  capture: StepCapture;
}

const STATE = Symbol('convkit.training');
interface TrainingState {
  compiled: Compiled | null;
  stopTraining: boolean;
  history: FitHistory | null;
}

declare module '../models/model.js' {
  interface Model {
    compile(args: CompileArgs): void;
    fit(x: Inputs, y: Inputs, args?: FitArgs): Promise<FitHistory>;
    fit(dataset: DatasetLike, args?: FitArgs): Promise<FitHistory>;
    evaluate(x: Inputs, y: Inputs, args?: EvaluateArgs): Promise<number | number[] | Logs>;
    evaluate(dataset: DatasetLike, args?: EvaluateArgs): Promise<number | number[] | Logs>;
    trainOnBatch(x: Inputs, y: Inputs, args?: BatchArgs): number | number[] | Logs;
    testOnBatch(x: Inputs, y: Inputs, args?: BatchArgs): number | number[] | Logs;
    /** Set to true (e.g. by a callback) to end fit after the current batch. */
    stopTraining: boolean;
    readonly optimizer: Optimizer | null;
    /** The compiled loss, or null before compile(). */
    readonly compiledLoss: Loss | null;
    /** The metric identifiers given to compile() (names or Metric objects), or null before compile(). */
    readonly compiledMetrics: MetricIdentifier[] | null;
    /** Names of the metrics logged, in order (after the first batch): ['loss', 'accuracy', ...]. */
    readonly metricsNames: string[];
    /** History of the last fit (Keras model.history). */
    readonly history: FitHistory | null;
  }
}

function state(m: Model): TrainingState {
  const o = m as unknown as { [STATE]?: TrainingState };
  return (o[STATE] ??= { compiled: null, stopTraining: false, history: null });
}

function compiled(m: Model, what: string): Compiled {
  const c = state(m).compiled;
  if (!c) throw new Error(`Model '${m.name}': call compile({optimizer, loss}) before ${what}()`);
  return c;
}

/**
 * A diagnostic: starts (clearing totals) or stops timing each native job of `model`'s replayed
 * training steps and returns the report so far (see StepCapture.profile; scripts/step-profile.mjs).
 */
export function stepCaptureProfile(model: Model, on: boolean): ReturnType<StepCapture['profile']> {
  if (typeof on !== 'boolean') throw new TypeError(`stepCaptureProfile: on must be a boolean, got ${typeof on}`);
  return state(model).compiled?.capture.profile(on) ?? [];
}

function checkPositiveInt(v: unknown, what: string, allowZero = false): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < (allowZero ? 0 : 1))
    throw new RangeError(`${what} must be an integer ${allowZero ? '>= 0' : '>= 1'}, got ${String(v)}`);
  return v;
}

function checkVerbose(v: unknown): Verbosity {
  if (v === 0 || v === 1 || v === 2 || v === 'json') return v;
  throw new RangeError(`verbose must be 0, 1, 2 or 'json', got ${JSON.stringify(v)}`);
}

function weightsOf(sw: Tensor | undefined, n: number, what: string): Float32Array | null {
  if (sw === undefined) return null;
  if (sw.size !== n) throw new RangeError(`${what} must have one weight per sample (${n}), got shape [${sw.shape.join(', ')}]`);
  const v = viewOf(sw, what);
  return v instanceof Float32Array ? v : Float32Array.from(v);
}

function buildMetrics(c: Compiled, predShape: readonly number[], trueShape: readonly number[]): void {
  if (c.metrics) return;
  c.metrics = c.metricIds.map((id) => getMetric(id, predShape, trueShape));
  // Validation needs separate state; the same identifiers resolve the same way.
  c.valMetrics = c.metrics.map(freshLike);
}

/**
 * The loss of a recorded training forward pass (with its regularization penalties), its gradient
 * with respect to each output as backward seeds, and the metric updates. On an error the forward
 * pass is abandoned and everything it made is freed.
 */
function lossAndSeeds(m: Model, c: Compiled, b: Batch, f: TrainingForward): { value: number; seeds: Tensor[] } {
  const ys = asList(b.y);
  const seeds: Tensor[] = [];
  let value = f.regularizationLoss;
  try {
    if (f.outputs.length !== ys.length) throw new RangeError(`Model '${m.name}' has ${f.outputs.length} output(s), got ${ys.length} target(s)`);
    f.outputs.forEach((p, k) => {
      const yt = ys[k]!;
      const pred = f32(p, 'model output');
      const out = c.loss.compute(viewOf(yt, 'y'), yt.shape, pred, p.shape, { sampleWeight: b.sampleWeight });
      value += out.value;
      seeds.push(K.fromValues(out.grad!, [...p.shape]));
      if (k === 0) updateMetrics(c.metrics!, yt, { pred, predShape: p.shape }, b.sampleWeight);
    });
  } catch (e) {
    f.dispose();
    for (const t of seeds) t.dispose();
    for (const t of f.outputs) t.dispose();
    throw e;
  }
  return { value, seeds };
}

/** Backward from the seeds, then one native optimizer call over all trainable weights. */
function backwardAndUpdate(c: Compiled, f: TrainingForward, seeds: Tensor[]): void {
  let grads: Tensor[] = [];
  try {
    grads = f.backward(seeds);
  } catch (e) {
    f.dispose();
    throw e;
  } finally {
    for (const t of seeds) t.dispose();
    for (const t of f.outputs) t.dispose();
  }
  try {
    const weights = f.weights;
    // The optimizer only hands parameter and gradient memory to its native step: recordable.
    if (weights.length > 0)
      recordableScope(() => c.optimizer.applyArrays(weights, weights.map((w) => f32(w.read(), w.name)), grads.map((g) => f32(g))));
  } finally {
    for (const g of grads) g.dispose();
  }
}

/**
 * One batch, eagerly (trainOnBatch): forward in training mode on the tape
 * (model.forwardForTraining), the loss value and d loss / d yPred in one fused pass per output,
 * backward seeded with those gradients, then one native optimizer call over all trainable weights.
 * Returns the batch loss (with regularization).
 */
function trainStep(m: Model, c: Compiled, b: Batch, lossMean: Mean): number {
  const v = c.capture.step(m, stepParts(c), b, true) as number | null;
  if (v !== null) {
    lossMean.add(v, batchSizeOf(b.x));
    return v;
  }
  const f = m.forwardForTraining(b.x);
  const { value, seeds } = lossAndSeeds(m, c, b, f);
  backwardAndUpdate(c, f, seeds);
  lossMean.add(value, batchSizeOf(b.x));
  return value;
}

/**
 * trainStep with its kernels off the main thread (lib/engine/deferred.ts): the forward pass is
 * recorded and runs as one async native batch; the loss, its gradient and the metrics are computed
 * on its outputs; then backward and the optimizer update run as a second batch, launched without
 * waiting so that the next step is recorded while it runs (anything that reads the weights
 * meanwhile waits for it). The same ops in the same order as trainStep, so the same numbers.
 */
async function trainStepDeferred(m: Model, c: Compiled, b: Batch, lossMean: Mean): Promise<number> {
  const r = c.capture.step(m, stepParts(c), b, false);
  const v = r === null ? null : await r;
  if (v !== null) {
    lossMean.add(v, batchSizeOf(b.x));
    return v;
  }
  const f = await runDeferred(() => m.forwardForTraining(b.x));
  const { value, seeds } = lossAndSeeds(m, c, b, f);
  launchDeferred(() => backwardAndUpdate(c, f, seeds));
  lossMean.add(value, batchSizeOf(b.x));
  return value;
}

/** The compiled pieces a captured step needs (step_capture.ts). */
function stepParts(c: Compiled): StepParts {
  return {
    loss: c.loss,
    optimizer: c.optimizer,
    metrics: c.metrics!,
    updateMetrics: (y, pred, predShape, sw) => updateMetrics(c.metrics!, y, { pred, predShape }, sw),
  };
}

function updateMetrics(metrics: Metric[], y: Tensor, cap: LossOpCapture, sw: Float32Array | null): void {
  if (!cap.pred || metrics.length === 0) return;
  const yTrue = viewOf(y, 'y');
  for (const mt of metrics) mt.updateState({ yTrue, trueShape: y.shape, yPred: cap.pred, predShape: cap.predShape!, sampleWeight: sw });
}

/** Forward in inference mode + loss (no tape); updates metrics; returns the batch loss. */
function testStep(m: Model, c: Compiled, b: Batch, metrics: Metric[], lossMean: Mean, computed?: Tensor | Tensor[]): number {
  const ys = asList(b.y);
  const capture: LossOpCapture = {};
  const value = withoutRecording(() => {
    const pred = computed ?? m.apply(b.x, { training: false });
    const preds = Array.isArray(pred) ? pred : [pred];
    try {
      if (preds.length !== ys.length) throw new RangeError(`the model has ${preds.length} output(s), got ${ys.length} target(s)`);
      let total = 0;
      preds.forEach((p, k) => {
        const l = lossOp(c.loss, ys[k]!, p, b.sampleWeight, k === 0 ? capture : undefined);
        total += f32(l)[0]!;
        l.dispose();
      });
      const reg = m.regularizationLoss();
      if (reg) {
        total += f32(reg)[0]!;
        reg.dispose();
      }
      return total;
    } finally {
      for (const p of preds) p.dispose();
    }
  });
  lossMean.add(value, batchSizeOf(b.x));
  if (c.metrics === null) {
    // First batch ever seen (evaluate on a dataset before any fit): resolve the metrics now and
    // give this evaluation its own fresh copies.
    buildMetrics(c, capture.predShape!, ys[0]!.shape);
    if (metrics.length === 0) metrics.push(...c.metrics!.map(freshLike));
  }
  updateMetrics(metrics, ys[0]!, capture, b.sampleWeight);
  return value;
}

function collectLogs(lossMean: Mean, metrics: Metric[], prefix = ''): Logs {
  const logs: Logs = { [`${prefix}loss`]: lossMean.result() };
  for (const mt of metrics) logs[`${prefix}${mt.name}`] = mt.result();
  return logs;
}

const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Batches of in-memory data: a generator of row ranges over an (optionally shuffled) order. */
function* arrayBatches(x: Inputs, y: Inputs, sw: Float32Array | null, n: number, batchSize: number, order: Int32Array | null, steps: number | null): Generator<Batch> {
  const total = steps ?? Math.ceil(n / batchSize);
  for (let s = 0; s < total; s++) {
    const begin = (s * batchSize) % Math.max(n, 1);
    const end = Math.min(begin + batchSize, n);
    const take = (t: Tensor) => (order ? gatherRows(t, order, begin, end - begin) : sliceRows(t, begin, end));
    const bsw = sw ? (order ? Float32Array.from({ length: end - begin }, (_, i) => sw[order[begin + i]!]!) : sw.slice(begin, end)) : null;
    yield { x: mapInputs(x, take), y: mapInputs(y, take), sampleWeight: bsw };
  }
}

/** Runs evaluation over data; returns logs (prefixed). */
async function runEvaluation(
  m: Model,
  c: Compiled,
  data: { x: Inputs; y: Inputs; sw: Float32Array | null } | DatasetLike,
  batchSize: number,
  metrics: Metric[],
  prefix: string,
  cbs: CallbackList | null,
  steps: number | null,
): Promise<Logs> {
  const lossMean = new Mean();
  for (const mt of metrics) mt.resetState();
  await cbs?.onTestBegin();
  let i = 0;
  const step = async (b: Batch, own: boolean) => {
    await cbs?.onTestBatchBegin(i);
    try {
      // The forward pass runs off the main thread (lib/engine/deferred.ts); loss and metrics on its output.
      const pred = await runDeferred(() => withoutRecording(() => m.apply(b.x, { training: false })));
      testStep(m, c, b, metrics, lossMean, pred);
    } finally {
      if (own) {
        disposeInputs(b.x);
        disposeInputs(b.y);
      }
    }
    await cbs?.onTestBatchEnd(i, collectLogs(lossMean, metrics));
    i++;
  };
  if (isDatasetLike(data)) {
    const it = await openIterator(data);
    while (steps === null || i < steps) {
      const r = await it.next();
      if (r.done) break;
      await step(toBatch(r.value), false);
    }
  } else {
    const n = batchSizeOf(data.x);
    for (const b of arrayBatches(data.x, data.y, data.sw, n, batchSize, null, null)) await step(b, true);
  }
  const logs = collectLogs(lossMean, metrics, prefix);
  await cbs?.onTestEnd(logs);
  return logs;
}

function kerasResult(logs: Logs, returnDict: boolean | undefined): number | number[] | Logs {
  if (returnDict) return logs;
  const v = Object.values(logs);
  return v.length === 1 ? v[0]! : v;
}

function toCallbackList(cbs: CallbackLike | CallbackLike[] | undefined): Callback[] {
  if (cbs === undefined) return [];
  return (Array.isArray(cbs) ? cbs : [cbs]).map(toCallback);
}

// ---- the methods -------------------------------------------------------------------------------

function compile(this: Model, args: CompileArgs): void {
  if (!args || typeof args !== 'object') throw new TypeError(`Model '${this.name}': compile() takes {optimizer, loss, metrics?}`);
  if (args.optimizer === undefined) throw new TypeError(`Model '${this.name}': compile() needs an optimizer ('adam', 'sgd', ... or an Optimizer)`);
  if (args.loss === undefined) throw new TypeError(`Model '${this.name}': compile() needs a loss ('sparse_categorical_crossentropy', ... or a Loss)`);
  const metricIds = args.metrics ?? [];
  if (!Array.isArray(metricIds)) throw new TypeError(`Model '${this.name}': compile() metrics must be an array`);
  state(this).compiled?.capture.dispose();
  state(this).compiled = {
    optimizer: getOptimizer(args.optimizer),
    loss: getLoss(args.loss),
    metricIds: [...metricIds],
    metrics: null,
    valMetrics: null,
    capture: new StepCapture(),
  };
}

async function fit(this: Model, a: Inputs | DatasetLike, b?: Inputs | FitArgs, c?: FitArgs): Promise<FitHistory> {
  const comp = compiled(this, 'fit');
  const fromDataset = isDatasetLike(a);
  const args: FitArgs = (fromDataset ? (b as FitArgs | undefined) : c) ?? {};
  const epochs = checkPositiveInt(args.epochs ?? 1, 'fit: epochs', true);
  const initialEpoch = checkPositiveInt(args.initialEpoch ?? 0, 'fit: initialEpoch', true);
  const batchSize = checkPositiveInt(args.batchSize ?? 32, 'fit: batchSize');
  const verbose = checkVerbose(args.verbose ?? 1);
  const shuffle = args.shuffle ?? true;
  const stepsPerEpoch = args.stepsPerEpoch === undefined ? null : checkPositiveInt(args.stepsPerEpoch, 'fit: stepsPerEpoch');
  if (args.validationSplit !== undefined && !(typeof args.validationSplit === 'number' && args.validationSplit >= 0 && args.validationSplit < 1))
    throw new RangeError(`fit: validationSplit must be a number in [0, 1), got ${String(args.validationSplit)}`);
  const freq = args.validationFreq ?? 1;
  if (!(Array.isArray(freq) ? freq.every((e) => Number.isInteger(e) && e >= 1) : Number.isInteger(freq) && freq >= 1))
    throw new RangeError(`fit: validationFreq must be an integer >= 1 or a list of 1-based epochs, got ${JSON.stringify(freq)}`);
  const validateAt = (epoch: number) => (Array.isArray(freq) ? freq.includes(epoch + 1) : (epoch + 1) % freq === 0);

  // ---- data ----
  let trainX: Inputs | null = null, trainY: Inputs | null = null, trainSw: Float32Array | null = null, n = 0;
  let dataset: DatasetLike | null = null;
  let valData: { x: Inputs; y: Inputs; sw: Float32Array | null } | DatasetLike | null = null;
  const owned: Tensor[] = [];
  if (fromDataset) {
    dataset = a as DatasetLike;
    if (args.validationSplit) throw new RangeError('fit: validationSplit needs in-memory arrays, not a dataset (pass validationData)');
    if (args.classWeight || args.sampleWeight) throw new RangeError('fit: with a dataset, give sample weights as the third element of each batch');
  } else {
    if (b === undefined || (!Array.isArray(b) && !isTensorLike(b))) throw new TypeError(`Model '${this.name}': fit(x, y, args) needs targets y`);
    trainX = a as Inputs;
    trainY = b as Inputs;
    n = batchSizeOf(trainX);
    const ny = batchSizeOf(trainY);
    if (ny !== n) throw new RangeError(`fit: x has ${n} samples, y has ${ny}`);
    trainSw = weightsOf(args.sampleWeight, n, 'fit: sampleWeight');
    if (args.classWeight) trainSw = classWeightsToSample(asList(trainY)[0]!, args.classWeight, trainSw);
    if (args.validationSplit && args.validationSplit > 0) {
      // Keras: the LAST fraction of the samples, taken before shuffling.
      const split = Math.floor(n * (1 - args.validationSplit));
      if (split === 0 || split === n) throw new RangeError(`fit: validationSplit ${args.validationSplit} leaves no training or validation samples out of ${n}`);
      const vx = mapInputs(trainX, (t) => sliceRows(t, split, n));
      const vy = mapInputs(trainY, (t) => sliceRows(t, split, n));
      valData = { x: vx, y: vy, sw: trainSw ? trainSw.slice(split) : null };
      trainX = mapInputs(trainX, (t) => sliceRows(t, 0, split));
      trainY = mapInputs(trainY, (t) => sliceRows(t, 0, split));
      owned.push(...asList(vx), ...asList(vy), ...asList(trainX), ...asList(trainY));
      if (trainSw) trainSw = trainSw.slice(0, split);
      n = split;
    }
  }
  if (args.validationData !== undefined) {
    const vd = args.validationData;
    if (isDatasetLike(vd)) valData = vd;
    else {
      if (!Array.isArray(vd) || vd.length < 2) throw new TypeError('fit: validationData must be [x, y], [x, y, sampleWeight] or a dataset');
      const [vx, vy, vw] = vd as [Inputs, Inputs, Tensor?];
      valData = { x: vx, y: vy, sw: weightsOf(vw, batchSizeOf(vx), 'fit: validationData sample weights') };
    }
  }
  const steps = fromDataset ? stepsPerEpoch : (stepsPerEpoch ?? Math.ceil(n / batchSize));

  // ---- callbacks ----
  const st = state(this);
  const history: FitHistory = new History();
  const userCbs = toCallbackList(args.callbacks);
  const list = new CallbackList([...userCbs, ...(verbose !== 0 ? [new ProgbarLogger({ verbose, stream: args.progressStream })] : []), history]);
  const params: TrainingParams = { epochs, steps, verbose, batchSize, samples: fromDataset ? undefined : n, initialEpoch };
  list.setModel(this);
  list.setParams(params);
  st.stopTraining = false;
  st.history = history;
  const lossMean = new Mean('loss');
  let persistentIt: Awaited<ReturnType<typeof openIterator>> | null = null;

  try {
    await list.onTrainBegin();
    let startEpoch = initialEpoch;
    for (const cb of list.callbacks) {
      const r = (cb as { resumeEpoch?: () => number | null }).resumeEpoch?.();
      if (typeof r === 'number' && r > startEpoch) startEpoch = r;
    }
    for (let epoch = startEpoch; epoch < epochs; epoch++) {
      if (st.stopTraining || args.signal?.aborted) break;
      lossMean.resetState();
      for (const mt of comp.metrics ?? []) mt.resetState();
      await list.onEpochBegin(epoch);
      let batchIndex = 0;
      let logs: Logs = {};
      const runBatch = async (bt: Batch, own: boolean): Promise<void> => {
        await list.onBatchBegin(batchIndex, { batch: batchIndex, size: batchSizeOf(bt.x) });
        try {
          if (comp.metrics === null) {
            // Resolve metric names ('accuracy' -> sparse/categorical/binary) from the first batch.
            const pred = await runDeferred(() => withoutRecording(() => this.apply(bt.x, { training: false })));
            const p0 = Array.isArray(pred) ? pred[0]! : pred;
            buildMetrics(comp, p0.shape, asList(bt.y)[0]!.shape);
            for (const p of Array.isArray(pred) ? pred : [pred]) p.dispose();
          }
          await trainStepDeferred(this, comp, bt, lossMean);
        } finally {
          if (own) {
            disposeInputs(bt.x);
            disposeInputs(bt.y);
          }
        }
        logs = collectLogs(lossMean, comp.metrics!);
        await list.onBatchEnd(batchIndex, logs);
        batchIndex++;
        await yieldToLoop();
      };
      if (dataset) {
        // With stepsPerEpoch, one iterator runs across epochs (Keras's behaviour for repeated
        // datasets); without it, each epoch re-opens the dataset and runs until it ends.
        // A re-iterable dataset that ends exactly at an epoch boundary is re-opened once.
        let it = stepsPerEpoch !== null ? (persistentIt ??= await openIterator(dataset)) : await openIterator(dataset);
        while (steps === null || batchIndex < steps) {
          if (st.stopTraining || args.signal?.aborted) break;
          let r = await it.next();
          if (r.done && stepsPerEpoch !== null && batchIndex === 0) {
            it = persistentIt = await openIterator(dataset);
            r = await it.next();
          }
          if (r.done) {
            if (stepsPerEpoch !== null) persistentIt = null;
            break;
          }
          await runBatch(toBatch(r.value), false);
        }
      } else {
        const order = shuffle ? permutation(n) : null;
        for (const bt of arrayBatches(trainX!, trainY!, trainSw, n, batchSize, order, steps)) {
          if (st.stopTraining || args.signal?.aborted) {
            disposeInputs(bt.x);
            disposeInputs(bt.y);
            break;
          }
          await runBatch(bt, true);
        }
      }
      // The last step's backward/update may still be running: finish it (and surface its error).
      await settleDeferred();
      if (args.signal?.aborted) {
        history.aborted = true;
        break;
      }
      const epochLogs: Logs = { ...logs };
      if (valData && validateAt(epoch)) {
        const valLogs = await runEvaluation(this, comp, valData, batchSize, comp.valMetrics ?? [], 'val_', list, args.validationSteps ?? null);
        Object.assign(epochLogs, valLogs);
      }
      await list.onEpochEnd(epoch, epochLogs);
    }
    if (args.signal?.aborted) history.aborted = true;
    await list.onTrainEnd(history.epoch.length ? lastLogs(history) : undefined);
  } finally {
    // On an error path, still let launched work finish before fit settles (its error, if any, is
    // secondary to the one propagating).
    await settleDeferred().catch(() => undefined);
    for (const t of owned) t.dispose();
  }
  return history;
}

function lastLogs(h: History): Logs {
  const out: Logs = {};
  for (const [k, v] of Object.entries(h.history)) if (v.length) out[k] = v[v.length - 1]!;
  return out;
}

function isTensorLike(x: unknown): boolean {
  return typeof x === 'object' && x !== null && 'shape' in x && 'dtype' in x;
}

async function evaluate(this: Model, a: Inputs | DatasetLike, b?: Inputs | EvaluateArgs, c?: EvaluateArgs): Promise<number | number[] | Logs> {
  const comp = compiled(this, 'evaluate');
  const fromDataset = isDatasetLike(a);
  const args: EvaluateArgs = (fromDataset ? (b as EvaluateArgs | undefined) : c) ?? {};
  const batchSize = checkPositiveInt(args.batchSize ?? 32, 'evaluate: batchSize');
  let data: { x: Inputs; y: Inputs; sw: Float32Array | null } | DatasetLike;
  if (fromDataset) data = a as DatasetLike;
  else {
    if (b === undefined) throw new TypeError(`Model '${this.name}': evaluate(x, y, args) needs targets y`);
    const n = batchSizeOf(a as Inputs);
    data = { x: a as Inputs, y: b as Inputs, sw: weightsOf(args.sampleWeight, n, 'evaluate: sampleWeight') };
  }
  const cbs = new CallbackList(toCallbackList(args.callbacks));
  cbs.setModel(this);
  if (comp.metrics === null && !isDatasetLike(data)) {
    const x1 = mapInputs(data.x, (t) => sliceRows(t, 0, 1));
    const pred = withoutRecording(() => this.apply(x1, { training: false }));
    buildMetrics(comp, (Array.isArray(pred) ? pred[0]! : pred).shape, asList(data.y)[0]!.shape);
    for (const p of Array.isArray(pred) ? pred : [pred]) p.dispose();
    disposeInputs(x1);
  }
  // evaluate() has its own metric state: a fresh copy of each metric, so it never disturbs fit's.
  const metrics = (comp.metrics ?? []).map(freshLike);
  const logs = await runEvaluation(this, comp, data, batchSize, metrics, '', cbs, args.steps ?? null);
  return kerasResult(logs, args.returnDict);
}

/** A new, empty metric of the same kind and name as m (for an independent evaluation). */
function freshLike(m: Metric): Metric {
  const copy = Object.create(Object.getPrototypeOf(m)) as Metric;
  Object.assign(copy, m);
  // Deep-copy array state (AUC buckets) so the two never share buffers.
  for (const [k, v] of Object.entries(copy)) if (v instanceof Float64Array) (copy as unknown as Record<string, unknown>)[k] = new Float64Array(v.length);
  copy.resetState();
  return copy;
}

function trainOnBatch(this: Model, x: Inputs, y: Inputs, args: BatchArgs = {}): number | number[] | Logs {
  const comp = compiled(this, 'trainOnBatch');
  const n = batchSizeOf(x);
  let sw = weightsOf(args.sampleWeight, n, 'trainOnBatch: sampleWeight');
  if (args.classWeight) sw = classWeightsToSample(asList(y)[0]!, args.classWeight, sw);
  if (comp.metrics === null) {
    const pred = withoutRecording(() => this.apply(x, { training: false }));
    buildMetrics(comp, (Array.isArray(pred) ? pred[0]! : pred).shape, asList(y)[0]!.shape);
    for (const p of Array.isArray(pred) ? pred : [pred]) p.dispose();
  }
  // Keras train_on_batch(reset_metrics=True): the metrics describe this batch only.
  for (const mt of comp.metrics!) mt.resetState();
  const lossMean = new Mean();
  trainStep(this, comp, { x, y, sampleWeight: sw }, lossMean);
  return kerasResult(collectLogs(lossMean, comp.metrics!), args.returnDict);
}

function testOnBatch(this: Model, x: Inputs, y: Inputs, args: BatchArgs = {}): number | number[] | Logs {
  const comp = compiled(this, 'testOnBatch');
  const sw = weightsOf(args.sampleWeight, batchSizeOf(x), 'testOnBatch: sampleWeight');
  const lossMean = new Mean();
  if (comp.metrics === null) {
    const pred = withoutRecording(() => this.apply(x, { training: false }));
    buildMetrics(comp, (Array.isArray(pred) ? pred[0]! : pred).shape, asList(y)[0]!.shape);
    for (const p of Array.isArray(pred) ? pred : [pred]) p.dispose();
  }
  const metrics = comp.metrics!.map(freshLike);
  testStep(this, comp, { x, y, sampleWeight: sw }, metrics, lossMean);
  return kerasResult(collectLogs(lossMean, metrics), args.returnDict);
}

// ---- installation --------------------------------------------------------------------------------

const proto = Model.prototype as unknown as Record<string, unknown>;
if (!Object.prototype.hasOwnProperty.call(proto, 'compile')) {
  Object.assign(proto, { compile, fit, evaluate, trainOnBatch, testOnBatch });
  Object.defineProperty(proto, 'stopTraining', {
    get(this: Model) {
      return state(this).stopTraining;
    },
    set(this: Model, v: boolean) {
      state(this).stopTraining = Boolean(v);
    },
    configurable: true,
  });
  Object.defineProperty(proto, 'optimizer', {
    get(this: Model) {
      return state(this).compiled?.optimizer ?? null;
    },
    configurable: true,
  });
  Object.defineProperty(proto, 'compiledLoss', {
    get(this: Model) {
      return state(this).compiled?.loss ?? null;
    },
    configurable: true,
  });
  Object.defineProperty(proto, 'compiledMetrics', {
    get(this: Model) {
      const c = state(this).compiled;
      return c ? [...c.metricIds] : null;
    },
    configurable: true,
  });
  Object.defineProperty(proto, 'metricsNames', {
    get(this: Model) {
      const c = state(this).compiled;
      return ['loss', ...(c?.metrics ?? []).map((m) => m.name)];
    },
    configurable: true,
  });
  Object.defineProperty(proto, 'history', {
    get(this: Model) {
      return state(this).history;
    },
    configurable: true,
  });
}
