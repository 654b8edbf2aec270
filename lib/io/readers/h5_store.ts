/**
 * Read everything we need out of an HDF5 file into plain JS data in one pass (the file handle only lives
 * inside h5wasm's callback). Handles the legacy Keras layout (`layer_names`/`weight_names`) and the
 * Keras 3 layout (`layers/<name>/vars/<i>`, including Windows-written `layers\name` group names).
 */
import type * as H5 from 'h5wasm';
import { fail } from '../errors.js';
import type { NWeight } from '../keras_format/neutral.js';
import type { LoadLimits } from '../limits.js';
import { withH5Bytes, type H5Lib } from '../hdf5/h5module.js';
import { WeightBudget, hasAttr, readFloatDataset, readStringAttr, readStringListAttr } from '../hdf5/read.js';
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
}

export type H5Contents = LegacyH5Contents | V3H5Contents;

const MAX_GROUP_DEPTH = 64;

function childGroup(g: H5.Group, name: string, lib: H5Lib): H5.Group | null {
  if (!g.keys().includes(name)) return null;
  const e = g.get(name);
  return e instanceof lib.Group ? e : null;
}

function readLegacy(f: H5.File, lib: H5Lib, budget: WeightBudget, what: string): LegacyH5Contents {
  const modelConfig = readStringAttr(f, 'model_config', `${what}: root`);
  const trainingConfig = readStringAttr(f, 'training_config', `${what}: root`);
  let weightRoot: H5.Group = f;
  if (modelConfig !== null || f.keys().includes('model_weights')) {
    const mw = childGroup(f, 'model_weights', lib);
    if (!mw) fail('MISSING', `${what}: HDF5 file has model_config but no "model_weights" group`);
    weightRoot = mw;
  }
  const layerNames = readStringListAttr(weightRoot, 'layer_names', `${what}: ${weightRoot.path}`);
  if (layerNames === null) fail('MISSING', `${what}: ${weightRoot.path} has no "layer_names" attribute (not a Keras weights file)`);
  const kerasVersion = readStringAttr(f, 'keras_version', `${what}: root`) ?? readStringAttr(weightRoot, 'keras_version', `${what}: ${weightRoot.path}`);
  const backend = readStringAttr(f, 'backend', `${what}: root`) ?? readStringAttr(weightRoot, 'backend', `${what}: ${weightRoot.path}`);
  const groups: StoredGroup[] = [];
  for (const ln of layerNames) {
    const g = childGroup(weightRoot, ln, lib);
    if (!g) fail('MISSING', `${what}: layer_names lists "${ln}" but there is no group ${weightRoot.path === '/' ? '' : weightRoot.path}/${ln}`);
    const wnames = readStringListAttr(g, 'weight_names', `${what}: group "${ln}"`);
    if (wnames === null) fail('MISSING', `${what}: group "${ln}" has no "weight_names" attribute`);
    const weights: NWeight[] = [];
    for (const wn of wnames) {
      let ds: unknown;
      try {
        ds = g.get(wn);
      } catch {
        ds = null;
      }
      if (!(ds instanceof lib.Dataset)) fail('MISSING', `${what}: weight "${wn}" listed in group "${ln}" is not a dataset`);
      const w = readFloatDataset(ds, budget, `${what}: ${ln}/${wn}`);
      weights.push({ name: wn, shape: w.shape, data: w.data });
    }
    groups.push({ name: ln, weights });
  }
  return { layout: 'legacy', kerasVersion, backend, modelConfig, trainingConfig, groups };
}

function readVars(g: H5.Group, lib: H5Lib, budget: WeightBudget, where: string): NWeight[] {
  const keys = g.keys();
  for (const k of keys) if (!/^\d+$/.test(k)) fail('CORRUPT', `${where}: unexpected member "${k}" (expected 0, 1, …)`);
  const idx = keys.map(Number).sort((a, b) => a - b);
  idx.forEach((v, i) => {
    if (v !== i) fail('CORRUPT', `${where}: variables are not numbered 0..${keys.length - 1} (${keys.join(', ')})`);
  });
  return idx.map((i) => {
    const ds = g.get(String(i));
    if (!(ds instanceof lib.Dataset)) fail('CORRUPT', `${where}/${i}: not a dataset`);
    const w = readFloatDataset(ds, budget, `${where}/${i}`);
    return { name: `${where}/${i}`, shape: w.shape, data: w.data };
  });
}

/** Keras 3 store: walk `layers/...` (and `layers\...` root names), collecting every `vars` group. */
function readV3(f: H5.File, lib: H5Lib, budget: WeightBudget, what: string): V3H5Contents {
  const vars = new Map<string, NWeight[]>();
  const walk = (g: H5.Group, logical: string[], depth: number): void => {
    if (depth > MAX_GROUP_DEPTH) fail('LIMIT', `${what}: groups nested deeper than ${MAX_GROUP_DEPTH}`);
    for (const k of g.keys()) {
      const e = g.get(k);
      if (!(e instanceof lib.Group)) continue;
      if (k === 'vars') {
        vars.set(logical.join('/'), readVars(e, lib, budget, `${g.path === '/' ? '' : g.path}/vars`));
        continue;
      }
      walk(e, [...logical, ...k.split('\\')], depth + 1);
    }
  };
  for (const k of f.keys()) {
    const parts = k.split('\\');
    if (parts[0] !== 'layers') continue; // optimizer/, metrics\mean, root vars: not model weights
    const e = f.get(k);
    if (e instanceof lib.Group) walk(e, parts, 1);
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
  return { layout: 'v3', vars: out };
}

export function isV3Store(f: H5.File): boolean {
  const keys = f.keys();
  if (hasAttr(f, 'layer_names') || hasAttr(f, 'model_config') || keys.includes('model_weights')) return false;
  return keys.some((k) => k === 'layers' || k.startsWith('layers\\')) || keys.includes('vars');
}

export async function readH5(bytes: Uint8Array, limits: LoadLimits, what: string): Promise<H5Contents> {
  return withH5Bytes(bytes, what, (f, lib) => {
    const budget = new WeightBudget(limits, bytes.length);
    if (isV3Store(f)) return readV3(f, lib, budget, what);
    if (!hasAttr(f, 'layer_names') && !hasAttr(f, 'model_config') && !f.keys().includes('model_weights')) {
      fail('MISSING', `${what}: HDF5 file is not a Keras model or weights file (no model_config, layer_names or layers/ group; root has ${f.keys().join(', ') || 'nothing'})`);
    }
    return readLegacy(f, lib, budget, what);
  });
}
