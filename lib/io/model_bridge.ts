/**
 * Between the neutral file form and convkit's runtime models (lib/layers, lib/models):
 * - buildModel: neutral config → camelCase configs → the layer registry's fromConfig → Model, then the
 *   file's weights assigned per layer (matched by Keras parameter name, shapes checked).
 * - toNeutral: a convkit Model → neutral config (getConfig() converted to snake_case) + its weights.
 * Unsupported classes or options are collected over the WHOLE model first and reported in one error.
 */
import { tensor } from '../tensor/index.js';
import type { Layer, LayerConfig } from '../layers/layer.js';
import { getLayerClass, registeredLayerNames } from '../layers/registry.js';
import { Model } from '../models/model.js';
import { ModelFormatError, fail } from './errors.js';
import { compileOf } from './compile.js';
import { findLeaf, optimizerVarsOf } from './optimizer_state.js';
import { assertSupported, leafLayers, weightSpec, type Support } from './keras_format/catalog.js';
import { convkitToKerasConfig, kerasToConvkitConfig } from './keras_format/case.js';
import type { NeutralModel, NLayer, NLayerWeights, NModel, NTensorRef } from './keras_format/neutral.js';
import type { JsonObject, JsonValue } from './keras_format/types.js';

/** Keras options that only matter for training or for other backends: accepted and ignored on load. */
const IGNORED_OPTIONS = new Set([
  'name', 'trainable', 'dtype', 'batch_input_shape', 'batch_shape', 'input_shape', 'batch_size', 'input_dim',
  'kernel_constraint', 'bias_constraint', 'depthwise_constraint', 'pointwise_constraint', 'beta_constraint', 'gamma_constraint',
  'embeddings_constraint', 'alpha_constraint', 'activity_regularizer', 'synchronized', 'renorm', 'renorm_clipping', 'renorm_momentum',
  'fused', 'virtual_batch_size', 'adjustment', 'optional', 'sparse', 'ragged', 'build_config', 'seed', 'noise_shape', 'autocast',
  'input_dtype',
]);

function camelKeys(layer: Layer): Set<string> {
  return new Set(Object.keys(layer.getConfig()));
}

/** Keras options whose value here is a no-op (DepthwiseConv2D inherits `groups: 1` from Conv2D). */
const NOOP_VALUES: Record<string, JsonValue> = { groups: 1 };

function isDefaultish(k: string, v: JsonValue | undefined): boolean {
  if (k in NOOP_VALUES && JSON.stringify(NOOP_VALUES[k]) === JSON.stringify(v)) return true;
  return v === null || v === undefined || v === false || (Array.isArray(v) && v.length === 0);
}

/** Support description backed by the live layer registry; options checked by really constructing each layer. */
export function registrySupport(): Support {
  const classes = new Set(registeredLayerNames());
  return {
    classes,
    checkOptions(className: string, config: JsonObject): string[] {
      const problems: string[] = [];
      let layer: Layer;
      try {
        layer = getLayerClass(className).fromConfig(kerasToConvkitConfig(className, config) as LayerConfig);
      } catch (e) {
        return [(e as Error).message];
      }
      const known = camelKeys(layer);
      layer.dispose();
      for (const [k, v] of Object.entries(config)) {
        if (IGNORED_OPTIONS.has(k)) continue;
        const camel = Object.keys(kerasToConvkitConfig(className, { [k]: v } as JsonObject))[0];
        if (camel && known.has(camel)) continue;
        if (isDefaultish(k, v)) continue;
        problems.push(`${k}=${JSON.stringify(v)}`);
      }
      return problems;
    },
  };
}

// ---- neutral → convkit ---------------------------------------------------------------------------

function refOut(r: NTensorRef): [string, number, number, Record<string, unknown>] {
  return [r.layer, r.node, r.tensor, {}];
}

function layerEntry(l: NLayer): { className: string; config: LayerConfig } {
  if (l.model) return { className: l.model.kind, config: modelConfig(l.model) };
  const cfg = kerasToConvkitConfig(l.className, l.config);
  if (l.className === 'InputLayer') {
    return { className: 'InputLayer', config: { batchInputShape: l.config.batch_shape, name: l.name } };
  }
  return { className: l.className, config: { ...cfg, name: l.name } };
}

function modelConfig(m: NModel): LayerConfig {
  if (m.kind === 'Sequential') {
    const layers: { className: string; config: LayerConfig }[] = [];
    if (m.batchInputShape) layers.push({ className: 'InputLayer', config: { batchInputShape: m.batchInputShape, name: m.inputName ?? `${m.layers[0]?.name ?? m.name}_input` } });
    for (const l of m.layers) layers.push(layerEntry(l));
    return { name: m.name, layers };
  }
  return {
    name: m.name,
    layers: m.layers.map((l) => ({ ...layerEntry(l), name: l.name, inboundNodes: l.inbound.map((node) => node.map(refOut)) })),
    inputLayers: m.inputs.map(refOut),
    outputLayers: m.outputs.map(refOut),
  };
}

