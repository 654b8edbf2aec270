/**
 * Serialize the neutral model config back to Keras JSON, in two dialects:
 * - Keras 3 (`.keras` config.json): `module`/`registered_name` everywhere, DTypePolicy objects,
 *   InputLayer `batch_shape`, `build_config`, and call nodes as Keras 3 writes them
 *   (keras/src/models/functional.py serialize_node): `{"args": [<__keras_tensor__ {shape, dtype,
 *   keras_history}> | [list of them]], "kwargs": {...}}`. That form needs every tensor's shape; a model
 *   saved from convkit always has them (model_bridge.toNeutral), a config converted from a Keras 2 file
 *   without them falls back to the list form, which Keras 3 also reads ("legacy case" in deserialize_node).
 * - Keras 2 (legacy `.h5` model_config, TF.js modelTopology): plain dtype strings, `batch_input_shape`,
 *   list-form inbound nodes; readable by tf.keras 2.x, by Keras 3's legacy loader and by TF.js.
 * Node indices: the neutral form counts calls from 0; Keras counts a nested Functional's own internal call as
 * node 0 (Keras 2: every nested model; Keras 3: nested Functional but not Sequential, and only in
 * input_layers/output_layers — Keras 3 call-node `keras_history` counts from 0).
 */
import type { NLayer, NModel, NTensorRef } from '../keras_format/neutral.js';
import type { JsonObject, JsonValue } from '../keras_format/types.js';

export type Dialect = 'keras3' | 'keras2';

const dtypePolicy = (name: string): JsonObject => ({ module: 'keras', class_name: 'DTypePolicy', config: { name }, registered_name: null });

/** Keras 3 ↔ Keras 2 option renames that matter for the layers we support. */
function dialectConfig(className: string, cfg: JsonObject, d: Dialect): JsonObject {
  const out: JsonObject = { ...cfg };
  if (className === 'LeakyReLU') {
    if (d === 'keras2' && 'negative_slope' in out) {
      out.alpha = out.negative_slope!;
      delete out.negative_slope;
    } else if (d === 'keras3' && 'alpha' in out) {
      out.negative_slope = out.alpha!;
      delete out.alpha;
    }
  }
  return out;
}

/** Add (Keras 3) or strip (Keras 2) `module`/`registered_name` on nested {class_name, config} objects. */
function serializedObjects(key: string, v: JsonValue, d: Dialect): JsonValue {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  if (typeof v.class_name !== 'string' || !('config' in v)) return v;
  const base: JsonObject = { class_name: v.class_name, config: v.config ?? {} };
  if (d === 'keras2') {
    // Keras >= 2.4 writes L1/L2 classes; TF.js and older Keras only know L1L2, which covers both.
    if (key.endsWith('_regularizer') && (v.class_name === 'L1' || v.class_name === 'L2')) {
      const c = (v.config ?? {}) as JsonObject;
      return { class_name: 'L1L2', config: { l1: (c.l1 as number) ?? 0, l2: (c.l2 as number) ?? 0 } };
    }
    return base;
  }
  const module = key.endsWith('_initializer') ? 'keras.initializers' : key.endsWith('_regularizer') ? 'keras.regularizers' : key.endsWith('_constraint') ? 'keras.constraints' : (v.module ?? null);
  return { module, ...base, registered_name: (v.registered_name as JsonValue) ?? null };
}

function layerConfig(l: NLayer, d: Dialect): JsonObject {
  const cfg = dialectConfig(l.className, l.config, d);
  const out: JsonObject = { name: l.name };
  if (l.className === 'InputLayer') {
    const shape = cfg.batch_shape ?? null;
    if (d === 'keras3') out.batch_shape = shape;
    else out.batch_input_shape = shape;
    out.dtype = (cfg.dtype as string) ?? 'float32';
    out.sparse = false;
    if (d === 'keras2') out.ragged = false;
    return out;
  }
  out.trainable = cfg.trainable ?? true;
  const dt = typeof cfg.dtype === 'string' ? cfg.dtype : 'float32';
  out.dtype = d === 'keras3' ? dtypePolicy(dt) : dt;
  for (const [k, v] of Object.entries(cfg)) {
    if (k === 'trainable' || k === 'dtype' || k === 'batch_shape') continue;
    out[k] = serializedObjects(k, v, d);
  }
  return out;
}

function refOut(r: NTensorRef, byName: Map<string, NLayer>, d: Dialect): [string, number, number] {
  const l = byName.get(r.layer);
  const nested = l?.model !== undefined && (d === 'keras2' || l.model.kind === 'Functional');
  return [r.layer, r.node + (nested ? 1 : 0), r.tensor];
}

/** Keras 3 symbolic tensor (serialization_lib.serialize_keras_object of a KerasTensor). */
function kerasTensor(r: NTensorRef): JsonObject {
  return { class_name: '__keras_tensor__', config: { shape: r.shape ?? null, dtype: r.dtype ?? 'float32', keras_history: [r.layer, r.node, r.tensor] } };
}

const MERGE_CLASSES = new Set(['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate', 'Dot']);

function calledWithList(l: NLayer, ni: number): boolean {
  return l.inputIsList?.[ni] ?? (l.inbound[ni]!.length > 1 || MERGE_CLASSES.has(l.className));
}

/**
 * Layers whose Keras 3 `call` takes a `mask` argument: Layer.__call__ fills it from the inputs (None
 * here), so Keras records `"kwargs": {"mask": null}` for each of their calls.
 */
