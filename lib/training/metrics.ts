/**
 * Metrics, stateful across batches like Keras (keras/src/metrics): updateState(yTrue, yPred,
 * sampleWeight) accumulates, result() reads, resetState() clears. fit() resets them at the start
 * of every epoch and of every evaluation, so the logged value is over the whole epoch.
 *
 * Inputs are the plain arrays of a batch: yTrue (class ids or targets), yPred [..., C]; a metric
 * works on rows of C values. Sample weights have one value per batch element.
 */
import { type Labels, toSnake } from './losses.js';

export interface MetricInput {
  yTrue: Labels;
  trueShape: readonly number[];
  yPred: Float32Array;
  predShape: readonly number[];
  sampleWeight?: Float32Array | null;
}

export abstract class Metric {
  /** The key under which the metric appears in logs and History ('val_' + name for validation). */
  name: string;
  constructor(name: string) {
    this.name = name;
  }
  abstract readonly className: string;
  abstract updateState(input: MetricInput): void;
  abstract result(): number;
  abstract resetState(): void;
  getConfig(): Record<string, unknown> {
    return { name: this.name };
  }
}

function lastDim(shape: readonly number[]): number {
  return shape.length <= 1 ? 1 : shape[shape.length - 1]!;
}

/** Weight of each row: rows beyond the batch dimension share their sample's weight. */
function rowWeights(rows: number, batch: number, sw: Float32Array | null | undefined): (r: number) => number {
  if (!sw) return () => 1;
  if (sw.length !== batch) throw new RangeError(`sampleWeight must have one value per sample (${batch}), got ${sw.length}`);
  const per = batch === 0 ? 1 : rows / batch;
  return (r) => sw[Math.floor(r / per)]!;
}

function argmax(a: ArrayLike<number>, off: number, c: number): number {
  let best = off;
  for (let j = off + 1; j < off + c; j++) if (a[j]! > a[best]!) best = j;
  return best - off;
}

/**
 * A weighted mean of per-row values (Keras MeanMetricWrapper): sum(w_r v_r) / sum(w_r).
 */
export abstract class MeanMetric extends Metric {
  protected total = 0;
  protected count = 0;
  /** The value of each row, or null when yTrue does not fit. */
  protected abstract values(input: MetricInput, rows: number, c: number): Float64Array;
  updateState(input: MetricInput): void {
    const c = lastDim(input.predShape);
    const rows = c === 0 ? 0 : input.yPred.length / c;
    const v = this.values(input, rows, c);
    const w = rowWeights(rows, input.predShape[0] ?? rows, input.sampleWeight);
    for (let r = 0; r < rows; r++) {
      const wr = w(r);
      this.total += wr * v[r]!;
      this.count += wr;
    }
  }
  result(): number {
    return this.count === 0 ? 0 : this.total / this.count;
  }
  resetState(): void {
    this.total = 0;
    this.count = 0;
  }
}

/** Keras SparseCategoricalAccuracy: argmax(yPred) == yTrue (class ids, [...] or [..., 1]). */
export class SparseCategoricalAccuracy extends MeanMetric {
  readonly className = 'SparseCategoricalAccuracy';
  constructor(name = 'sparse_categorical_accuracy') {
    super(name);
  }
  protected values(input: MetricInput, rows: number, c: number): Float64Array {
    if (input.yTrue.length !== rows)
      throw new RangeError(`${this.name}: yTrue must hold one class id per row (${rows}), got ${input.yTrue.length}`);
    const out = new Float64Array(rows);
    for (let r = 0; r < rows; r++) out[r] = argmax(input.yPred, r * c, c) === input.yTrue[r] ? 1 : 0;
    return out;
  }
}

/** Keras CategoricalAccuracy: argmax(yPred) == argmax(yTrue). */
export class CategoricalAccuracy extends MeanMetric {
  readonly className = 'CategoricalAccuracy';
  constructor(name = 'categorical_accuracy') {
    super(name);
  }
  protected values(input: MetricInput, rows: number, c: number): Float64Array {
    if (input.yTrue.length !== rows * c) throw new RangeError(`${this.name}: yTrue must have the shape of yPred`);
    const out = new Float64Array(rows);
    for (let r = 0; r < rows; r++) out[r] = argmax(input.yPred, r * c, c) === argmax(input.yTrue, r * c, c) ? 1 : 0;
    return out;
  }
}

