/**
 * convkit's Keras file formats: load and save models and weights in every format Keras and TF.js users
 * have (see docs/FORMATS.md).
 *
 *   const model = await loadModel('model.keras');                       // or .h5, model.json, Buffer
 *   const m2 = await loadModel('arch.json', { weights: 'weights.h5' }); // Keras model.to_json() + weights
 *   await model.save('out.keras');      // .keras (default), .h5, .weights.h5, model.json (TF.js)
 *   await model.saveWeights('w.weights.h5');
 *   await model.loadWeights('w.h5');
 */
import type { Model } from '../models/model.js';
import { ModelFormatError } from './errors.js';
import { assignWeights, buildModel, registrySupport, specNamesOf, toNeutral } from './model_bridge.js';
import type { NCompile, NeutralFormat } from './keras_format/neutral.js';
import type { LoadLimits } from './limits.js';
import { readModelFile, type Source } from './readers/load_file.js';
import { formatFromPath, writeModelFile, type SaveFormat } from './writers/writers.js';
import { assignLegacy, assignV3 } from './readers/assign.js';
import { readH5 } from './readers/h5_store.js';
import { resolveLimits } from './limits.js';
import { readFile } from 'node:fs/promises';
import { compileArgsFrom } from './compile.js';
import { detectKind } from './readers/load_file.js';

export { ModelFormatError, type ModelFormatErrorCode } from './errors.js';
export { DEFAULT_LIMITS, type LoadLimits } from './limits.js';
export type { SaveFormat } from './writers/writers.js';
export { readModelFile, type ReadOptions } from './readers/load_file.js';
export type { NeutralModel, NModel, NLayer, NLayerWeights, NWeight, NCompile } from './keras_format/neutral.js';
export { snakeToCamel, camelToSnake, kerasToConvkitConfig, convkitToKerasConfig } from './keras_format/case.js';

export interface LoadModelOptions {
  /** Separate weights file (path, Buffer or Uint8Array): for an architecture JSON, or to replace stored weights. */
  weights?: Source;
  /** Legacy HDF5 weights: pair layers by order (Keras's default) or by name. */
  by?: 'order' | 'name';
  /** TF.js shards when model.json is given as bytes: file name → bytes. */
  files?: Record<string, Uint8Array>;
  limits?: Partial<LoadLimits>;
  /**
   * Restore the file's training configuration with model.compile() (Keras's load_model(compile=True)).
   * Default true. When the configuration is not standard (unknown optimizer, loss, metric or option) the
   * model loads uncompiled and the reasons go to `compileNotes` / `onWarning`; loading never fails for it.
   */
  compile?: boolean;
  /**
   * Receives the reason when a training configuration was present but not restored (and notes about a
   * partial restore). Default: process.emitWarning with code CONVKIT_COMPILE (like Keras's warning).
   */
  onWarning?: (message: string) => void;
}

export interface LoadedModelInfo {
  model: Model;
  format: NeutralFormat;
  kerasVersion: string | null;
  /** The file's training configuration (optimizer, loss, metrics) as stored, or null. */
  compile: NCompile | null;
  /** Whether the model came back compiled from that configuration. */
  compiled: boolean;
  /** Why the configuration was not (or only partly) restored; empty when it was restored fully or absent. */
  compileNotes: string[];
  /** Whether optimizer state (step count and moments) was restored from the file. */
  optimizerStateRestored: boolean;
}

/** Load a model and report what the file said about itself (format, Keras version, compile settings). */
export async function loadModelWithInfo(source: Source, opts: LoadModelOptions = {}): Promise<LoadedModelInfo> {
  const what = typeof source === 'string' ? source : 'model';
  const nm = await readModelFile(source, { ...opts, support: registrySupport() });
  const model = buildModel(nm, what);
  let compiled = false;
  let notes: string[] = [];
  if (nm.compile && opts.compile !== false) {
    const r = compileArgsFrom(nm.compile);
    notes = r.notes;
    if (r.args) {
      model.compile(r.args);
      compiled = true;
    } else notes = [`${what}: the model was loaded uncompiled: ${r.notes.join('; ')}`];
    if (notes.length) {
      const warn = opts.onWarning ?? ((m: string) => process.emitWarning(m, { code: 'CONVKIT_COMPILE' }));
      for (const n of notes) warn(n);
    }
  }
  return { model, format: nm.format, kerasVersion: nm.kerasVersion, compile: nm.compile, compiled, compileNotes: notes, optimizerStateRestored: false };
}