/** Assign file weights to a built convkit model; every layer with weights must be covered. */
export function assignWeights(model: Model, weights: NLayerWeights[], specNames: Map<string, string[]>, what: string): void {
  const problems: string[] = [];
  for (const lw of weights) {
    const layer = findLeaf(model, lw.path);
    if (!layer) {
      problems.push(`no layer "${lw.path}" in the model`);
      continue;
    }
    const vars = layer.weights;
    if (vars.length !== lw.weights.length) {
      problems.push(`layer "${lw.path}" (${layer.getClassName()}) has ${vars.length} weights, the file gives ${lw.weights.length}`);
      continue;
    }
    const spec = specNames.get(lw.path) ?? null;
    // Match by Keras parameter name when both sides name them, else by order.
    const order = vars.map((v, i) => {
      const param = v.name.slice(v.name.lastIndexOf('/') + 1);
      const j = spec ? spec.indexOf(param) : -1;
      return j >= 0 ? j : i;
    });
    vars.forEach((v, i) => {
      const w = lw.weights[order[i]!]!;
      if (w.shape.length !== v.shape.length || w.shape.some((d, k) => d !== v.shape[k])) {
        problems.push(`${v.name}: the model expects shape [${v.shape.join(', ')}], the file has [${w.shape.join(', ')}] (${w.name})`);
      }
    });
    if (problems.length) continue;
    vars.forEach((v, i) => {
      const w = lw.weights[order[i]!]!;
      const t = tensor(w.data, w.shape);
      try {
        v.assign(t);
      } finally {
        t.dispose();
      }
    });
  }
  if (problems.length) fail('MISMATCH', `${what}: weights do not fit the model:\n- ${problems.join('\n- ')}`);
}

/** Keras parameter names of every leaf layer ("conv/kernel" order), from the neutral config. */
export function specNamesOf(m: NModel): Map<string, string[]> {
  return new Map(leafLayers(m).map(({ path, layer }) => [path, (weightSpec(layer) ?? []).map((s) => s.name)]));
}

