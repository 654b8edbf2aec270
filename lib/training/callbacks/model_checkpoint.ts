/**
 * Keras ModelCheckpoint: save the model (or its weights) at the end of every epoch, or only when
 * `monitor` improves (saveBestOnly). The path may hold Keras/Python-style templates filled from
 * the epoch number (1-based, as Keras) and the logs: 'ckpt-{epoch:02d}-{val_loss:.2f}.keras'.
 * Saving goes through the model's save/saveWeights (lib/io), or a `saver` given here.
 */
import type { Logs, TrainingModel } from '../types.js';
import { Callback, resolveMode } from './callback.js';

export interface CheckpointSaver {
  save(model: TrainingModel, path: string, weightsOnly: boolean): unknown;
}

export interface ModelCheckpointArgs {
  filepath: string;
  monitor?: string;
  verbose?: number;
  saveBestOnly?: boolean;
  saveWeightsOnly?: boolean;
  mode?: 'auto' | 'min' | 'max';
  /** Initial best value (Keras initial_value_threshold). */
  initialValueThreshold?: number;
  /** Custom writer (default: model.save / model.saveWeights). */
  saver?: CheckpointSaver;
}

/** Fills {key}, {key:02d}, {key:.4f}, {key:.3e} from values. */
export function formatPath(template: string, values: Record<string, number>): string {
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}/g, (m, key: string, spec: string | undefined) => {
    const v = values[key];
    if (v === undefined) throw new RangeError(`ModelCheckpoint: filepath '${template}' uses {${key}}, which is not in the logs (${Object.keys(values).join(', ')})`);
    if (!spec) return String(v);
    const f = /^(0?)(\d*)(?:\.(\d+))?([dfeg])$/.exec(spec);
    if (!f) throw new RangeError(`ModelCheckpoint: unsupported format '{${key}:${spec}}' in '${template}'`);
    const [, zero, width, prec, type] = f;
    let s: string;
    if (type === 'd') s = String(Math.trunc(v));
    else if (type === 'f') s = v.toFixed(prec ? Number(prec) : 6);
    else if (type === 'e') s = v.toExponential(prec ? Number(prec) : 6).replace(/e([+-])(\d)$/, 'e$10$2');
    else s = String(Number(v.toPrecision(prec ? Number(prec) : 6)));
    return width ? s.padStart(Number(width), zero ? '0' : ' ') : s;
  });
}

const defaultSaver: CheckpointSaver = {
  save(model, path, weightsOnly) {
    const fn = weightsOnly ? model.saveWeights : model.save;
    if (typeof fn !== 'function')
      throw new Error(`ModelCheckpoint: the model has no ${weightsOnly ? 'saveWeights' : 'save'}() (lib/io); pass a saver`);
    return fn.call(model, path);
  },
};

export class ModelCheckpoint extends Callback {
  readonly filepath: string;
  readonly monitor: string;
  readonly saveBestOnly: boolean;
  readonly saveWeightsOnly: boolean;
  readonly mode: 'min' | 'max';
  readonly verbose: number;
  best: number;
  /** Paths written, in order. */
  readonly saved: string[] = [];
  private readonly saver: CheckpointSaver;
  constructor(args: ModelCheckpointArgs) {
    super();
    if (!args || typeof args.filepath !== 'string' || args.filepath.length === 0)
      throw new TypeError('ModelCheckpoint: filepath must be a non-empty string');
    this.filepath = args.filepath;
    this.monitor = args.monitor ?? 'val_loss';
    this.saveBestOnly = args.saveBestOnly ?? false;
    this.saveWeightsOnly = args.saveWeightsOnly ?? false;
    this.mode = resolveMode(args.mode ?? 'auto', this.monitor, 'ModelCheckpoint');
    this.verbose = args.verbose ?? 0;
    this.best = args.initialValueThreshold ?? (this.mode === 'min' ? Infinity : -Infinity);
    this.saver = args.saver ?? defaultSaver;
  }
  override async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    const path = formatPath(this.filepath, { ...logs, epoch: epoch + 1 });
    const model = this.requireModel();
    if (this.saveBestOnly) {
      const current = logs[this.monitor];
      if (current === undefined) {
        process.emitWarning(`ModelCheckpoint: can save best model only with '${this.monitor}' available, skipping (logs: ${Object.keys(logs).join(', ')})`);
        return;
      }
      const better = this.mode === 'min' ? current < this.best : current > this.best;
      if (!better) {
        if (this.verbose > 0) process.stdout.write(`\nEpoch ${epoch + 1}: ${this.monitor} did not improve from ${this.best}\n`);
        return;
      }
      if (this.verbose > 0) process.stdout.write(`\nEpoch ${epoch + 1}: ${this.monitor} improved from ${this.best} to ${current}, saving model to ${path}\n`);
      this.best = current;
    } else if (this.verbose > 0) {
      process.stdout.write(`\nEpoch ${epoch + 1}: saving model to ${path}\n`);
    }
    await this.saver.save(model, path, this.saveWeightsOnly);
    this.saved.push(path);
  }
}
