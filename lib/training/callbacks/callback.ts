/**
 * Callbacks (keras/src/callbacks/callback.py): hooks called by fit/evaluate. Every hook may be
 * async; the loop awaits it before going on. Hook names follow TF.js (onEpochEnd, onBatchEnd, ...)
 * with Keras's train/test split (onTrainBatchEnd is an alias of onBatchEnd).
 */
import type { Logs, TrainingModel, TrainingParams } from '../types.js';

type Hook0 = (logs?: Logs) => void | Promise<void>;
type Hook1 = (index: number, logs?: Logs) => void | Promise<void>;

/** Plain-object callbacks (TF.js customCallback style): any subset of the hooks. */
export interface CallbackHandlers {
  onTrainBegin?: Hook0;
  onTrainEnd?: Hook0;
  onEpochBegin?: Hook1;
  onEpochEnd?: Hook1;
  onBatchBegin?: Hook1;
  onBatchEnd?: Hook1;
  onTestBegin?: Hook0;
  onTestEnd?: Hook0;
  onTestBatchBegin?: Hook1;
  onTestBatchEnd?: Hook1;
}

export class Callback {
  model: TrainingModel | null = null;
  params: TrainingParams | null = null;
  setModel(model: TrainingModel): void {
    this.model = model;
  }
  setParams(params: TrainingParams): void {
    this.params = params;
  }
  onTrainBegin(_logs?: Logs): void | Promise<void> {}
  onTrainEnd(_logs?: Logs): void | Promise<void> {}
  onEpochBegin(_epoch: number, _logs?: Logs): void | Promise<void> {}
  onEpochEnd(_epoch: number, _logs?: Logs): void | Promise<void> {}
  onBatchBegin(_batch: number, _logs?: Logs): void | Promise<void> {}
  onBatchEnd(_batch: number, _logs?: Logs): void | Promise<void> {}
  onTestBegin(_logs?: Logs): void | Promise<void> {}
  onTestEnd(_logs?: Logs): void | Promise<void> {}
  onTestBatchBegin(_batch: number, _logs?: Logs): void | Promise<void> {}
  onTestBatchEnd(_batch: number, _logs?: Logs): void | Promise<void> {}
  /** The model, or a clear error when a hook runs outside fit. */
  protected requireModel(): TrainingModel {
    if (!this.model) throw new Error(`${this.constructor.name}: no model set (the callback is used outside fit/evaluate)`);
    return this.model;
  }
}

/** Wraps plain handlers into a Callback. */
export class LambdaCallback extends Callback {
  constructor(private readonly h: CallbackHandlers) {
    super();
  }
  override onTrainBegin(logs?: Logs) {
    return this.h.onTrainBegin?.(logs);
  }
  override onTrainEnd(logs?: Logs) {
    return this.h.onTrainEnd?.(logs);
  }
  override onEpochBegin(e: number, logs?: Logs) {
    return this.h.onEpochBegin?.(e, logs);
  }
  override onEpochEnd(e: number, logs?: Logs) {
    return this.h.onEpochEnd?.(e, logs);
  }
  override onBatchBegin(b: number, logs?: Logs) {
    return this.h.onBatchBegin?.(b, logs);
  }
  override onBatchEnd(b: number, logs?: Logs) {
    return this.h.onBatchEnd?.(b, logs);
  }
  override onTestBegin(logs?: Logs) {
    return this.h.onTestBegin?.(logs);
  }
  override onTestEnd(logs?: Logs) {
    return this.h.onTestEnd?.(logs);
  }
  override onTestBatchBegin(b: number, logs?: Logs) {
    return this.h.onTestBatchBegin?.(b, logs);
  }
  override onTestBatchEnd(b: number, logs?: Logs) {
    return this.h.onTestBatchEnd?.(b, logs);
  }
}

export type CallbackLike = Callback | CallbackHandlers;

export function toCallback(c: CallbackLike): Callback {
  if (c instanceof Callback) return c;
  if (c === null || typeof c !== 'object') throw new TypeError(`callbacks: expected a Callback or an object of hooks, got ${c === null ? 'null' : typeof c}`);
  return new LambdaCallback(c);
}

/** Runs a list of callbacks in order, awaiting each hook. */
export class CallbackList {
  readonly callbacks: Callback[];
  constructor(callbacks: Callback[]) {
    this.callbacks = callbacks;
  }
  setModel(m: TrainingModel): void {
    for (const c of this.callbacks) c.setModel(m);
  }
  setParams(p: TrainingParams): void {
    for (const c of this.callbacks) c.setParams(p);
  }
  private async each(fn: (c: Callback) => void | Promise<void>): Promise<void> {
    for (const c of this.callbacks) {
      const r = fn(c);
      if (r && typeof (r as Promise<void>).then === 'function') await r;
    }
  }
  onTrainBegin(logs?: Logs) {
    return this.each((c) => c.onTrainBegin(logs));
  }
  onTrainEnd(logs?: Logs) {
    return this.each((c) => c.onTrainEnd(logs));
  }
  onEpochBegin(e: number, logs?: Logs) {
    return this.each((c) => c.onEpochBegin(e, logs));
  }
  onEpochEnd(e: number, logs?: Logs) {
    return this.each((c) => c.onEpochEnd(e, logs));
  }
  onBatchBegin(b: number, logs?: Logs) {
    return this.each((c) => c.onBatchBegin(b, logs));
  }
  onBatchEnd(b: number, logs?: Logs) {
    return this.each((c) => c.onBatchEnd(b, logs));
  }
  onTestBegin(logs?: Logs) {
    return this.each((c) => c.onTestBegin(logs));
  }
  onTestEnd(logs?: Logs) {
    return this.each((c) => c.onTestEnd(logs));
  }
  onTestBatchBegin(b: number, logs?: Logs) {
    return this.each((c) => c.onTestBatchBegin(b, logs));
  }
  onTestBatchEnd(b: number, logs?: Logs) {
    return this.each((c) => c.onTestBatchEnd(b, logs));
  }
}

/** Keras's monitor mode: 'auto' means max for accuracy/AUC-like names, min otherwise. */
export function resolveMode(mode: 'auto' | 'min' | 'max', monitor: string, who: string): 'min' | 'max' {
  if (mode === 'min' || mode === 'max') return mode;
  if (mode !== 'auto') throw new RangeError(`${who}: mode must be 'auto', 'min' or 'max', got ${JSON.stringify(mode)}`);
  return /acc|auc|precision|recall/.test(monitor) && !monitor.endsWith('loss') ? 'max' : 'min';
}
