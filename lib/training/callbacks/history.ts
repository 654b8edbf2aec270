/** Keras History: every epoch's logs by key (history.history.loss, .val_loss, ...). */
import type { Logs } from '../types.js';
import { Callback } from './callback.js';

export class History extends Callback {
  /** Epoch indices recorded (0-based, as Keras). */
  epoch: number[] = [];
  history: Record<string, number[]> = {};
  override onTrainBegin(): void {
    this.epoch = [];
  }
  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    this.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) (this.history[k] ??= []).push(v);
  }
}
