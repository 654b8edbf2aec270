/**
 * HDF5 writers with h5wasm, in the layouts Keras's own loaders read:
 * - legacy full model (`model.save('m.h5')`): root attrs keras_version/backend/model_config, group
 *   `model_weights` with `layer_names`, one group per layer with `weight_names`, datasets at
 *   `model_weights/<layer>/<weight_name>` (intermediate groups for the `/` in names).
 *   (keras/src/legacy/saving/legacy_h5_format.py: save_model_to_hdf5 / load_weights_from_hdf5_group)
 * - legacy weights only (`save_weights('w.h5')`): the same layer groups at the root.
 * - Keras 3 weights store (`model.weights.h5` in `.keras`, `*.weights.h5`): `layers/<name>/vars/<i>`,
 *   root `vars` (keras/src/saving/saving_lib.py H5IOStore).
 */
import type * as H5 from 'h5wasm';
import { buildH5Bytes } from '../hdf5/h5module.js';
import { hasWeights, weightSpec } from '../keras_format/catalog.js';
import type { NeutralModel, NLayer, NLayerWeights, NModel, NWeight } from '../keras_format/neutral.js';
import { modelJson } from './keras_json.js';
import { storeKeys } from '../keras_format/store_names.js';
import { legacyTrainingConfig } from '../compile.js';

/** Version string written in `keras_version`: the Keras release whose file dialect we emit. */
export const LEGACY_KERAS_VERSION = '2.15.0';
export const V3_KERAS_VERSION = '3.14.0';

function writeDataset(g: H5.Group, name: string, w: NWeight): void {
  g.create_dataset({ name, data: w.data, shape: w.shape, dtype: '<f' });
}

function stringList(g: H5.Group, attr: string, names: string[]): void {
  // Keras writes an empty list as an empty float64 array; h5py and Keras read both the same way.
  if (names.length === 0) g.create_attribute(attr, new Float64Array(0), [0], '<d');
  else g.create_attribute(attr, names);
}

/** Create the intermediate groups of a '/'-separated dataset name and write it. */
function writeNested(g: H5.Group, name: string, w: NWeight): void {
  const parts = name.split('/');
  let cur = g;
  for (const p of parts.slice(0, -1)) cur = cur.keys().includes(p) ? (cur.get(p) as H5.Group) : cur.create_group(p);
  writeDataset(cur, parts[parts.length - 1]!, w);
}

/**
 * Ordered weights of one top-level layer as Keras's legacy writer lists them: a leaf layer's own
 * weights, or for a nested model all trainable weights first, then the non-trainable ones.
 */
function legacyLayerWeights(l: NLayer, byPath: Map<string, NLayerWeights>, parentTrainable: boolean): { name: string; w: NWeight }[] {
  const trainable: { name: string; w: NWeight }[] = [];
  const frozen: { name: string; w: NWeight }[] = [];
  const visit = (layer: NLayer, path: string, tr: boolean): void => {
    if (layer.model) {
      for (const c of layer.model.layers) visit(c, `${path}/${c.name}`, tr && layer.model.trainable);
      return;
    }
    const e = byPath.get(path);
    if (!e) return;
    const layerTrainable = tr && layer.config.trainable !== false;
    e.weights.forEach((w, i) => {
      const param = paramName(layer.className, i, e.weights.length, layer);
      const item = { name: `${path}/${param}:0`, w };
      if (layerTrainable && !(layer.className === 'BatchNormalization' && /^moving_/.test(param))) trainable.push(item);
      else frozen.push(item);
    });
  };
  visit(l, l.name, parentTrainable);
  return [...trainable, ...frozen];
}

function paramName(className: string, i: number, _n: number, layer: NLayer): string {
  const spec = weightSpec({ className, config: layer.config });
  return spec?.[i]?.name ?? `weight_${i}`;
}

function writeLegacyLayers(root: H5.Group, m: NModel, weights: NLayerWeights[], version: string): void {
  const byPath = new Map(weights.map((w) => [w.path, w]));
  const names = m.layers.map((l) => l.name);
  stringList(root, 'layer_names', names);
  root.create_attribute('backend', 'tensorflow');
  root.create_attribute('keras_version', version);
  for (const l of m.layers) {
    const g = root.create_group(l.name);
    const ws = hasWeights(l) ? legacyLayerWeights(l, byPath, m.trainable) : [];
    stringList(g, 'weight_names', ws.map((x) => x.name));
    for (const { name, w } of ws) writeNested(g, name, w);
  }
}

export async function legacyH5Bytes(nm: NeutralModel, includeModel: boolean): Promise<Uint8Array> {
  return buildH5Bytes('save legacy .h5', (f) => {
    if (includeModel) {
      f.create_attribute('keras_version', LEGACY_KERAS_VERSION);
      f.create_attribute('backend', 'tensorflow');
      f.create_attribute('model_config', JSON.stringify(modelJson(nm.model, 'keras2')));
      if (nm.compile && nm.compile.optimizer) f.create_attribute('training_config', JSON.stringify(legacyTrainingConfig(nm.compile)));
      writeLegacyLayers(f.create_group('model_weights'), nm.model, nm.weights, LEGACY_KERAS_VERSION);
    } else {
      writeLegacyLayers(f, nm.model, nm.weights, LEGACY_KERAS_VERSION);
    }
  });
}

/**
 * Keras 3 weights store. Every layer (weightless too) gets its `vars` group, as Keras writes it, at its
 * class-based store key (keras_format/store_names.ts: `layers/dense_1/vars`, not the layer's name); the
 * `vars` group carries the layer name as its `name` attribute (Keras 3.11+).
 */
export async function v3WeightsBytes(nm: NeutralModel, extra?: (f: H5.File) => void): Promise<Uint8Array> {
  const byPath = new Map(nm.weights.map((w) => [w.path, w]));
  return buildH5Bytes('save .weights.h5', (f) => {
    const visit = (m: NModel, parent: H5.Group, prefix: string): void => {
      const keys = storeKeys(m);
      m.layers.forEach((l, i) => {
        const g = parent.create_group(keys[i]!);
        const vars = g.create_group('vars');
        vars.create_attribute('name', l.name);
        if (l.model) {
          visit(l.model, g.create_group('layers'), `${prefix}${l.name}/`);
          return;
        }
        (byPath.get(`${prefix}${l.name}`)?.weights ?? []).forEach((w, j) => writeDataset(vars, String(j), w));
      });
    };
    visit(nm.model, f.create_group('layers'), '');
    f.create_group('vars').create_attribute('name', nm.model.name);
    extra?.(f);
  });
}
