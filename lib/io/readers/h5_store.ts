/**
 * Read what we need out of an HDF5 file: the metadata tree comes from the reading worker, the Keras
 * interpretation happens here, and only the datasets we decided to use (and validated) are fetched.
 * Handles the legacy Keras layout (`layer_names`/`weight_names`) and the Keras 3 layout
 * (`layers/<name>/vars/<i>`, including Windows-written `layers\name` group names).
 */
import { fail } from '../errors.js';
import type { NOptimizerVar, NOptimizerVars, NWeight } from '../keras_format/neutral.js';
import type { LoadLimits } from '../limits.js';
import { openH5Session, type SnapGroup } from '../hdf5/h5worker.js';
import { WeightBudget, checkFloatDataset, childGroup, hasAttr, lookup, readStringAttr, readStringListAttr } from '../hdf5/read.js';
import type { StoredGroup } from './assign.js';

export interface LegacyH5Contents {
  layout: 'legacy';
  kerasVersion: string | null;
  backend: string | null;
  modelConfig: string | null;
  trainingConfig: string | null;
  /** Groups in `layer_names` order (weightless ones included, with no weights). */
  groups: StoredGroup[];
}

export interface V3H5Contents {
  layout: 'v3';
  /** Normalized leaf path ("a" or "outer/inner", '/'-separated) → weights in vars/<i> order. */
  vars: Map<string, NWeight[]>;
  /** `optimizer/vars/<i>` (optimizer state), when the store has them. */
  optimizer: NOptimizerVars | null;
}

export type H5Contents = LegacyH5Contents | V3H5Contents;

/** A weight (or optimizer variable, read in float64) whose values are still to be fetched from the worker. */
interface Pending {
  path: string;
  w: { shape: number[]; data: Float32Array | Float64Array };
  f64?: boolean;
}

function planLegacy(f: SnapGroup, budget: WeightBudget, what: string, pending: Pending[]): LegacyH5Contents {
  const modelConfig = readStringAttr(f, 'model_config', `${what}: root`);
  const trainingConfig = readStringAttr(f, 'training_config', `${what}: root`);
  let weightRoot = f;
  let base = '';
  if (modelConfig !== null || 'model_weights' in f.children) {
    const mw = childGroup(f, 'model_weights');
    if (!mw) fail('MISSING', `${what}: HDF5 file has model_config but no "model_weights" group`);
    weightRoot = mw;
    base = 'model_weights/';
  }
  const where = base ? '/model_weights' : 'root';
  const layerNames = readStringListAttr(weightRoot, 'layer_names', `${what}: ${where}`);
  if (layerNames === null) fail('MISSING', `${what}: ${where} has no "layer_names" attribute (not a Keras weights file)`);
  const kerasVersion = readStringAttr(f, 'keras_version', `${what}: root`) ?? readStringAttr(weightRoot, 'keras_version', `${what}: ${where}`);
  const backend = readStringAttr(f, 'backend', `${what}: root`) ?? readStringAttr(weightRoot, 'backend', `${what}: ${where}`);
  const groups: StoredGroup[] = [];
  for (const ln of layerNames) {
    const g = childGroup(weightRoot, ln);
    if (!g || ln.includes('/') || ln === '') fail('MISSING', `${what}: layer_names lists "${ln}" but there is no group ${base}${ln}`);
    const wnames = readStringListAttr(g, 'weight_names', `${what}: group "${ln}"`);
    if (wnames === null) fail('MISSING', `${what}: group "${ln}" has no "weight_names" attribute`);
    const weights: NWeight[] = [];
    for (const wn of wnames) {
      const ds = lookup(g, wn);
      if (!ds || ds.kind !== 'dataset') fail('MISSING', `${what}: weight "${wn}" listed in group "${ln}" is not a dataset`);
      const shape = checkFloatDataset(ds, budget, `${what}: ${ln}/${wn}`);
      const w: NWeight = { name: wn, shape, data: new Float32Array(0) };
      pending.push({ path: `${base}${ln}/${wn}`, w });
      weights.push(w);
    }
    groups.push({ name: ln, weights });
  }
  return { layout: 'legacy', kerasVersion, backend, modelConfig, trainingConfig, groups };
}

function planVars(g: SnapGroup, path: string, budget: WeightBudget, pending: Pending[]): NWeight[] {
  const keys = Object.keys(g.children);
  for (const k of keys) if (!/^\d+$/.test(k)) fail('CORRUPT', `${path}: unexpected member "${k}" (expected 0, 1, …)`);
  const idx = keys.map(Number).sort((a, b) => a - b);
  idx.forEach((v, i) => {
    if (v !== i) fail('CORRUPT', `${path}: variables are not numbered 0..${keys.length - 1} (${keys.join(', ')})`);
  });
  return idx.map((i) => {
    const ds = g.children[String(i)]!;
    if (ds.kind !== 'dataset') fail('CORRUPT', `${path}/${i}: not a dataset`);
    const shape = checkFloatDataset(ds, budget, `${path}/${i}`);
    const w: NWeight = { name: `${path}/${i}`, shape, data: new Float32Array(0) };
    pending.push({ path: `${path}/${i}`, w });
    return w;
  });
}

