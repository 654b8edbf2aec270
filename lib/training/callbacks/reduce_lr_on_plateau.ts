/**
 * Keras ReduceLROnPlateau (keras/src/callbacks/reduce_lr_on_plateau.py): multiply the learning
 * rate by `factor` when `monitor` has stalled for `patience` epochs, then wait `cooldown` epochs.
 * Adds `learning_rate` to the epoch logs, as Keras does.
 */
import type { Logs } from '../types.js';
import { Callback, resolveMode } from './callback.js';

export interface ReduceLROnPlateauArgs {
  monitor?: string;
  factor?: number;
  patience?: number;
  verbose?: number;
  mode?: 'auto' | 'min' | 'max';
  minDelta?: number;
  cooldown?: number;
  minLr?: number;
}

export class ReduceLROnPlateau extends Callback {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly mode: 'min' | 'max';
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  readonly verbose: number;
  wait = 0;
  cooldownCounter = 0;
  best = Infinity;
  constructor(args: ReduceLROnPlateauArgs = {}) {
    super();
    this.monitor = args.monitor ?? 'val_loss';
    this.factor = args.factor ?? 0.1;
    if (!(this.factor < 1 && this.factor >= 0)) throw new RangeError(`ReduceLROnPlateau: factor must be in [0, 1), got ${this.factor}`);
    this.patience = args.patience ?? 10;
    this.mode = resolveMode(args.mode ?? 'auto', this.monitor, 'ReduceLROnPlateau');
    this.minDelta = args.minDelta ?? 1e-4;
    this.cooldown = args.cooldown ?? 0;
    this.minLr = args.minLr ?? 0;
    this.verbose = args.verbose ?? 0;
  }
  private better(a: number, b: number): boolean {
    return this.mode === 'min' ? a < b - this.minDelta : a > b + this.minDelta;
  }
  override onTrainBegin(): void {
    this.wait = 0;
    this.cooldownCounter = 0;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }
  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    const opt = this.requireModel().optimizer;
    if (!opt) throw new Error('ReduceLROnPlateau: the model has no optimizer (compile it first)');
    logs['learning_rate'] = opt.currentLearningRate();
    const current = logs[this.monitor];
    if (current === undefined) {
      process.emitWarning(`ReduceLROnPlateau: metric '${this.monitor}' is not in the logs (available: ${Object.keys(logs).join(', ')})`);
      return;
    }
    const inCooldown = this.cooldownCounter > 0;
    if (inCooldown) {
      this.cooldownCounter -= 1;
      this.wait = 0;
    }
    if (this.better(current, this.best)) {
      this.best = current;
      this.wait = 0;
    } else if (!inCooldown) {
      this.wait += 1;
      if (this.wait >= this.patience) {
        const old = opt.currentLearningRate();
        if (old > this.minLr) {
          const lr = Math.max(old * this.factor, this.minLr);
          opt.setLearningRate(lr);
          if (this.verbose > 0) process.stdout.write(`\nEpoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${lr}.\n`);
          this.cooldownCounter = this.cooldown;
          this.wait = 0;
        }
      }
    }
  }
}