/**
 * Load a model from a path, Buffer or Uint8Array. The format is chosen from the content (HDF5, zip,
 * JSON), not the extension: Keras 2/3 legacy `.h5`, Keras 3 `.keras`, TF.js `model.json`, or a Keras
 * architecture JSON with `{weights}`.
 */
export async function loadModel(source: Source, opts: LoadModelOptions = {}): Promise<Model> {
  return (await loadModelWithInfo(source, opts)).model;
}

export interface SaveOptions {
  /** Default: from the file name (.keras, .h5/.hdf5, .weights.h5, .json); `.keras` when it has no known extension. */
  format?: SaveFormat;
}

/** Save a model atomically (temp file + rename). `.keras` is convkit's own format. */
export async function saveModel(model: Model, path: string, opts: SaveOptions = {}): Promise<void> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError(`save: path must be a non-empty string, got ${typeof path}`);
  let format = opts.format;
  if (!format) {
    try {
      format = formatFromPath(path);
    } catch {
      format = 'keras';
    }
  }
  await writeModelFile(toNeutral(model), path, format);
}

/** Save only the weights: Keras 3 `.weights.h5` layout by default, legacy `save_weights` layout for other `.h5` names. */
export async function saveWeights(model: Model, path: string, opts: { format?: 'weights.h5' | 'h5-weights' } = {}): Promise<void> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError(`saveWeights: path must be a non-empty string, got ${typeof path}`);
  const format = opts.format ?? (/\.weights\.h5$/i.test(path) ? 'weights.h5' : 'h5-weights');
  await writeModelFile(toNeutral(model), path, format);
}

/**
 * Load weights into an existing model from a legacy `.h5` (by layer order, or by name with {by: 'name'}),
 * a Keras 3 `.weights.h5`, or a `.keras` archive. A mismatch is one clear error; the model is unchanged.
 */
export async function loadWeights(model: Model, source: Source, opts: { by?: 'order' | 'name'; limits?: Partial<LoadLimits> } = {}): Promise<void> {
  const what = typeof source === 'string' ? source : 'weights';
  const limits = resolveLimits(opts.limits);
  const target = toNeutral(model);
  const bytes = typeof source === 'string' ? new Uint8Array(await readFile(source)) : source;
  const kind = detectKind(bytes, what);
  let weights;
  if (kind === 'zip') {
    const nm = await readModelFile(bytes, { limits: opts.limits });
    weights = assignLegacy(target.model, nm.weights.map((w) => ({ name: w.path, weights: w.weights })), 'order', what);
  } else if (kind === 'hdf5') {
    const h = await readH5(bytes, limits, what);
    weights = h.layout === 'legacy' ? assignLegacy(target.model, h.groups, opts.by ?? 'order', what) : assignV3(target.model, h.vars, what);
  } else {
    throw new ModelFormatError('BAD_MAGIC', `${what}: weights must be an HDF5 (.h5 / .weights.h5) or .keras file`);
  }
  assignWeights(model, weights, specNamesOf(target.model), what);
}

declare module '../models/model.js' {
  interface Model {
    /** Save the model (format from the extension; `.keras` by default). Atomic. */
    save(path: string, opts?: SaveOptions): Promise<void>;
    /** Save the weights only (`.weights.h5` Keras 3 layout, other `.h5`: Keras 2 layout). Atomic. */
    saveWeights(path: string, opts?: { format?: 'weights.h5' | 'h5-weights' }): Promise<void>;
    /** Load weights from a `.h5`, `.weights.h5` or `.keras` file or bytes. */
    loadWeights(source: Source, opts?: { by?: 'order' | 'name' }): Promise<void>;
  }
}

/** Attach save/saveWeights/loadWeights to the Model class (called once by lib/index.ts). */
export function installModelIo(ModelClass: { prototype: Model }): void {
  const proto = ModelClass.prototype as Model;
  proto.save = function (this: Model, path: string, opts?: SaveOptions) {
    return saveModel(this, path, opts);
  };
  proto.saveWeights = function (this: Model, path: string, opts?: { format?: 'weights.h5' | 'h5-weights' }) {
    return saveWeights(this, path, opts);
  };
  proto.loadWeights = function (this: Model, source: Source, opts?: { by?: 'order' | 'name' }) {
    return loadWeights(this, source, opts);
  };
}
