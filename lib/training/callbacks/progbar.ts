/**
 * ProgbarLogger: Keras-style progress output (keras/src/utils/progbar.py, the classic layout).
 *
 *  verbose 1 on a TTY: a bar redrawn in place,
 *     Epoch 1/5
 *      320/1563 [=====>........................] - ETA: 5s - loss: 1.9875 - accuracy: 0.3812
 *    finished as
 *     1563/1563 [==============================] - 7s 4ms/step - loss: 1.1004 - accuracy: 0.6083 - val_loss: ...
 *  verbose 1 off a TTY (CI, logs) and verbose 2: one line per epoch, no redraws,
 *     Epoch 1/5
 *     1563/1563 - 7s - 4ms/step - loss: 1.1004 - accuracy: 0.6083 - val_loss: ...
 *  verbose 'json': one JSON object per epoch ({"epoch":1,"epochs":5,"steps":1563,"time_s":7.1,
 *     "ms_per_step":4.5,"loss":1.1004,...}) for machines.
 *  verbose 0: nothing.
 */
import type { Logs, Verbosity } from '../types.js';
import { Callback } from './callback.js';

export interface Writable {
  write(s: string): unknown;
  isTTY?: boolean;
}

export interface ProgbarOptions {
  verbose?: Verbosity;
  /** Where to write (default process.stdout). */
  stream?: Writable;
  /** Force or deny the redrawn bar (default: stream.isTTY). */
  tty?: boolean;
  /** Minimum seconds between redraws on a TTY (Keras: 0.05). */
  interval?: number;
}

/** Keras's value format: %.4f, or %.4e for tiny magnitudes. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) > 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(4);
}

export function formatDuration(s: number): string {
  if (s >= 3600) return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
  if (s >= 60) return `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
  return `${Math.round(s)}s`;
}

export function formatPerStep(s: number): string {
  if (s >= 1) return `${Math.round(s)}s/step`;
  if (s >= 1e-3) return `${Math.round(s * 1e3)}ms/step`;
  return `${Math.round(s * 1e6)}us/step`;
}

export function formatLogs(logs: Logs): string {
  return Object.entries(logs)
    .map(([k, v]) => ` - ${k}: ${formatValue(v)}`)
    .join('');
}

export function bar(current: number, target: number, width = 30): string {
  const w = Math.floor((width * Math.min(current, target)) / Math.max(target, 1));
  let s = '[';
  if (w > 0) s += '='.repeat(w - 1) + (current < target ? '>' : '=');
  s += '.'.repeat(width - w) + ']';
  return s;
}

export class ProgbarLogger extends Callback {
  readonly verbose: Verbosity;
  private readonly stream: Writable;
  private readonly ttyOpt: boolean | undefined;
  private readonly interval: number;
  private epochs = 0;
  private steps: number | null = null;
  private epochStart = 0;
  private lastDraw = 0;
  private lastLen = 0;
  private seen = 0;
  private batchLogs: Logs = {};
  constructor(opts: ProgbarOptions = {}) {
    super();
    this.verbose = opts.verbose ?? 1;
    this.stream = opts.stream ?? process.stdout;
    this.ttyOpt = opts.tty;
    this.interval = opts.interval ?? 0.05;
  }
  private get tty(): boolean {
    return this.ttyOpt ?? Boolean(this.stream.isTTY);
  }
  override onTrainBegin(): void {
    this.epochs = this.params?.epochs ?? 0;
  }
  override onEpochBegin(epoch: number): void {
    this.steps = this.params?.steps ?? null;
    this.epochStart = performance.now();
    this.lastDraw = 0;
    this.lastLen = 0;
    this.seen = 0;
    this.batchLogs = {};
    if (this.verbose === 1 || this.verbose === 2) this.stream.write(`Epoch ${epoch + 1}/${this.epochs}\n`);
  }
  override onBatchEnd(batch: number, logs: Logs = {}): void {
    this.seen = batch + 1;
    this.batchLogs = logs;
    if (this.verbose !== 1 || !this.tty) return;
    const now = performance.now();
    const done = this.steps !== null && this.seen >= this.steps;
    if (!done && now - this.lastDraw < this.interval * 1000) return;
    this.lastDraw = now;
    if (done) return; // the final line is drawn at epoch end, with validation numbers
    const elapsed = (now - this.epochStart) / 1000;
    const target = this.steps;
    let line: string;
    if (target !== null) {
      const width = String(target).length;
      const eta = (elapsed / this.seen) * (target - this.seen);
      line = `${String(this.seen).padStart(width)}/${target} ${bar(this.seen, target)} - ETA: ${formatDuration(eta)}${formatLogs(logs)}`;
    } else {
      line = `${this.seen}/Unknown - ${formatDuration(elapsed)} ${formatPerStep(elapsed / this.seen)}${formatLogs(logs)}`;
    }
    this.redraw(line);
  }
  private redraw(line: string): void {
    const pad = this.lastLen > line.length ? ' '.repeat(this.lastLen - line.length) : '';
    this.stream.write(`\r${line}${pad}`);
    this.lastLen = line.length;
  }
  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    if (this.verbose === 0) return;
    const elapsed = (performance.now() - this.epochStart) / 1000;
    const steps = this.steps ?? this.seen;
    const perStep = elapsed / Math.max(this.seen, 1);
    if (this.verbose === 'json') {
      const rec: Record<string, number | null> = {
        epoch: epoch + 1,
        epochs: this.epochs,
        steps,
        time_s: Number(elapsed.toFixed(3)),
        ms_per_step: Number((perStep * 1000).toFixed(3)),
      };
      for (const [k, v] of Object.entries(logs)) rec[k] = Number.isFinite(v) ? v : null;
      this.stream.write(JSON.stringify(rec) + '\n');
      return;
    }
    const width = String(steps).length;
    if (this.verbose === 1 && this.tty) {
      this.redraw(`${String(steps).padStart(width)}/${steps} ${bar(steps, steps)} - ${formatDuration(elapsed)} ${formatPerStep(perStep)}${formatLogs(logs)}`);
      this.stream.write('\n');
    } else {
      this.stream.write(`${steps}/${steps} - ${formatDuration(elapsed)} - ${formatPerStep(perStep)}${formatLogs(logs)}\n`);
    }
  }
}
