/**
 * Read any supported model file into the neutral form, choosing the format by content (magic bytes),
 * not by extension:
 *   \x89HDF\r\n\x1a\n → HDF5: legacy full model, legacy weights, or Keras 3 weights store
 *   PK\x03\x04        → `.keras` zip (config.json + metadata.json + model.weights.h5)
 *   `{`               → JSON: TF.js model.json, or a Keras architecture JSON (model.to_json()) that
 *                       needs a separate weights file
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, fail, ModelFormatError } from '../errors.js';
import { resolveLimits, type LoadLimits } from '../limits.js';
import { assertSupported, type Support } from '../keras_format/catalog.js';
import type { NCompile, NeutralModel, NLayerWeights, NModel, NWeight } from '../keras_format/neutral.js';
import type { JsonValue } from '../keras_format/types.js';
import { parseJsonText, parseModelConfig } from '../keras_format/normalize.js';
import { readZip, ZIP_MAGIC } from '../zip.js';
import { assignByPath, assignLegacy, assignV3 } from './assign.js';
import { readH5, type H5Contents } from './h5_store.js';
import { isTfjsModelJson, readTfjs } from './tfjs.js';

export type Source = string | Uint8Array;

export interface ReadOptions {
  /** Separate weights file (path or bytes) for an architecture-only JSON or to override stored weights. */
  weights?: Source;
  /** Legacy HDF5 weights: pair by layer order (Keras's default) or by layer name. */
  by?: 'order' | 'name';
  /** TF.js shards when loading model.json from bytes: name → bytes. */
  files?: Record<string, Uint8Array>;
  limits?: Partial<LoadLimits>;
  /** Which layer classes/options the runtime supports (default: every class in the catalog). */
  support?: Support;
}

const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export type DetectedKind = 'hdf5' | 'zip' | 'json';

function startsWith(b: Uint8Array, m: readonly number[], at = 0): boolean {
  if (b.length < at + m.length) return false;
  for (let i = 0; i < m.length; i++) if (b[at + i] !== m[i]) return false;
  return true;
}

export function detectKind(b: Uint8Array, what: string): DetectedKind {
  // HDF5 allows a user block of 512·2^k bytes before the superblock.
  for (let at = 0; at <= 8192 && at < b.length; at = at === 0 ? 512 : at * 2) if (startsWith(b, HDF5_MAGIC, at)) return 'hdf5';
  if (startsWith(b, ZIP_MAGIC)) return 'zip';
  let i = 0;
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) i = 3; // UTF-8 BOM
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x09)) i++;
  if (b[i] === 0x7b || b[i] === 0x5b) return 'json';
  if (b.length === 0) fail('TRUNCATED', `${what}: empty file`);
  const head = Array.from(b.subarray(0, 8), (x) => x.toString(16).padStart(2, '0')).join(' ');
  return fail('BAD_MAGIC', `${what}: unrecognized file (starts with ${head}); expected HDF5 (.h5/.hdf5/.weights.h5, starts 89 48 44 46), a .keras zip (starts 50 4b 03 04) or JSON (model.json / model.to_json())`);
}

async function bytesOf(src: Source, what: string): Promise<Uint8Array> {
  if (src instanceof Uint8Array) return src;
  if (typeof src !== 'string') throw new TypeError(`${what}: expected a path string, Buffer or Uint8Array, got ${describe(src)}`);
  return new Uint8Array(await readFile(src));
}

