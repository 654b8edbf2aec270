/**
 * Pair weights read from a file with the layers of a config. Three strategies, each Keras's own:
 * - by order (legacy HDF5, `load_weights` default): weighted layers in model order ↔ non-empty layer groups
 *   in file order; inside a group, weights in `weight_names` order. Names are NOT trusted (Keras 2.0.5 files
 *   store `conv2d_1_1/kernel:0` in group `conv2d_1`). A nested model's group holds its `.weights`, i.e.
 *   all trainable weights first, then the non-trainable ones (keras/src/legacy/saving/legacy_h5_format.py).
 * - by name (legacy HDF5 `by_name=True`): group name ↔ layer name.
 * - by path (Keras 3 `.keras`/`.weights.h5`, TF.js): `layers/<name>/vars` or `<layer>/<param>`.
 */
import { fail } from '../errors.js';
import { hasWeights, weightSpec, type WeightSpec } from '../keras_format/catalog.js';
import type { NLayer, NLayerWeights, NModel, NWeight } from '../keras_format/neutral.js';
import { storePaths } from '../keras_format/store_names.js';

export interface StoredGroup {
  name: string;
  weights: NWeight[];
}

function specOrFail(layer: NLayer, path: string): WeightSpec[] {
  const s = weightSpec(layer);
  if (!s) fail('UNSUPPORTED', `layer "${path}": unknown layer class ${layer.className}`);
  return s;
}

function isTrainable(layer: NLayer, parentTrainable: boolean): boolean {
  return parentTrainable && layer.config.trainable !== false;
}

interface Slot {
  path: string;
  layer: NLayer;
  index: number;
  spec: WeightSpec;
  trainable: boolean;
}

/** Weight slots of a (possibly nested) layer in Keras `.weights` order. */
function slotsOf(layer: NLayer, path: string, parentTrainable: boolean): Slot[] {
  if (!layer.model) {
    const tr = isTrainable(layer, parentTrainable);
    return specOrFail(layer, path).map((spec, index) => ({ path, layer, index, spec, trainable: tr && spec.trainable }));
  }
  const tr = parentTrainable && layer.model.trainable && layer.config.trainable !== false;
  const all = layer.model.layers.flatMap((l) => slotsOf(l, `${path}/${l.name}`, tr));
  return [...all.filter((s) => s.trainable), ...all.filter((s) => !s.trainable)];
}

function collect(slots: Slot[], arrays: NWeight[], where: string): Map<string, NLayerWeights> {
  if (slots.length !== arrays.length) {
    fail('MISMATCH', `${where}: the file has ${arrays.length} weights, the layer expects ${slots.length} (${slots.map((s) => `${s.path}/${s.spec.name}`).join(', ') || 'none'}); stored: ${arrays.map((a) => a.name).join(', ') || 'none'}`);
  }
  const out = new Map<string, NLayerWeights>();
  slots.forEach((s, i) => {
    let e = out.get(s.path);
    if (!e) {
      e = { path: s.path, className: s.layer.className, weights: [] };
      out.set(s.path, e);
    }
    e.weights[s.index] = arrays[i]!;
  });
  return out;
}

function inLeafOrder(model: NModel, found: Map<string, NLayerWeights>): NLayerWeights[] {
  const out: NLayerWeights[] = [];
  const walk = (m: NModel, prefix: string): void => {
    for (const l of m.layers) {
      const p = `${prefix}${l.name}`;
      if (l.model) walk(l.model, `${p}/`);
      else {
        const e = found.get(p);
        if (e) out.push(e);
      }
    }
  };
  walk(model, '');
  return out;
}

/** Legacy HDF5: pair weighted layers with non-empty groups, by order or by name. */
export function assignLegacy(model: NModel, groups: StoredGroup[], mode: 'order' | 'name', what: string): NLayerWeights[] {
  const weighted = model.layers.filter(hasWeights);
  const nonEmpty = groups.filter((g) => g.weights.length > 0);
  const found = new Map<string, NLayerWeights>();
  if (mode === 'order') {
    if (weighted.length !== nonEmpty.length) {
      fail('MISMATCH', `${what}: the model has ${weighted.length} layers with weights (${weighted.map((l) => l.name).join(', ')}) but the file has ${nonEmpty.length} weight groups (${nonEmpty.map((g) => g.name).join(', ')})`);
    }
    weighted.forEach((l, i) => {
      const g = nonEmpty[i]!;
      for (const [k, v] of collect(slotsOf(l, l.name, model.trainable), g.weights, `${what}: layer "${l.name}" ← group "${g.name}"`)) found.set(k, v);
    });
  } else {
    const byName = new Map(nonEmpty.map((g) => [g.name, g]));
    const missing: string[] = [];
    for (const l of weighted) {
      const g = byName.get(l.name);
      if (!g) {
        missing.push(l.name);
        continue;
      }
      for (const [k, v] of collect(slotsOf(l, l.name, model.trainable), g.weights, `${what}: layer "${l.name}"`)) found.set(k, v);
    }
    if (missing.length) fail('MISMATCH', `${what}: no weight group for layers ${missing.join(', ')} (file groups: ${nonEmpty.map((g) => g.name).join(', ')})`);
  }
  return inLeafOrder(model, found);
}

/**
 * Path-addressed stores (Keras 3 vars, TF.js names): `lookup(path)` returns the weights stored for the
 * leaf layer at `path` ("outer/inner") or null. Leaves whose spec is empty are skipped.
 */
export function assignByPath(model: NModel, lookup: (path: string, layer: NLayer) => NWeight[] | null, what: string): NLayerWeights[] {
  const found = new Map<string, NLayerWeights>();
  const missing: string[] = [];
  const walk = (m: NModel, prefix: string): void => {
    for (const l of m.layers) {
      const p = `${prefix}${l.name}`;
      if (l.model) {
        walk(l.model, `${p}/`);
        continue;
      }
      const spec = specOrFail(l, p);
      if (spec.length === 0) continue;
      const ws = lookup(p, l);
      if (!ws) {
        missing.push(p);
        continue;
      }
      if (ws.length !== spec.length) {
        fail('MISMATCH', `${what}: layer "${p}" (${l.className}) expects ${spec.length} weights (${spec.map((s) => s.name).join(', ')}), the file has ${ws.length}`);
      }
      found.set(p, { path: p, className: l.className, weights: ws });
    }
  };
  walk(model, '');
  if (missing.length) fail('MISMATCH', `${what}: no weights stored for layers ${missing.join(', ')}`);
  return inLeafOrder(model, found);
}

/**
 * Keras 3 weights store: each leaf layer's `vars` are found where Keras's saving_lib puts them, under
 * the class-based store path (keras_format/store_names.ts), not under the layer name. Files written
 * by convkit before it followed that rule used layer names; when the class-based paths miss a layer
 * but the layer names find every one, those are used instead.
 */
export function assignV3(model: NModel, vars: ReadonlyMap<string, NWeight[]>, what: string): NLayerWeights[] {
  const paths = storePaths(model);
  const byClass = (p: string): NWeight[] | null => vars.get(paths.get(p) ?? '\0') ?? null;
  const byName = (p: string): NWeight[] | null => vars.get(p) ?? null;
  try {
    return assignByPath(model, byClass, what);
  } catch (e) {
    try {
      return assignByPath(model, byName, what);
    } catch {
      throw e;
    }
  }
}
