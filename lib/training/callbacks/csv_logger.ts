/**
 * Keras CSVLogger: one row per epoch (epoch index, then the log keys sorted), header first;
 * with append, rows go after an existing file's (no second header).
 */
import { appendFileSync, existsSync, statSync, writeFileSync } from 'node:fs';
import type { Logs } from '../types.js';
import { Callback } from './callback.js';

export class CSVLogger extends Callback {
  private keys: string[] | null = null;
  private needHeader = true;
  constructor(
    readonly filename: string,
    readonly separator = ',',
    readonly append = false,
  ) {
    super();
    if (typeof filename !== 'string' || filename.length === 0) throw new TypeError('CSVLogger: filename must be a non-empty string');
  }
  override onTrainBegin(): void {
    this.keys = null;
    if (this.append && existsSync(this.filename) && statSync(this.filename).size > 0) {
      this.needHeader = false;
    } else {
      writeFileSync(this.filename, '');
      this.needHeader = true;
    }
  }
  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    if (this.keys === null) this.keys = Object.keys(logs).sort();
    let out = '';
    if (this.needHeader) {
      out += ['epoch', ...this.keys].join(this.separator) + '\n';
      this.needHeader = false;
    }
    out += [String(epoch), ...this.keys.map((k) => (k in logs ? String(logs[k]) : 'NA'))].join(this.separator) + '\n';
    appendFileSync(this.filename, out);
  }
}