/** Keras BinaryAccuracy: mean over the last axis of (yPred > threshold) == yTrue. */
export class BinaryAccuracy extends MeanMetric {
  readonly className = 'BinaryAccuracy';
  constructor(name = 'binary_accuracy', readonly threshold = 0.5) {
    super(name);
  }
  protected values(input: MetricInput, rows: number, c: number): Float64Array {
    if (input.yTrue.length !== rows * c) throw new RangeError(`${this.name}: yTrue must have the shape of yPred`);
    const out = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let j = r * c; j < (r + 1) * c; j++) s += (input.yPred[j]! > this.threshold ? 1 : 0) === input.yTrue[j] ? 1 : 0;
      out[r] = s / c;
    }
    return out;
  }
}

/** Keras Accuracy: exact equality of yTrue and yPred, mean over the last axis. */
export class Accuracy extends MeanMetric {
  readonly className = 'Accuracy';
  constructor(name = 'accuracy') {
    super(name);
  }
  protected values(input: MetricInput, rows: number, c: number): Float64Array {
    const out = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let j = r * c; j < (r + 1) * c; j++) s += input.yPred[j] === input.yTrue[j] ? 1 : 0;
      out[r] = s / c;
    }
    return out;
  }
}

/**
 * Keras TopKCategoricalAccuracy (k = 5): the true class (argmax of one-hot yTrue, or the class id
 * for the sparse variant) is among the k largest predictions. Ties count in the true class's
 * favour only if it is strictly beaten by fewer than k others (as tf.math.in_top_k).
 */
export class TopKCategoricalAccuracy extends MeanMetric {
  readonly className: string = 'TopKCategoricalAccuracy';
  constructor(
    readonly k = 5,
    name = 'top_k_categorical_accuracy',
    protected readonly sparse = false,
  ) {
    super(name);
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`${this.className}: k must be an integer >= 1, got ${k}`);
  }
  protected values(input: MetricInput, rows: number, c: number): Float64Array {
    const out = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      const t = this.sparse ? input.yTrue[r]! : argmax(input.yTrue, r * c, c);
      const pt = input.yPred[r * c + t]!;
      let better = 0;
      for (let j = 0; j < c; j++) if (input.yPred[r * c + j]! > pt) better++;
      out[r] = better < this.k ? 1 : 0;
    }
    return out;
  }
}

/** Mean squared / absolute error as metrics (mean over the last axis, weighted mean over rows). */
export class MeanSquaredErrorMetric extends MeanMetric {
  readonly className = 'MeanSquaredError';
  constructor(name = 'mean_squared_error', private readonly absolute = false) {
    super(name);
  }
  protected values(input: MetricInput, rows: number, c: number): Float64Array {
    if (input.yTrue.length !== rows * c) throw new RangeError(`${this.name}: yTrue must have the shape of yPred`);
    const out = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let j = r * c; j < (r + 1) * c; j++) {
        const e = input.yPred[j]! - input.yTrue[j]!;
        s += this.absolute ? Math.abs(e) : e * e;
      }
      out[r] = s / c;
    }
    return out;
  }
}

// ---- confusion-matrix metrics ------------------------------------------------------------

/**
 * Keras Precision / Recall with one threshold (0.5): every element of yTrue/yPred is one binary
 * decision (Keras flattens them), predicted positive when yPred > threshold.
 */
abstract class ThresholdMetric extends Metric {
  protected tp = 0;
  protected fp = 0;
  protected fn = 0;
  constructor(name: string, readonly threshold = 0.5) {
    super(name);
  }
  updateState(input: MetricInput): void {
    const { yTrue, yPred } = input;
    if (yTrue.length !== yPred.length) throw new RangeError(`${this.name}: yTrue must have the shape of yPred`);
    const c = lastDim(input.predShape);
    const rows = c === 0 ? 0 : yPred.length / c;
    const w = rowWeights(rows, input.predShape[0] ?? rows, input.sampleWeight);
    for (let i = 0; i < yPred.length; i++) {
      const wr = w(Math.floor(i / c));
      const pos = yPred[i]! > this.threshold;
      const t = yTrue[i]! > 0.5;
      if (pos && t) this.tp += wr;
      else if (pos) this.fp += wr;
      else if (t) this.fn += wr;
    }
  }
  resetState(): void {
    this.tp = this.fp = this.fn = 0;
  }
}

export class Precision extends ThresholdMetric {
  readonly className = 'Precision';
  constructor(name = 'precision', threshold = 0.5) {
    super(name, threshold);
  }
  result(): number {
    return this.tp + this.fp === 0 ? 0 : this.tp / (this.tp + this.fp);
  }
}

export class Recall extends ThresholdMetric {
  readonly className = 'Recall';
  constructor(name = 'recall', threshold = 0.5) {
    super(name, threshold);
  }
  result(): number {
    return this.tp + this.fn === 0 ? 0 : this.tp / (this.tp + this.fn);
  }
}

