/**
 * Losses, Keras 3 semantics (keras/src/losses/losses.py and the backends' nn functions).
 *
 * Every loss computes, in one pass over plain typed arrays, its value AND its gradient with respect
 * to the prediction. The training step uses the gradient as the seed of backpropagation, so losses
 * need no autodiff of their own; `lossOp` (lib/training/loss_op.ts) wraps a loss as one tape op whose
 * registered gradient is this precomputed array, for custom training loops.
 *
 * Shapes: the prediction is [...batch dims, C]; a loss first reduces the last axis to one value
 * per row (Keras's per-sample loss: the mean over the last axis for elementwise losses, the sum for
 * cross-entropies and KLD), then the reduction combines the rows with their sample weights:
 *  - 'sum_over_batch_size' (Keras's default): sum(w_r * l_r) / number of rows
 *  - 'sum': sum(w_r * l_r)
 *  - 'none': the per-row losses (value = their weighted sum, so gradients stay defined)
 * Sample weights have one value per batch element (broadcast over extra row dimensions).
 * Cross-entropies run in native code (native/loss/cross_entropy.cc), the rest here in JS: their
 * inputs are a batch of outputs, a few thousand numbers.
 */
import { native } from '../native/index.js';
import './native.js';

export type Reduction = 'sum_over_batch_size' | 'sum' | 'none';
export type Labels = Float32Array | Int32Array;

/** Keras's backend.epsilon(). */
export const EPSILON = 1e-7;

export interface LossOutput {
  /** The reduced loss. */
  value: number;
  /** Loss per row (before weighting and reduction). */
  perRow: Float32Array;
  /** d value / d yPred, same length as yPred (null when not requested). */
  grad: Float32Array | null;
}

export interface LossComputeOptions {
  /** One weight per batch element (yPred.shape[0]), or null. */
  sampleWeight?: Float32Array | null;
  /** Compute the gradient too (default true). */
  withGrad?: boolean;
}

export interface LossArgs {
  reduction?: Reduction;
  name?: string;
}

function checkReduction(r: unknown, who: string): Reduction {
  if (r === 'sum_over_batch_size' || r === 'sum' || r === 'none') return r;
  throw new RangeError(`${who}: reduction must be 'sum_over_batch_size', 'sum' or 'none', got ${JSON.stringify(r)}`);
}

function shapeStr(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

export abstract class Loss {
  /** Keras's name of the loss (the `loss` key of the logs is always 'loss'). */
  readonly name: string;
  readonly reduction: Reduction;
  constructor(defaultName: string, args: LossArgs = {}) {
    this.name = args.name ?? defaultName;
    this.reduction = checkReduction(args.reduction ?? 'sum_over_batch_size', this.constructor.name);
  }

  /** Keras's class name, for getConfig/serialization. */
  abstract readonly className: string;

  /**
   * Per-row losses into `loss` and, when `grad` is given, d loss_r / d yPred into grad (each row's
   * part multiplied by rowScale[r]).
   */
  protected abstract rows(
    yTrue: Labels,
    yPred: Float32Array,
    rows: number,
    c: number,
    trueShape: readonly number[],
    loss: Float32Array,
    grad: Float32Array | null,
    rowScale: Float32Array,
  ): void;

  /** Checks yTrue against the prediction's shape; returns nothing or throws RangeError. */
  protected checkTrue(yTrue: Labels, predShape: readonly number[], trueShape: readonly number[]): void {
    const n = predShape.reduce((a, b) => a * b, 1);
    if (yTrue.length !== n)
      throw new RangeError(`${this.className}: yTrue ${shapeStr(trueShape)} does not match yPred ${shapeStr(predShape)}`);
  }

  compute(
    yTrue: Labels,
    trueShape: readonly number[],
    yPred: Float32Array,
    predShape: readonly number[],
    opts: LossComputeOptions = {},
  ): LossOutput {
    if (predShape.length < 1) throw new RangeError(`${this.className}: yPred must have rank >= 1, got a scalar`);
    const size = predShape.reduce((a, b) => a * b, 1);
    if (yPred.length !== size) throw new RangeError(`${this.className}: yPred has ${yPred.length} values for shape ${shapeStr(predShape)}`);
    this.checkTrue(yTrue, predShape, trueShape);
    const c = predShape.length === 1 ? 1 : predShape[predShape.length - 1]!;
    const rows = c === 0 ? 0 : size / c;
    const batch = predShape.length === 1 ? predShape[0]! : predShape[0]!;
    const perBatch = batch === 0 ? 0 : rows / batch;
    const sw = opts.sampleWeight ?? null;
    if (sw && sw.length !== batch)
      throw new RangeError(`${this.className}: sampleWeight must have one value per sample (${batch}), got ${sw.length}`);
    const denom = this.reduction === 'sum_over_batch_size' ? Math.max(rows, 1) : 1;
    const rowScale = new Float32Array(rows);
    for (let r = 0; r < rows; r++) rowScale[r] = (sw ? sw[Math.floor(r / perBatch)]! : 1) / denom;
    const loss = new Float32Array(rows);
    const grad = opts.withGrad === false ? null : new Float32Array(size);
    this.rows(yTrue, yPred, rows, c, trueShape, loss, grad, rowScale);
    let value = 0;
    for (let r = 0; r < rows; r++) value += loss[r]! * rowScale[r]!;
    return { value, perRow: loss, grad };
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, reduction: this.reduction };
  }
}