/** Build a convkit Model from the neutral form, with its weights. */
export function buildModel(nm: NeutralModel, what = 'model'): Model {
  assertSupported(nm.model, registrySupport(), what);
  let model: Layer;
  try {
    model = getLayerClass(nm.model.kind).fromConfig(modelConfig(nm.model));
  } catch (e) {
    throw new ModelFormatError('BAD_CONFIG', `${what}: could not build the model: ${(e as Error).message}`, { cause: e });
  }
  if (!(model instanceof Model)) fail('BAD_CONFIG', `${what}: the top level is not a model`);
  try {
    assignWeights(model, nm.weights, specNamesOf(nm.model), what);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

// ---- convkit → neutral ---------------------------------------------------------------------------

type Ref = [string, number, number, ...unknown[]];

function asShape(v: unknown): (number | null)[] | null {
  return Array.isArray(v) ? (v as (number | null)[]) : null;
}

function neutralLayer(entry: { className: string; config: LayerConfig; name?: string; inboundNodes?: Ref[][] }): NLayer {
  const name = (entry.name ?? entry.config['name']) as string;
  const inbound = (entry.inboundNodes ?? []).map((node) => node.map((r) => ({ layer: r[0], node: r[1], tensor: r[2] })));
  if (entry.className === 'Sequential' || entry.className === 'Functional' || entry.className === 'Model') {
    const model = neutralModel(entry.className, entry.config);
    return { className: model.kind, name, config: {}, inbound, model };
  }
  const snake = convkitToKerasConfig(entry.className, entry.config);
  delete snake.name;
  if (entry.className === 'InputLayer') {
    return { className: 'InputLayer', name, config: { batch_shape: (asShape(entry.config['batchInputShape']) ?? null) as JsonValue, dtype: 'float32' }, inbound };
  }
  delete snake.batch_input_shape;
  return { className: entry.className, name, config: snake, inbound };
}

function neutralModel(className: string, cfg: LayerConfig): NModel {
  const layers = (cfg['layers'] as { className: string; config: LayerConfig; name?: string; inboundNodes?: Ref[][] }[]) ?? [];
  if (className === 'Sequential') {
    const m: NModel = { kind: 'Sequential', name: String(cfg['name'] ?? 'sequential'), layers: [], inputs: [], outputs: [], batchInputShape: null, inputName: null, inputDtype: null, trainable: cfg['trainable'] !== false };
    for (const e of layers) {
      const l = neutralLayer(e);
      if (l.className === 'InputLayer') {
        m.batchInputShape = asShape(l.config.batch_shape);
        m.inputName = l.name;
        m.inputDtype = 'float32';
      } else m.layers.push(l);
    }
    return m;
  }
  const refs = (v: unknown): NTensorRef[] => ((v as Ref[]) ?? []).map((r) => ({ layer: r[0], node: r[1], tensor: r[2] }));
  return {
    kind: 'Functional',
    name: String(cfg['name'] ?? 'model'),
    layers: layers.map(neutralLayer),
    inputs: refs(cfg['inputLayers']),
    outputs: refs(cfg['outputLayers']),
    batchInputShape: null,
    inputName: null,
    inputDtype: null,
    trainable: cfg['trainable'] !== false,
  };
}

/**
 * Record what the Keras 3 config needs from the live graph: the shape and dtype of every tensor a call
 * node consumes (`__keras_tensor__` args), and each layer's build input shape (`build_config`).
 * Node indices in the neutral form are indices into the producing layer's `inboundNodes` (Model.getConfig).
 */
function attachShapes(nm: NModel, live: Model): void {
  const byName = new Map(live.layers.map((l) => [l.name, l]));
  for (const l of nm.layers) {
    const ll = byName.get(l.name);
    if (!ll) continue;
    if (l.model) {
      if (ll instanceof Model) attachShapes(l.model, ll);
    } else if (l.className !== 'InputLayer' && ll.builtInputShape) {
      l.buildInputShape = JSON.parse(JSON.stringify(ll.builtInputShape)) as JsonValue;
    }
    for (const node of l.inbound)
      for (const r of node) {
        const t = byName.get(r.layer)?.inboundNodes[r.node]?.outputs[r.tensor];
        if (t) {
          r.shape = [...t.shape];
          r.dtype = t.dtype;
        }
      }
  }
}

/** Snapshot a convkit model (config + weights) in the neutral form, ready for any writer. */
export function toNeutral(model: Model): NeutralModel {
  if (model.isSubclassed) {
    throw new TypeError(`save: model '${model.name}' is a subclassed model (its call() is code); only Sequential and functional models can be saved to Keras formats. Use saveWeights() instead.`);
  }
  const nmodel = neutralModel(model.getClassName(), model.getConfig());
  attachShapes(nmodel, model);
  const weights: NLayerWeights[] = [];
  for (const { path, layer } of leafLayers(nmodel)) {
    const live = findLeaf(model, path);
    if (!live) continue;
    const vars = live.weights;
    if (vars.length === 0) continue;
    const spec = (weightSpec(layer) ?? []).map((s) => s.name);
    const ordered = spec.length === vars.length ? spec.map((p) => vars.find((v) => v.name.endsWith(`/${p}`)) ?? null) : vars;
    const list = ordered.every((v) => v !== null) ? (ordered as typeof vars) : vars;
    weights.push({
      path,
      className: layer.className,
      weights: list.map((v) => {
        const t = v.read();
        return { name: v.name, shape: [...v.shape], data: Float32Array.from(t.dataSync() as Float32Array) };
      }),
    });
  }
  return { format: 'keras-v3', kerasVersion: null, backend: null, model: nmodel, weights, compile: compileOf(model), optimizer: optimizerVarsOf(model, nmodel) };
}

/**
 * The same neutral model with every call-node tensor shape filled in, by building it as a convkit model
 * (for configs read from Keras 2 files, which carry no shapes, before writing a Keras 3 `.keras`).
 * Only shapes, dtypes and build shapes are copied; the config itself is kept as read.
 */
export function withTensorShapes(nm: NeutralModel): NeutralModel {
  const model = buildModel(nm);
  try {
    const shaped = toNeutral(model).model;
    const copy = JSON.parse(JSON.stringify(nm.model)) as NModel;
    const merge = (dst: NModel, src: NModel): void => {
      const byName = new Map(src.layers.map((l) => [l.name, l]));
      for (const l of dst.layers) {
        const o = byName.get(l.name);
        if (!o) continue;
        if (l.model && o.model) merge(l.model, o.model);
        if (l.buildInputShape === undefined && o.buildInputShape !== undefined) l.buildInputShape = o.buildInputShape;
        l.inbound.forEach((node, ni) =>
          node.forEach((r, k) => {
            const q = o.inbound[ni]?.[k];
            if (q && q.layer === r.layer && q.shape) {
              r.shape = q.shape;
              r.dtype = q.dtype ?? 'float32';
            }
          }),
        );
      }
    };
    merge(copy, shaped);
    return { ...nm, model: copy };
  } finally {
    model.dispose();
  }
}