/** Keras 3 store: walk `layers/...` (and `layers\...` root names), collecting every `vars` group. */
function planV3(f: SnapGroup, budget: WeightBudget, pending: Pending[]): V3H5Contents {
  const vars = new Map<string, NWeight[]>();
  const walk = (g: SnapGroup, h5path: string, logical: string[]): void => {
    for (const [k, e] of Object.entries(g.children)) {
      if (e.kind !== 'group') continue;
      if (k === 'vars') {
        vars.set(logical.join('/'), planVars(e, `${h5path}/vars`, budget, pending));
        continue;
      }
      walk(e, `${h5path}/${k}`, [...logical, ...k.split('\\')]);
    }
  };
  for (const [k, e] of Object.entries(f.children)) {
    const parts = k.split('\\');
    if (parts[0] !== 'layers' || e.kind !== 'group') continue; // optimizer/, metrics\mean, root vars: not model weights
    walk(e, k, parts);
  }
  // "layers/a/layers/b" → "a/b"
  const out = new Map<string, NWeight[]>();
  for (const [p, w] of vars) {
    const segs = p.split('/');
    const leaf: string[] = [];
    for (let i = 0; i < segs.length; i += 2) {
      if (segs[i] !== 'layers' || segs[i + 1] === undefined) {
        leaf.length = 0;
        break;
      }
      leaf.push(segs[i + 1]!);
    }
    if (leaf.length) out.set(leaf.join('/'), w);
  }
  return { layout: 'v3', vars: out, optimizer: planOptimizer(f, budget, pending) };
}

/** `optimizer/vars/0..n-1`: iteration (int64), learning rate, slots — read as float64, exact. */
function planOptimizer(f: SnapGroup, budget: WeightBudget, pending: Pending[]): NOptimizerVars | null {
  const g = childGroup(f, 'optimizer/vars');
  if (!g) return null;
  const keys = Object.keys(g.children);
  if (keys.length === 0 || keys.some((k) => !/^\d+$/.test(k))) return null;
  const n = keys.length;
  const vars: NOptimizerVar[] = [];
  for (let i = 0; i < n; i++) {
    const ds = g.children[String(i)];
    if (!ds || ds.kind !== 'dataset') return null; // not Keras's numbering: ignore the optimizer, keep the model
    const shape = checkFloatDataset(ds, budget, `optimizer/vars/${i}`, true);
    const v: NOptimizerVar = { shape, dtype: ds.type === 0 ? 'int64' : 'float32', data: new Float64Array(0) };
    pending.push({ path: `optimizer/vars/${i}`, w: v, f64: true });
    vars.push(v);
  }
  const name = g.attrs['name'];
  return { name: typeof name === 'string' ? name : null, vars };
}

export function isV3Store(f: SnapGroup): boolean {
  const keys = Object.keys(f.children);
  if (hasAttr(f, 'layer_names') || hasAttr(f, 'model_config') || keys.includes('model_weights')) return false;
  return keys.some((k) => k === 'layers' || k.startsWith('layers\\')) || keys.includes('vars');
}

export async function readH5(bytes: Uint8Array, limits: LoadLimits, what: string): Promise<H5Contents> {
  const session = await openH5Session(bytes, { timeoutMs: limits.hdf5TimeoutMs, maxNodes: limits.maxHdf5Objects, maxAttrBytes: limits.maxJsonBytes, maxDepth: 64 }, what);
  try {
    const f = session.tree;
    const budget = new WeightBudget(limits, bytes.length);
    const pending: Pending[] = [];
    let contents: H5Contents;
    if (isV3Store(f)) contents = planV3(f, budget, pending);
    else {
      if (!hasAttr(f, 'layer_names') && !hasAttr(f, 'model_config') && !('model_weights' in f.children)) {
        fail('MISSING', `${what}: HDF5 file is not a Keras model or weights file (no model_config, layer_names or layers/ group; root has ${Object.keys(f.children).join(', ') || 'nothing'})`);
      }
      contents = planLegacy(f, budget, what, pending);
    }
    const arrays = await session.read(pending.map((p) => p.path), pending.map((p) => p.f64 === true));
    pending.forEach((p, i) => {
      const a = arrays[i]!;
      const n = p.w.shape.reduce((x, y) => x * y, 1);
      if (a.length !== n) fail('CORRUPT', `${what}: ${p.path} holds ${a.length} values, its shape says ${n}`);
      p.w.data = a;
    });
    return contents;
  } finally {
    await session.close();
  }
}