// ---- cross-entropies (native) ------------------------------------------------------------

export interface CrossentropyArgs extends LossArgs {
  fromLogits?: boolean;
  labelSmoothing?: number;
}

function checkSmoothing(ls: unknown, who: string): number {
  if (typeof ls !== 'number' || !(ls >= 0 && ls <= 1)) throw new RangeError(`${who}: labelSmoothing must be a number in [0, 1], got ${String(ls)}`);
  return ls;
}

/** Keras CategoricalCrossentropy: one-hot (or soft) targets of the prediction's shape. */
export class CategoricalCrossentropy extends Loss {
  readonly className = 'CategoricalCrossentropy';
  readonly fromLogits: boolean;
  readonly labelSmoothing: number;
  constructor(args: CrossentropyArgs = {}) {
    super('categorical_crossentropy', args);
    this.fromLogits = args.fromLogits ?? false;
    this.labelSmoothing = checkSmoothing(args.labelSmoothing ?? 0, this.className);
  }
  protected rows(yTrue: Labels, yPred: Float32Array, rows: number, c: number, _ts: readonly number[], loss: Float32Array, grad: Float32Array | null, scale: Float32Array): void {
    const t = yTrue instanceof Float32Array ? yTrue : Float32Array.from(yTrue);
    crossEntropy(this.fromLogits, yPred, null, t, rows, c, this.labelSmoothing, loss, grad, scale);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), from_logits: this.fromLogits, label_smoothing: this.labelSmoothing };
  }
}

/**
 * Keras SparseCategoricalCrossentropy: integer class ids, shape [...] or [..., 1] against a
 * prediction [..., C]. labelSmoothing is a convkit extension (Keras has it only on the categorical
 * loss): the same as one-hot encoding the labels and smoothing them.
 */
export class SparseCategoricalCrossentropy extends Loss {
  readonly className = 'SparseCategoricalCrossentropy';
  readonly fromLogits: boolean;
  readonly labelSmoothing: number;
  constructor(args: CrossentropyArgs = {}) {
    super('sparse_categorical_crossentropy', args);
    this.fromLogits = args.fromLogits ?? false;
    this.labelSmoothing = checkSmoothing(args.labelSmoothing ?? 0, this.className);
  }
  protected override checkTrue(yTrue: Labels, predShape: readonly number[], trueShape: readonly number[]): void {
    const rows = predShape.slice(0, -1).reduce((a, b) => a * b, 1);
    if (yTrue.length !== rows)
      throw new RangeError(
        `${this.className}: yTrue ${shapeStr(trueShape)} must hold one class id per row of yPred ${shapeStr(predShape)} (${rows} ids), got ${yTrue.length}`,
      );
  }
  protected rows(yTrue: Labels, yPred: Float32Array, rows: number, c: number, _ts: readonly number[], loss: Float32Array, grad: Float32Array | null, scale: Float32Array): void {
    crossEntropy(this.fromLogits, yPred, toClassIds(yTrue, c, this.className), null, rows, c, this.labelSmoothing, loss, grad, scale);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), from_logits: this.fromLogits };
  }
}

/** Class ids as Int32Array; float labels must be whole numbers in [0, c). */
export function toClassIds(y: Labels, c: number, who: string): Int32Array {
  if (y instanceof Int32Array) return y;
  const out = new Int32Array(y.length);
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= c) throw new RangeError(`${who}: label ${v} at index ${i} is not a class id in [0, ${c})`);
    out[i] = v;
  }
  return out;
}

function crossEntropy(
  fromLogits: boolean,
  x: Float32Array,
  labels: Int32Array | null,
  targets: Float32Array | null,
  rows: number,
  c: number,
  ls: number,
  loss: Float32Array,
  grad: Float32Array | null,
  scale: Float32Array,
): void {
  if (rows === 0) return;
  const nat = native();
  if (fromLogits) nat.softmaxCrossEntropy(x, labels, targets, rows, c, ls, loss, grad, scale);
  else nat.probabilityCrossEntropy(x, labels, targets, rows, c, ls, EPSILON, loss, grad, scale);
}