export interface AUCArgs {
  numThresholds?: number;
  curve?: 'ROC' | 'PR';
  summationMethod?: 'interpolation' | 'minoring' | 'majoring';
  name?: string;
}

const divNoNan = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/**
 * Keras AUC (keras/src/metrics/confusion_metrics.py): confusion counts at numThresholds (200)
 * thresholds evenly spaced in [0, 1] — i/(n-1) for i = 1..n-2, plus -eps and 1+eps at the ends —
 * accumulated over batches; result() is a Riemann sum over them. ROC: sum over buckets of
 * (fpr_i - fpr_{i+1}) * height, height = the mean (interpolation), min (minoring) or max
 * (majoring) of the two recalls. PR with interpolation: Davis & Goadrich's interpolated area
 * (Keras interpolate_pr_auc).
 */
export class AUC extends Metric {
  readonly className = 'AUC';
  readonly numThresholds: number;
  readonly curve: 'ROC' | 'PR';
  readonly summationMethod: 'interpolation' | 'minoring' | 'majoring';
  readonly thresholds: Float64Array;
  private tp: Float64Array;
  private fp: Float64Array;
  private tn: Float64Array;
  private fn: Float64Array;
  constructor(args: AUCArgs = {}) {
    super(args.name ?? 'auc');
    const n = args.numThresholds ?? 200;
    if (!Number.isInteger(n) || n <= 1) throw new RangeError(`AUC: numThresholds must be an integer > 1, got ${String(n)}`);
    this.numThresholds = n;
    this.curve = args.curve ?? 'ROC';
    this.summationMethod = args.summationMethod ?? 'interpolation';
    const eps = 1e-7;
    this.thresholds = new Float64Array(n);
    this.thresholds[0] = 0 - eps;
    for (let i = 0; i < n - 2; i++) this.thresholds[i + 1] = (i + 1) / (n - 1);
    this.thresholds[n - 1] = 1 + eps;
    this.tp = new Float64Array(n);
    this.fp = new Float64Array(n);
    this.tn = new Float64Array(n);
    this.fn = new Float64Array(n);
  }
  updateState(input: MetricInput): void {
    const { yTrue, yPred } = input;
    if (yTrue.length !== yPred.length) throw new RangeError(`${this.name}: yTrue must have the shape of yPred`);
    const c = lastDim(input.predShape);
    const rows = c === 0 ? 0 : yPred.length / c;
    const w = rowWeights(rows, input.predShape[0] ?? rows, input.sampleWeight);
    const th = this.thresholds;
    for (let i = 0; i < yPred.length; i++) {
      const wr = w(Math.floor(i / c));
      const p = yPred[i]!;
      const t = yTrue[i]! > 0.5;
      for (let k = 0; k < th.length; k++) {
        const pos = p > th[k]!;
        if (t) {
          if (pos) this.tp[k] += wr;
          else this.fn[k] += wr;
        } else if (pos) this.fp[k] += wr;
        else this.tn[k] += wr;
      }
    }
  }
  result(): number {
    const n = this.numThresholds;
    const { tp, fp, tn, fn } = this;
    if (this.curve === 'PR' && this.summationMethod === 'interpolation') {
      let sum = 0;
      for (let i = 0; i < n - 1; i++) {
        const dtp = tp[i]! - tp[i + 1]!;
        const p0 = tp[i]! + fp[i]!, p1 = tp[i + 1]! + fp[i + 1]!;
        const dp = p0 - p1;
        const slope = divNoNan(dtp, Math.max(dp, 0));
        const intercept = tp[i + 1]! - slope * p1;
        const ratio = p0 > 0 && p1 > 0 ? divNoNan(p0, Math.max(p1, 0)) : 1;
        sum += divNoNan(slope * (dtp + intercept * Math.log(ratio)), Math.max(tp[i + 1]! + fn[i + 1]!, 0));
      }
      return sum;
    }
    const x = new Float64Array(n), y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const recall = divNoNan(tp[i]!, tp[i]! + fn[i]!);
      if (this.curve === 'ROC') {
        x[i] = divNoNan(fp[i]!, fp[i]! + tn[i]!);
        y[i] = recall;
      } else {
        x[i] = recall;
        y[i] = divNoNan(tp[i]!, tp[i]! + fp[i]!);
      }
    }
    let sum = 0;
    for (let i = 0; i < n - 1; i++) {
      const h =
        this.summationMethod === 'interpolation' ? (y[i]! + y[i + 1]!) / 2 : this.summationMethod === 'minoring' ? Math.min(y[i]!, y[i + 1]!) : Math.max(y[i]!, y[i + 1]!);
      sum += (x[i]! - x[i + 1]!) * h;
    }
    return sum;
  }
  resetState(): void {
    for (const a of [this.tp, this.fp, this.tn, this.fn]) a.fill(0);
  }
  override getConfig(): Record<string, unknown> {
    return { name: this.name, num_thresholds: this.numThresholds, curve: this.curve, summation_method: this.summationMethod };
  }
}

