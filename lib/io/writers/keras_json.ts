/**
 * Serialize the neutral model config back to Keras JSON, in two dialects:
 * - Keras 3 (`.keras` config.json): `module`/`registered_name` everywhere, DTypePolicy objects,
 *   InputLayer `batch_shape`. Call nodes are written in the list form, which Keras 3's
 *   functional deserializer still accepts ("legacy case" in keras/src/models/functional.py), because
 *   the `__keras_tensor__` form needs every tensor's shape.
 * - Keras 2 (legacy `.h5` model_config, TF.js modelTopology): plain dtype strings, `batch_input_shape`,
 *   list-form inbound nodes; readable by tf.keras 2.x, by Keras 3's legacy loader and by TF.js.
 * Node indices: the neutral form counts calls from 0; Keras counts a nested Functional's own internal call as
 * node 0 (Keras 2: every nested model; Keras 3: nested Functional but not Sequential).
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

function wrapLayer(l: NLayer, d: Dialect): JsonObject {
  if (l.model) return modelJson(l.model, d, false);
  const o: JsonObject = { class_name: l.className, config: layerConfig(l, d) };
  return d === 'keras3' ? { module: 'keras.layers', ...o, registered_name: null } : o;
}

export function modelJson(m: NModel, d: Dialect, top = true): JsonObject {
  if (m.kind === 'Sequential') {
    const layers: JsonValue[] = [];
    if (m.batchInputShape) {
      const input: NLayer = { className: 'InputLayer', name: m.inputName ?? `${m.name}_input`, config: { batch_shape: m.batchInputShape, dtype: m.inputDtype ?? 'float32' }, inbound: [] };
      layers.push(wrapLayer(input, d));
    }
    for (const l of m.layers) layers.push(wrapLayer(l, d));
    const config: JsonObject = { name: m.name, trainable: m.trainable, layers };
    if (d === 'keras3') config.dtype = dtypePolicy('float32');
    const out: JsonObject = d === 'keras3' ? { module: 'keras', class_name: 'Sequential', config, registered_name: null } : { class_name: 'Sequential', config };
    if (d === 'keras3' && m.batchInputShape) out.build_config = { input_shape: m.batchInputShape };
    return out;
  }
  const byName = new Map(m.layers.map((l) => [l.name, l]));
  const layers = m.layers.map((l) => {
    const o = wrapLayer(l, d);
    o.name = l.name;
    o.inbound_nodes = l.inbound.map((node, ni) => node.map((r) => [...refOut(r, byName, d), l.callKwargs?.[ni] ?? {}] as JsonValue));
    return o;
  });
  const config: JsonObject = {
    name: m.name,
    trainable: m.trainable,
    layers,
    input_layers: m.inputs.map((r) => refOut(r, byName, d)),
    output_layers: m.outputs.map((r) => refOut(r, byName, d)),
  };
  if (d === 'keras3') return { module: 'keras.src.models.functional', class_name: 'Functional', config, registered_name: 'Functional' };
  void top;
  return { class_name: 'Functional', config };
}