// ---- elementwise losses (JS) ------------------------------------------------------------

abstract class ElementwiseLoss extends Loss {
  /** Loss and derivative of one element. */
  protected abstract element(t: number, p: number): [number, number];
  protected rows(yTrue: Labels, yPred: Float32Array, rows: number, c: number, _ts: readonly number[], loss: Float32Array, grad: Float32Array | null, scale: Float32Array): void {
    for (let r = 0; r < rows; r++) {
      let s = 0;
      const k = scale[r]! / c;
      for (let j = 0; j < c; j++) {
        const i = r * c + j;
        const [l, d] = this.element(yTrue[i]!, yPred[i]!);
        s += l;
        if (grad) grad[i] = d * k;
      }
      loss[r] = s / c; // Keras: mean over the last axis
    }
  }
}

/** Keras MeanSquaredError: mean((p - t)^2) over the last axis. */
export class MeanSquaredError extends ElementwiseLoss {
  readonly className = 'MeanSquaredError';
  constructor(args: LossArgs = {}) {
    super('mean_squared_error', args);
  }
  protected element(t: number, p: number): [number, number] {
    const e = p - t;
    return [e * e, 2 * e];
  }
}

/** Keras MeanAbsoluteError: mean(|p - t|); the derivative at 0 is taken as 0 (sign(0)). */
export class MeanAbsoluteError extends ElementwiseLoss {
  readonly className = 'MeanAbsoluteError';
  constructor(args: LossArgs = {}) {
    super('mean_absolute_error', args);
  }
  protected element(t: number, p: number): [number, number] {
    const e = p - t;
    return [Math.abs(e), Math.sign(e)];
  }
}

/** Keras Huber(delta = 1): 0.5 e^2 where |e| <= delta, else delta (|e| - 0.5 delta); mean. */
export class Huber extends ElementwiseLoss {
  readonly className = 'Huber';
  readonly delta: number;
  constructor(args: LossArgs & { delta?: number } = {}) {
    super('huber_loss', args);
    const d = args.delta ?? 1;
    if (typeof d !== 'number' || !(d > 0)) throw new RangeError(`Huber: delta must be a number > 0, got ${String(d)}`);
    this.delta = d;
  }
  protected element(t: number, p: number): [number, number] {
    const e = p - t;
    const a = Math.abs(e);
    return a <= this.delta ? [0.5 * e * e, e] : [this.delta * a - 0.5 * this.delta * this.delta, this.delta * Math.sign(e)];
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), delta: this.delta };
  }
}

/**
 * Keras Hinge: mean(max(1 - t p, 0)); labels in {0, 1} are mapped to {-1, 1} first (Keras
 * converts binary labels the same way).
 */
export class Hinge extends Loss {
  readonly className = 'Hinge';
  constructor(args: LossArgs = {}) {
    super('hinge', args);
  }
  protected rows(yTrue: Labels, yPred: Float32Array, rows: number, c: number, _ts: readonly number[], loss: Float32Array, grad: Float32Array | null, scale: Float32Array): void {
    let binary = true;
    for (let i = 0; i < yTrue.length && binary; i++) if (yTrue[i] !== 0 && yTrue[i] !== 1) binary = false;
    for (let r = 0; r < rows; r++) {
      let s = 0;
      const k = scale[r]! / c;
      for (let j = 0; j < c; j++) {
        const i = r * c + j;
        const t = binary ? 2 * yTrue[i]! - 1 : yTrue[i]!;
        const m = 1 - t * yPred[i]!;
        s += m > 0 ? m : 0;
        if (grad) grad[i] = m > 0 ? -t * k : 0;
      }
      loss[r] = s / c;
    }
  }
}

/**
 * Keras KLDivergence: sum(t log(t / p)) over the last axis, both clipped to [epsilon, 1]
 * (the derivative is zero where the prediction was clipped).
 */
export class KLDivergence extends Loss {
  readonly className = 'KLDivergence';
  constructor(args: LossArgs = {}) {
    super('kl_divergence', args);
  }
  protected rows(yTrue: Labels, yPred: Float32Array, rows: number, c: number, _ts: readonly number[], loss: Float32Array, grad: Float32Array | null, scale: Float32Array): void {
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let j = 0; j < c; j++) {
        const i = r * c + j;
        const t = Math.min(Math.max(yTrue[i]!, EPSILON), 1);
        const p0 = yPred[i]!;
        const p = Math.min(Math.max(p0, EPSILON), 1);
        s += t * Math.log(t / p);
        if (grad) grad[i] = p0 > EPSILON && p0 < 1 ? (-t / p) * scale[r]! : 0;
      }
      loss[r] = s;
    }
  }
}