/** A running weighted mean of scalars (the `loss` entry of the logs; Keras metrics.Mean). */
export class Mean extends Metric {
  readonly className = 'Mean';
  private total = 0;
  private count = 0;
  constructor(name = 'mean') {
    super(name);
  }
  updateState(input: MetricInput): void {
    for (let i = 0; i < input.yPred.length; i++) this.add(input.yPred[i]!);
  }
  add(value: number, weight = 1): void {
    this.total += value * weight;
    this.count += weight;
  }
  result(): number {
    return this.count === 0 ? 0 : this.total / this.count;
  }
  resetState(): void {
    this.total = 0;
    this.count = 0;
  }
}

// ---- lookup ----------------------------------------------------------------------------------

export type MetricIdentifier = string | Metric;

/**
 * A metric from a name or object. 'accuracy'/'acc' resolve as Keras 3 does
 * (compile_utils.get_metric): binary accuracy when the prediction has one unit, sparse categorical
 * when yTrue has a lower rank (class ids) or a last dimension of 1, categorical otherwise. The log
 * key is the string given (snake-cased: 'sparseCategoricalAccuracy' -> 'sparse_categorical_accuracy').
 */
export function getMetric(id: MetricIdentifier, predShape: readonly number[], trueShape: readonly number[]): Metric {
  if (id instanceof Metric) return id;
  if (typeof id !== 'string') throw new TypeError(`metric must be a name or a Metric object, got ${typeof id}`);
  const key = toSnake(id);
  const units = lastDim(predShape);
  const sparse = trueShape.length < predShape.length || (trueShape[trueShape.length - 1] === 1 && units !== 1);
  switch (key) {
    case 'accuracy':
    case 'acc':
      return units === 1 ? new BinaryAccuracy(key) : sparse ? new SparseCategoricalAccuracy(key) : new CategoricalAccuracy(key);
    case 'sparse_categorical_accuracy':
      return new SparseCategoricalAccuracy(key);
    case 'categorical_accuracy':
      return new CategoricalAccuracy(key);
    case 'binary_accuracy':
      return new BinaryAccuracy(key);
    case 'top_k_categorical_accuracy':
      return new TopKCategoricalAccuracy(5, key);
    case 'sparse_top_k_categorical_accuracy':
      return new TopKCategoricalAccuracy(5, key, true);
    case 'precision':
      return new Precision(key);
    case 'recall':
      return new Recall(key);
    case 'auc':
      return new AUC({ name: key });
    case 'mse':
    case 'mean_squared_error':
      return new MeanSquaredErrorMetric(key);
    case 'mae':
    case 'mean_absolute_error':
      return new MeanSquaredErrorMetric(key, true);
    default:
      throw new RangeError(
        `unknown metric '${id}'; known: accuracy, sparse_categorical_accuracy, categorical_accuracy, binary_accuracy, top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, precision, recall, auc, mse, mae`,
      );
  }
}

/** camelCase factories (TF.js style); each returns a fresh stateful metric. */
export const metrics = {
  sparseCategoricalAccuracy: (name?: string) => new SparseCategoricalAccuracy(name),
  categoricalAccuracy: (name?: string) => new CategoricalAccuracy(name),
  binaryAccuracy: (name?: string, threshold?: number) => new BinaryAccuracy(name, threshold),
  accuracy: (name?: string) => new Accuracy(name),
  topKCategoricalAccuracy: (k = 5, name?: string) => new TopKCategoricalAccuracy(k, name),
  sparseTopKCategoricalAccuracy: (k = 5, name = 'sparse_top_k_categorical_accuracy') => new TopKCategoricalAccuracy(k, name, true),
  precision: (name?: string, threshold?: number) => new Precision(name, threshold),
  recall: (name?: string, threshold?: number) => new Recall(name, threshold),
  auc: (args?: AUCArgs) => new AUC(args),
  meanSquaredError: (name = 'mean_squared_error') => new MeanSquaredErrorMetric(name),
  meanAbsoluteError: (name = 'mean_absolute_error') => new MeanSquaredErrorMetric(name, true),
};
