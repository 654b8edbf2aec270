/**
 * Keras BackupAndRestore: at the end of every epoch, save the model's weights, the optimizer's
 * state (step counter and every slot buffer) and the epoch reached into `backupDir`; when fit
 * starts and a backup exists, restore it and resume at the epoch after it — so a run killed
 * midway continues as if it had not been interrupted. The backup is deleted when fit completes
 * (deleteCheckpoint, Keras's default).
 *
 * Format: backupDir/backup.json (JSON: epoch, shapes, optimizer iterations) + backup.bin (the
 * float32 weights then the optimizer slots, little-endian), written to temporary names and renamed,
 * so a crash during the write leaves the previous backup intact.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tensor } from '../../tensor/index.js';
import type { Logs } from '../types.js';
import { Callback } from './callback.js';

interface BackupHeader {
  format: 'convkit-backup-1';
  /** The next epoch to run. */
  epoch: number;
  weightShapes: number[][];
  optimizer: { className: string; iterations: number; uProduct: number; slotsPerWeight: number[] } | null;
}

export interface BackupAndRestoreArgs {
  backupDir: string;
  /** Delete the backup when fit finishes normally (default true). */
  deleteCheckpoint?: boolean;
}

export class BackupAndRestore extends Callback {
  readonly backupDir: string;
  readonly deleteCheckpoint: boolean;
  private resumeAt: number | null = null;
  constructor(args: BackupAndRestoreArgs) {
    super();
    if (!args || typeof args.backupDir !== 'string' || !args.backupDir) throw new TypeError('BackupAndRestore: backupDir must be a non-empty string');
    this.backupDir = args.backupDir;
    this.deleteCheckpoint = args.deleteCheckpoint ?? true;
  }
  private get jsonPath() {
    return join(this.backupDir, 'backup.json');
  }
  private get binPath() {
    return join(this.backupDir, 'backup.bin');
  }
  /** fit asks this after onTrainBegin: the epoch to resume at, or null. */
  resumeEpoch(): number | null {
    return this.resumeAt;
  }
  private trainables(): object[] {
    const m = this.requireModel() as unknown as { trainableWeights?: object[] };
    return m.trainableWeights ?? [];
  }
  override onTrainBegin(): void {
    this.resumeAt = null;
    if (!existsSync(this.jsonPath) || !existsSync(this.binPath)) return;
    const model = this.requireModel();
    const h = JSON.parse(readFileSync(this.jsonPath, 'utf8')) as BackupHeader;
    if (h.format !== 'convkit-backup-1') throw new Error(`BackupAndRestore: ${this.jsonPath} is not a convkit backup`);
    const buf = readFileSync(this.binPath);
    const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    let off = 0;
    const take = (n: number) => {
      if (off + n > all.length) throw new Error(`BackupAndRestore: ${this.binPath} is truncated`);
      const a = all.slice(off, off + n);
      off += n;
      return a;
    };
    const current = model.getWeights();
    if (current.length !== h.weightShapes.length) throw new Error(`BackupAndRestore: the backup has ${h.weightShapes.length} weights, the model ${current.length}`);
    const restored = h.weightShapes.map((s, i) => {
      if (s.join() !== current[i]!.shape.join()) throw new Error(`BackupAndRestore: weight ${i} has shape [${s}] in the backup, [${current[i]!.shape}] in the model`);
      return tensor(take(s.reduce((a, b) => a * b, 1)), s);
    });
    for (const t of current) t.dispose();
    model.setWeights(restored);
    for (const t of restored) t.dispose();
    const opt = model.optimizer;
    if (h.optimizer && opt) {
      const keys = this.trainables();
      const slots = new Map<object, Float32Array[]>();
      h.optimizer.slotsPerWeight.forEach((count, i) => {
        const key = keys[i];
        const size = key ? ((key as { size?: number }).size ?? 0) : 0;
        const arr: Float32Array[] = [];
        for (let j = 0; j < count; j++) arr.push(take(size));
        if (key) slots.set(key, arr);
      });
      opt.setState({ iterations: h.optimizer.iterations, uProduct: h.optimizer.uProduct, slots });
    }
    this.resumeAt = h.epoch;
  }
  override onEpochEnd(epoch: number, _logs?: Logs): void {
    const model = this.requireModel();
    const weights = model.getWeights();
    const parts: Float32Array[] = [];
    const shapes = weights.map((t) => [...t.shape]);
    for (const t of weights) {
      parts.push(t.dataSync() as Float32Array);
      t.dispose();
    }
    let optHeader: BackupHeader['optimizer'] = null;
    const opt = model.optimizer;
    if (opt) {
      const st = opt.getState();
      const keys = this.trainables();
      const slotsPerWeight = keys.map((k) => {
        const s = st.slots.get(k) ?? [];
        parts.push(...s);
        return s.length;
      });
      optHeader = { className: opt.className, iterations: st.iterations, uProduct: st.uProduct, slotsPerWeight };
    }
    const total = parts.reduce((n, p) => n + p.length, 0);
    const all = new Float32Array(total);
    let off = 0;
    for (const p of parts) {
      all.set(p, off);
      off += p.length;
    }
    mkdirSync(this.backupDir, { recursive: true });
    const header: BackupHeader = { format: 'convkit-backup-1', epoch: epoch + 1, weightShapes: shapes, optimizer: optHeader };
    writeFileSync(this.binPath + '.tmp', new Uint8Array(all.buffer));
    writeFileSync(this.jsonPath + '.tmp', JSON.stringify(header));
    renameSync(this.binPath + '.tmp', this.binPath);
    renameSync(this.jsonPath + '.tmp', this.jsonPath);
  }
  override onTrainEnd(): void {
    const m = this.requireModel() as unknown as { history?: { aborted?: boolean } | null };
    // Keras deletes the backup when fit ends normally (an early stop included); an exception
    // skips onTrainEnd, and an AbortSignal is an interruption too: the backup stays to resume from.
    if (this.deleteCheckpoint && !m.history?.aborted) rmSync(this.backupDir, { recursive: true, force: true });
  }
}