/**
 * Keras BinaryCrossentropy, mean over the last axis.
 *  - from probabilities (Keras 3 backend binary_crossentropy): p = clip(p, eps, 1 - eps),
 *    l = -(t log(p) + (1 - t) log(1 - p)); derivative zero where clipped.
 *  - from logits (the TensorFlow backend's sigmoid_cross_entropy_with_logits):
 *    l = max(x, 0) - x t + log(1 + exp(-|x|)),
 *    dl/dx = sigmoid(x) - t; stable for any x.
 * labelSmoothing: t = t (1 - ls) + 0.5 ls.
 */
export class BinaryCrossentropy extends Loss {
  readonly className = 'BinaryCrossentropy';
  readonly fromLogits: boolean;
  readonly labelSmoothing: number;
  constructor(args: CrossentropyArgs = {}) {
    super('binary_crossentropy', args);
    this.fromLogits = args.fromLogits ?? false;
    this.labelSmoothing = checkSmoothing(args.labelSmoothing ?? 0, this.className);
  }
  protected rows(yTrue: Labels, yPred: Float32Array, rows: number, c: number, _ts: readonly number[], loss: Float32Array, grad: Float32Array | null, scale: Float32Array): void {
    const ls = this.labelSmoothing;
    for (let r = 0; r < rows; r++) {
      let s = 0;
      const k = scale[r]! / c;
      for (let j = 0; j < c; j++) {
        const i = r * c + j;
        const t = yTrue[i]! * (1 - ls) + 0.5 * ls;
        const x = yPred[i]!;
        if (this.fromLogits) {
          s += Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x)));
          if (grad) grad[i] = (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))) - t;
          if (grad) grad[i] = grad[i]! * k;
        } else {
          const p = Math.min(Math.max(x, EPSILON), 1 - EPSILON);
          s -= t * Math.log(p) + (1 - t) * Math.log(1 - p);
          if (grad) grad[i] = x > EPSILON && x < 1 - EPSILON ? (-t / p + (1 - t) / (1 - p)) * k : 0;
        }
      }
      loss[r] = s / c;
    }
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), from_logits: this.fromLogits, label_smoothing: this.labelSmoothing };
  }
}

// ---- lookup by name ---------------------------------------------------------------------

const FACTORIES: Record<string, () => Loss> = {
  sparse_categorical_crossentropy: () => new SparseCategoricalCrossentropy(),
  categorical_crossentropy: () => new CategoricalCrossentropy(),
  binary_crossentropy: () => new BinaryCrossentropy(),
  mean_squared_error: () => new MeanSquaredError(),
  mse: () => new MeanSquaredError(),
  mean_absolute_error: () => new MeanAbsoluteError(),
  mae: () => new MeanAbsoluteError(),
  huber: () => new Huber(),
  huber_loss: () => new Huber(),
  hinge: () => new Hinge(),
  kl_divergence: () => new KLDivergence(),
  kld: () => new KLDivergence(),
  kullback_leibler_divergence: () => new KLDivergence(),
};

/** 'sparseCategoricalCrossentropy' -> 'sparse_categorical_crossentropy' (snake case is kept). */
export function toSnake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

export type LossIdentifier = string | Loss;

/** A loss from a Keras/TF.js name (snake or camel case) or a Loss object. */
export function getLoss(id: LossIdentifier): Loss {
  if (id instanceof Loss) return id;
  if (typeof id !== 'string') throw new TypeError(`loss must be a name or a Loss object, got ${typeof id}`);
  const f = FACTORIES[toSnake(id)];
  if (!f) throw new RangeError(`unknown loss '${id}'; known: ${Object.keys(FACTORIES).join(', ')}`);
  return f();
}

// camelCase factories, as TF.js's tf.losses / Keras's functional names.
export const losses = {
  sparseCategoricalCrossentropy: (a?: CrossentropyArgs) => new SparseCategoricalCrossentropy(a),
  categoricalCrossentropy: (a?: CrossentropyArgs) => new CategoricalCrossentropy(a),
  binaryCrossentropy: (a?: CrossentropyArgs) => new BinaryCrossentropy(a),
  meanSquaredError: (a?: LossArgs) => new MeanSquaredError(a),
  meanAbsoluteError: (a?: LossArgs) => new MeanAbsoluteError(a),
  huber: (a?: LossArgs & { delta?: number }) => new Huber(a),
  hinge: (a?: LossArgs) => new Hinge(a),
  kld: (a?: LossArgs) => new KLDivergence(a),
  klDivergence: (a?: LossArgs) => new KLDivergence(a),
};