const MASK_CALL_CLASSES = new Set(['BatchNormalization', 'Softmax', 'GlobalAveragePooling1D']);

/** Keras 3 call node: {args: [tensor] or [[tensors]], kwargs}. */
function keras3Node(l: NLayer, ni: number): JsonObject {
  const node = l.inbound[ni]!;
  const tensors = node.map(kerasTensor);
  const kwargs = l.callKwargs?.[ni] ?? (MASK_CALL_CLASSES.has(l.className) ? { mask: null } : {});
  return { args: calledWithList(l, ni) ? [tensors] : tensors, kwargs };
}

/**
 * Keras 3 layer classes with no build() of their own: Keras marks them built at construction and writes
 * no build_config for them in functional models (keras/src/layers/layer.py _build_at_init).
 */
const DEFAULT_BUILD_CLASSES = new Set([
  'Activation', 'ELU', 'LeakyReLU', 'ReLU', 'Softmax', 'Identity', 'Masking',
  'MaxPooling1D', 'MaxPooling2D', 'MaxPooling3D', 'AveragePooling1D', 'AveragePooling2D', 'AveragePooling3D',
  'GlobalMaxPooling1D', 'GlobalMaxPooling2D', 'GlobalMaxPooling3D', 'GlobalAveragePooling1D', 'GlobalAveragePooling2D', 'GlobalAveragePooling3D',
  'Cropping1D', 'Cropping2D', 'Cropping3D', 'Flatten', 'Permute', 'RepeatVector', 'Reshape', 'UpSampling1D', 'UpSampling2D', 'UpSampling3D',
  'ZeroPadding1D', 'ZeroPadding2D', 'ZeroPadding3D', 'ActivityRegularization', 'AlphaDropout', 'Dropout', 'GaussianDropout', 'GaussianNoise',
  'SpatialDropout1D', 'SpatialDropout2D', 'SpatialDropout3D',
]);

/** Keras 3 build_config of a layer: the shape(s) of its first call's inputs. */
function buildConfig(l: NLayer, functional: boolean): JsonObject | null {
  if (functional && DEFAULT_BUILD_CLASSES.has(l.className)) return null;
  if (l.buildInputShape !== undefined) return { input_shape: l.buildInputShape };
  const first = l.inbound[0];
  if (!first || first.length === 0 || first.some((r) => !r.shape)) return null;
  return { input_shape: calledWithList(l, 0) ? first.map((r) => r.shape!) : first[0]!.shape! };
}

function wrapLayer(l: NLayer, d: Dialect, functional: boolean): JsonObject {
  if (l.model) return modelJson(l.model, d, false);
  const o: JsonObject = { class_name: l.className, config: layerConfig(l, d) };
  if (d !== 'keras3') return o;
  const out: JsonObject = { module: 'keras.layers', ...o, registered_name: null };
  if (l.className !== 'InputLayer') {
    const bc = buildConfig(l, functional);
    if (bc) out.build_config = bc;
  }
  return out;
}

/** Every call-node ref of a functional model knows its tensor's shape (needed for the Keras 3 node form). */
function allShapesKnown(m: NModel): boolean {
  return m.layers.every((l) => l.inbound.every((node) => node.every((r) => Array.isArray(r.shape))));
}

export function modelJson(m: NModel, d: Dialect, top = true): JsonObject {
  if (m.kind === 'Sequential') {
    const layers: JsonValue[] = [];
    if (m.batchInputShape) {
      const input: NLayer = { className: 'InputLayer', name: m.inputName ?? `${m.name}_input`, config: { batch_shape: m.batchInputShape, dtype: m.inputDtype ?? 'float32' }, inbound: [] };
      layers.push(wrapLayer(input, d, false));
    }
    for (const l of m.layers) layers.push(wrapLayer(l, d, false));
    const config: JsonObject = { name: m.name, trainable: m.trainable, layers };
    if (d === 'keras3') config.dtype = dtypePolicy('float32');
    const out: JsonObject = d === 'keras3' ? { module: 'keras', class_name: 'Sequential', config, registered_name: null } : { class_name: 'Sequential', config };
    if (d === 'keras3' && m.batchInputShape) out.build_config = { input_shape: m.batchInputShape };
    return out;
  }
  const byName = new Map(m.layers.map((l) => [l.name, l]));
  const keras3Nodes = d === 'keras3' && allShapesKnown(m);
  const layers = m.layers.map((l) => {
    const o = wrapLayer(l, d, true);
    o.name = l.name;
    o.inbound_nodes = keras3Nodes
      ? l.inbound.map((_node, ni) => keras3Node(l, ni))
      : l.inbound.map((node, ni) => node.map((r) => [...refOut(r, byName, d), l.callKwargs?.[ni] ?? {}] as JsonValue));
    return o;
  });
  const io = (refs: NTensorRef[]): JsonValue => {
    const out = refs.map((r) => refOut(r, byName, d));
    // Keras 3 writes a single input/output un-nested (tree.map_structure over one tensor).
    return d === 'keras3' && out.length === 1 ? out[0]! : out;
  };
  const config: JsonObject = {
    name: m.name,
    trainable: m.trainable,
    layers,
    input_layers: io(m.inputs),
    output_layers: io(m.outputs),
  };
  if (d === 'keras3') {
    const out: JsonObject = { module: 'keras.src.models.functional', class_name: 'Functional', config, registered_name: 'Functional' };
    if (top) out.build_config = { input_shape: null };
    return out;
  }
  return { class_name: 'Functional', config };
}
