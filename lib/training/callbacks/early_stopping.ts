/**
 * Keras EarlyStopping (keras/src/callbacks/early_stopping.py): stop when `monitor` has not
 * improved by more than minDelta for `patience` epochs; optionally restore the best weights.
 */
import type { Tensor } from '../../tensor/index.js';
import type { Logs } from '../types.js';
import { Callback, resolveMode } from './callback.js';

export interface EarlyStoppingArgs {
  monitor?: string;
  minDelta?: number;
  patience?: number;
  verbose?: number;
  mode?: 'auto' | 'min' | 'max';
  /** Training stops if the monitor does not beat this value within `patience` epochs. */
  baseline?: number | null;
  restoreBestWeights?: boolean;
  /** Epochs to wait before watching (warm-up). */
  startFromEpoch?: number;
}

export class EarlyStopping extends Callback {
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly mode: 'min' | 'max';
  readonly baseline: number | null;
  readonly restoreBestWeights: boolean;
  readonly startFromEpoch: number;
  readonly verbose: number;
  wait = 0;
  stoppedEpoch = 0;
  best = Infinity;
  bestEpoch = 0;
  private bestWeights: Tensor[] | null = null;
  constructor(args: EarlyStoppingArgs = {}) {
    super();
    this.monitor = args.monitor ?? 'val_loss';
    this.minDelta = Math.abs(args.minDelta ?? 0);
    this.patience = args.patience ?? 0;
    if (!Number.isInteger(this.patience) || this.patience < 0) throw new RangeError(`EarlyStopping: patience must be an integer >= 0, got ${this.patience}`);
    this.mode = resolveMode(args.mode ?? 'auto', this.monitor, 'EarlyStopping');
    this.baseline = args.baseline ?? null;
    this.restoreBestWeights = args.restoreBestWeights ?? false;
    this.startFromEpoch = args.startFromEpoch ?? 0;
    this.verbose = args.verbose ?? 0;
  }
  /** Keras _is_improvement: current beats reference by more than minDelta. */
  private improves(current: number, reference: number): boolean {
    return this.mode === 'min' ? current + this.minDelta < reference : current - this.minDelta > reference;
  }
  override onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.bestEpoch = 0;
    this.disposeBest();
  }
  private disposeBest(): void {
    for (const t of this.bestWeights ?? []) t.dispose();
    this.bestWeights = null;
  }
  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    const current = logs[this.monitor];
    if (current === undefined) {
      process.emitWarning(`EarlyStopping: metric '${this.monitor}' is not in the logs (available: ${Object.keys(logs).join(', ')})`);
      return;
    }
    if (epoch < this.startFromEpoch) return;
    const model = this.requireModel();
    if (this.restoreBestWeights && this.bestWeights === null) this.bestWeights = model.getWeights();
    this.wait += 1;
    if (this.improves(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) {
        this.disposeBest();
        this.bestWeights = model.getWeights();
      }
      if (this.baseline === null || this.improves(current, this.baseline)) {
        this.wait = 0;
        return;
      }
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      model.stopTraining = true;
      if (this.restoreBestWeights && this.bestWeights) {
        if (this.verbose > 0) process.stdout.write(`Restoring model weights from the end of the best epoch: ${this.bestEpoch + 1}.\n`);
        model.setWeights(this.bestWeights);
      }
    }
  }
  override onTrainEnd(): void {
    if (this.stoppedEpoch > 0 && this.verbose > 0) process.stdout.write(`Epoch ${this.stoppedEpoch + 1}: early stopping\n`);
    this.disposeBest();
  }
}