function nameOf(src: Source, fallback: string): string {
  return typeof src === 'string' ? src : fallback;
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/** `training_config` (legacy .h5, TF.js: `optimizer_config`) or `compile_config` (.keras: `optimizer`). */
function compileFrom(json: unknown): NCompile | null {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return null;
  const t = json as Record<string, JsonValue>;
  const optimizer = t.optimizer_config ?? t.optimizer ?? null;
  return { optimizer, loss: t.loss ?? null, metrics: t.metrics ?? null, lossWeights: t.loss_weights ?? null, weightedMetrics: t.weighted_metrics ?? null };
}

/** Weights from a separate file, matched onto `model`. */
async function weightsFromFile(model: NModel, src: Source, opts: ReadOptions, limits: LoadLimits): Promise<{ weights: NLayerWeights[]; kerasVersion: string | null }> {
  const what = nameOf(src, 'weights');
  const bytes = await bytesOf(src, 'weights');
  const kind = detectKind(bytes, what);
  if (kind === 'zip') {
    const nm = await readKerasZip(bytes, limits, what, opts);
    return { weights: nm.weights.length ? reassign(model, nm) : [], kerasVersion: nm.kerasVersion };
  }
  if (kind !== 'hdf5') fail('BAD_MAGIC', `${what}: a weights file must be HDF5 (.h5 / .weights.h5) or .keras`);
  const h = await readH5(bytes, limits, what);
  return { weights: weightsFromH5(model, h, opts.by ?? 'order', what), kerasVersion: h.layout === 'legacy' ? h.kerasVersion : null };
}

/** Re-key weights of one neutral model onto another model with the same structure (by order). */
function reassign(model: NModel, nm: NeutralModel): NLayerWeights[] {
  return assignLegacy(model, nm.weights.map((w) => ({ name: w.path, weights: w.weights })), 'order', 'weights');
}

function weightsFromH5(model: NModel, h: H5Contents, by: 'order' | 'name', what: string): NLayerWeights[] {
  if (h.layout === 'legacy') return assignLegacy(model, h.groups, by, what);
  return assignV3(model, h.vars, what);
}

async function readKerasZip(bytes: Uint8Array, limits: LoadLimits, what: string, opts: ReadOptions): Promise<NeutralModel> {
  const files = readZip(bytes, new Set(['config.json', 'metadata.json', 'model.weights.h5']), limits, what);
  const cfgBytes = files.get('config.json');
  if (!cfgBytes) fail('MISSING', `${what}: .keras archive has no config.json`);
  const cfgJson = parseJsonText(decoder.decode(cfgBytes), `${what}: config.json`, limits);
  const model = parseModelConfig(cfgJson, 'config.json', 0, limits);
  assertSupported(model, opts.support, what);
  let kerasVersion: string | null = null;
  const meta = files.get('metadata.json');
  if (meta) {
    const m = parseJsonText(decoder.decode(meta), `${what}: metadata.json`, limits);
    if (m && typeof m === 'object' && typeof (m as Record<string, unknown>).keras_version === 'string') kerasVersion = (m as Record<string, string>).keras_version;
  }
  let weights: NLayerWeights[] = [];
  const wbytes = files.get('model.weights.h5');
  if (opts.weights !== undefined) weights = (await weightsFromFile(model, opts.weights, { ...opts, weights: undefined }, limits)).weights;
  else if (wbytes) {
    const h = await readH5(wbytes, limits, `${what}: model.weights.h5`);
    weights = weightsFromH5(model, h, 'order', `${what}: model.weights.h5`);
  } else fail('MISSING', `${what}: .keras archive has no model.weights.h5`);
  const cc = (cfgJson as Record<string, unknown>).compile_config;
  return { format: 'keras-v3', kerasVersion, backend: null, model, weights, compile: cc ? compileFrom(cc) : null };
}

function safeShardName(p: string, what: string): string {
  if (p.includes('/') || p.includes('\\') || p === '..' || p === '.' || path.isAbsolute(p))
    fail('BAD_CONFIG', `${what}: weight shard path "${p}" must be a plain file name next to model.json`);
  return p;
}

/** Read a model file (path, Buffer or Uint8Array) into the neutral form. */
export async function readModelFile(src: Source, opts: ReadOptions = {}): Promise<NeutralModel> {
  const limits = resolveLimits(opts.limits);
  const what = nameOf(src, 'model');
  const bytes = await bytesOf(src, 'model');
  const kind = detectKind(bytes, what);
  if (kind === 'zip') return readKerasZip(bytes, limits, what, opts);
  if (kind === 'hdf5') {
    const h = await readH5(bytes, limits, what);
    if (h.layout === 'v3' || h.modelConfig === null) {
      fail('MISSING', `${what}: this HDF5 file holds weights only (no model_config); load the architecture and pass this file as {weights}, or use model.loadWeights()`);
    }
    const cfgJson = parseJsonText(h.modelConfig, `${what}: model_config`, limits);
    const model = parseModelConfig(cfgJson, 'model_config', 0, limits);
    assertSupported(model, opts.support, what);
    const weights = opts.weights !== undefined ? (await weightsFromFile(model, opts.weights, opts, limits)).weights : assignLegacy(model, h.groups, opts.by ?? 'order', what);
    let compile: NCompile | null = null;
    if (h.trainingConfig) {
      try {
        compile = compileFrom(parseJsonText(h.trainingConfig, `${what}: training_config`, limits));
      } catch (e) {
        if (!(e instanceof ModelFormatError)) throw e;
        compile = null; // training config is optional; a broken one must not block inference
      }
    }
    return { format: 'h5-legacy', kerasVersion: h.kerasVersion, backend: h.backend, model, weights, compile };
  }
  // JSON
  const json = parseJsonText(decoder.decode(bytes), what, limits);
  if (isTfjsModelJson(json)) {
    const dir = typeof src === 'string' ? path.dirname(src) : null;
    const readShard = async (p: string): Promise<Uint8Array> => {
      const name = safeShardName(p, what);
      if (opts.files && name in opts.files) return opts.files[name]!;
      if (dir === null) fail('MISSING', `${what}: shard "${name}" not given (pass {files: {"${name}": bytes}} when loading model.json from memory)`);
      try {
        return new Uint8Array(await readFile(path.join(dir, name)));
      } catch (e) {
        return fail('MISSING', `${what}: cannot read weight shard "${name}" (${(e as Error).message})`, e);
      }
    };
    const useOwn = opts.weights === undefined;
    const t = await readTfjs(useOwn ? json : { ...(json as object), weightsManifest: [] }, readShard, limits, what);
    const model = parseModelConfig(t.modelConfig, `${what}: modelTopology.model_config`, 0, limits);
    assertSupported(model, opts.support, what);
    let weights: NLayerWeights[];
    if (useOwn) weights = tfjsAssign(model, t.weights, what);
    else weights = (await weightsFromFile(model, opts.weights!, opts, limits)).weights;
    return { format: 'tfjs-layers', kerasVersion: t.kerasVersion, backend: t.backend, model, weights, compile: compileFrom(t.trainingConfig) };
  }
  // Keras architecture JSON (model.to_json()).
  const model = parseModelConfig(json, what, 0, limits);
  assertSupported(model, opts.support, what);
  const top = json as Record<string, unknown>;
  if (opts.weights === undefined) {
    return { format: 'json-config', kerasVersion: typeof top.keras_version === 'string' ? top.keras_version : null, backend: null, model, weights: [], compile: null };
  }
  const w = await weightsFromFile(model, opts.weights, opts, limits);
  return {
    format: 'json-config',
    kerasVersion: typeof top.keras_version === 'string' ? top.keras_version : w.kerasVersion,
    backend: typeof top.backend === 'string' ? top.backend : null,
    model,
    weights: w.weights,
    compile: null,
  };
}

/** TF.js: match `<layer path>/<param>` names; fall back to layer order when names do not match. */
function tfjsAssign(model: NModel, weights: NWeight[], what: string): NLayerWeights[] {
  const byLayer = new Map<string, NWeight[]>();
  const order: string[] = [];
  for (const w of weights) {
    const cut = w.name.lastIndexOf('/');
    const key = cut > 0 ? w.name.slice(0, cut) : w.name;
    if (!byLayer.has(key)) {
      byLayer.set(key, []);
      order.push(key);
    }
    byLayer.get(key)!.push(w);
  }
  try {
    return assignByPath(model, (p) => byLayer.get(p) ?? byLayer.get(p.slice(p.lastIndexOf('/') + 1)) ?? null, what);
  } catch (e) {
    if (!(e instanceof ModelFormatError) || e.code !== 'MISMATCH') throw e;
    return assignLegacy(model, order.map((k) => ({ name: k, weights: byLayer.get(k)! })), 'order', what);
  }
}
