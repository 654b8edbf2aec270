/**
 * Parse a Keras model config (any generation, as untrusted JSON) into the neutral NModel.
 * Validates types as it goes and reports the JSON path of the first malformed value.
 * Anchors: keras/src/models/functional.py (functional_from_config, process_node),
 * keras/src/legacy/saving/legacy_h5_format.py, tfjs-layers/src/engine/container.ts (fromConfig).
 */
import { describe, fail } from '../errors.js';
import type { LoadLimits } from '../limits.js';
import type { NLayer, NModel, NTensorRef } from './neutral.js';
import type { JsonObject, JsonValue } from './types.js';

const MODEL_CLASSES = new Set(['Sequential', 'Model', 'Functional']);

function isObj(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown, where: string): string {
  if (typeof v !== 'string') fail('BAD_CONFIG', `${where}: expected a string, got ${describe(v)}`);
  return v;
}
function int(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail('BAD_CONFIG', `${where}: expected a non-negative integer, got ${describe(v)}`);
  return v;
}

function shapeOf(v: unknown, where: string): (number | null)[] {
  if (!Array.isArray(v)) fail('BAD_CONFIG', `${where}: expected a shape list, got ${describe(v)}`);
  return v.map((d, i) => {
    if (d === null) return null;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) fail('BAD_CONFIG', `${where}[${i}]: expected a dimension or null, got ${describe(d)}`);
    return d;
  });
}

/** Keras 3 writes dtype as a DTypePolicy object; Keras 2 as a string. Mixed-precision policies keep their name. */
export function dtypeName(v: unknown, where: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (isObj(v) && isObj(v.config) && typeof v.config.name === 'string') return v.config.name;
  return fail('BAD_CONFIG', `${where}: dtype must be a string or a DTypePolicy object, got ${describe(v)}`);
}

function cleanLayerConfig(className: string, raw: JsonObject, where: string): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k === 'name') continue;
    if (k === 'batch_input_shape' || k === 'batch_shape' || k === 'input_shape') {
      if (className === 'InputLayer') continue; // handled by the caller
      continue; // stale shape on a non-input layer: Keras ignores it, so do we
    }
    if (k === 'dtype') {
      const d = dtypeName(v, `${where}.dtype`);
      if (d !== null) out.dtype = d;
      continue;
    }
    out[k] = v;
  }
  return out;
}

function inputLayerShape(cfg: JsonObject, where: string): (number | null)[] | null {
  if (cfg.batch_shape !== undefined && cfg.batch_shape !== null) return shapeOf(cfg.batch_shape, `${where}.batch_shape`);
  if (cfg.batch_input_shape !== undefined && cfg.batch_input_shape !== null) return shapeOf(cfg.batch_input_shape, `${where}.batch_input_shape`);
  if (Array.isArray(cfg.input_shape)) return [null, ...shapeOf(cfg.input_shape, `${where}.input_shape`)];
  if (Array.isArray(cfg.shape)) return [null, ...shapeOf(cfg.shape, `${where}.shape`)];
  return null;
}

/** A `[name, node, tensor(, kwargs)]` ref or a Keras 3 `__keras_tensor__` object. */
function parseRef(v: unknown, where: string): NTensorRef {
  if (Array.isArray(v)) {
    if (v.length < 3) fail('BAD_CONFIG', `${where}: tensor reference needs [layer, node, tensor], got ${describe(v)}`);
    return { layer: str(v[0], `${where}[0]`), node: int(v[1], `${where}[1]`), tensor: int(v[2], `${where}[2]`) };
  }
  if (isObj(v) && v.class_name === '__keras_tensor__' && isObj(v.config) && Array.isArray(v.config.keras_history)) {
    const h = v.config.keras_history;
    const r = parseRef(h, `${where}.config.keras_history`);
    r.unshifted = true;
    if (Array.isArray(v.config.shape)) r.shape = shapeOf(v.config.shape, `${where}.config.shape`);
    if (typeof v.config.dtype === 'string') r.dtype = v.config.dtype;
    return r;
  }
  return fail('BAD_CONFIG', `${where}: expected a tensor reference, got ${describe(v)}`);
}

function isTensorArg(v: unknown): boolean {
  return isObj(v) && v.class_name === '__keras_tensor__';
}

/** One call node, either Keras 2 (list of refs) or Keras 3 ({args, kwargs}). */
function parseNode(node: unknown, where: string): { inputs: NTensorRef[]; kwargs: JsonObject | null; list: boolean | null } {
  if (Array.isArray(node)) {
    const inputs = node.map((r, i) => parseRef(r, `${where}[${i}]`));
    // Keras 2 puts call kwargs in the 4th slot of each ref; keep the first non-empty one.
    let kwargs: JsonObject | null = null;
    for (const r of node) if (Array.isArray(r) && isObj(r[3]) && Object.keys(r[3]).length > 0) kwargs = r[3];
    return { inputs, kwargs, list: null };
  }
  if (isObj(node) && Array.isArray(node.args)) {
    const inputs: NTensorRef[] = [];
    const list = node.args.length === 1 && Array.isArray(node.args[0]);
    node.args.forEach((a, i) => {
      if (Array.isArray(a) && a.length > 0 && a.every(isTensorArg)) a.forEach((t, j) => inputs.push(parseRef(t, `${where}.args[${i}][${j}]`)));
      else if (isTensorArg(a)) inputs.push(parseRef(a, `${where}.args[${i}]`));
      else fail('UNSUPPORTED', `${where}.args[${i}]: non-tensor positional call argument ${describe(a)} is not supported`);
    });
    const kw = node.kwargs;
    if (kw !== undefined && !isObj(kw)) fail('BAD_CONFIG', `${where}.kwargs: expected an object, got ${describe(kw)}`);
    if (kw) for (const [k, v] of Object.entries(kw)) if (isTensorArg(v)) fail('UNSUPPORTED', `${where}.kwargs.${k}: tensor keyword arguments are not supported`);
    return { inputs, kwargs: kw && Object.keys(kw).length > 0 ? kw : null, list };
  }
  return fail('BAD_CONFIG', `${where}: expected a call node (list or {args, kwargs}), got ${describe(node)}`);
}

/** input_layers/output_layers: list of refs, or Keras 3's single un-nested ref. */
function parseIoRefs(v: unknown, where: string): NTensorRef[] {
  if (!Array.isArray(v)) fail('BAD_CONFIG', `${where}: expected a list, got ${describe(v)}`);
  if (v.length === 3 && typeof v[0] === 'string') return [parseRef(v, where)];
  return v.map((r, i) => parseRef(r, `${where}[${i}]`));
}

function parseLayer(raw: unknown, where: string, depth: number, limits: LoadLimits, functional: boolean): { layer: NLayer; batchShape: (number | null)[] | null; dtype: string | null } {
  if (!isObj(raw)) fail('BAD_CONFIG', `${where}: expected a layer object, got ${describe(raw)}`);
  const className = str(raw.class_name, `${where}.class_name`);
  const cfgRaw = raw.config;
  if (MODEL_CLASSES.has(className)) {
    const name = typeof raw.name === 'string' ? raw.name : isObj(cfgRaw) && typeof cfgRaw.name === 'string' ? cfgRaw.name : null;
    const model = parseModelConfig({ class_name: className, config: cfgRaw as JsonValue }, `${where}`, depth + 1, limits);
    if (name) model.name = name;
    const layer: NLayer = { className: model.kind, name: model.name, config: {}, inbound: [], model };
    if (functional) attachInbound(layer, raw, where);
    return { layer, batchShape: model.batchInputShape, dtype: model.inputDtype };
  }
  if (!isObj(cfgRaw)) fail('BAD_CONFIG', `${where}.config: expected an object, got ${describe(cfgRaw)}`);
  const name = str(raw.name ?? cfgRaw.name, `${where}.config.name`);
  const batchShape = className === 'InputLayer' ? inputLayerShape(cfgRaw, `${where}.config`) : cfgRaw.batch_input_shape != null ? shapeOf(cfgRaw.batch_input_shape, `${where}.config.batch_input_shape`) : null;
  const dtype = dtypeName(cfgRaw.dtype, `${where}.config.dtype`);
  const config = cleanLayerConfig(className, cfgRaw, `${where}.config`);
  if (className === 'InputLayer') {
    if (!batchShape) fail('BAD_CONFIG', `${where}.config: InputLayer without batch_shape/batch_input_shape`);
    config.batch_shape = batchShape;
  }
  const layer: NLayer = { className, name, config, inbound: [] };
  if (isObj(raw.build_config) && raw.build_config.input_shape !== undefined && raw.build_config.input_shape !== null) layer.buildInputShape = raw.build_config.input_shape;
  if (functional) attachInbound(layer, raw, where);
  return { layer, batchShape, dtype };
}

function attachInbound(layer: NLayer, raw: JsonObject, where: string): void {
  const nodes = raw.inbound_nodes ?? [];
  if (!Array.isArray(nodes)) fail('BAD_CONFIG', `${where}.inbound_nodes: expected a list, got ${describe(nodes)}`);
  const kws: (JsonObject | null)[] = [];
  const lists: (boolean | null)[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const { inputs, kwargs, list } = parseNode(nodes[i], `${where}.inbound_nodes[${i}]`);
    layer.inbound.push(inputs);
    kws.push(kwargs);
    lists.push(list);
  }
  if (kws.some((k) => k !== null)) layer.callKwargs = kws;
  if (lists.length > 0 && lists.every((x) => x !== null)) layer.inputIsList = lists as boolean[];
}

/**
 * Nested models own an internal call (node 0) that the parent's config does not list, so the parent refers
 * to their first listed call as node 1 (Keras 2; see keras functional.py `_should_skip_first_node`). Map
 * config node indices to 0-based indices into `inbound` for every layer.
 */
function renumberModelNodes(layers: NLayer[], refs: NTensorRef[][]): void {
  const byName = new Map(layers.map((l) => [l.name, l]));
  // Keras 3 call-node refs (`unshifted`) count a nested model's calls from 0 already.
  const allRefs = refs.flat().filter((r) => !r.unshifted);
  for (const layer of layers) {
    if (!layer.model) continue;
    const mine = allRefs.filter((r) => r.layer === layer.name);
    if (mine.length === 0) continue;
    const min = Math.min(...mine.map((r) => r.node));
    if (min >= 1 && Math.max(...mine.map((r) => r.node)) <= layer.inbound.length) for (const r of mine) r.node -= 1;
  }
  void byName;
}

export function parseModelConfig(json: unknown, where: string, depth: number, limits: LoadLimits): NModel {
  if (depth > limits.maxModelDepth) fail('LIMIT', `${where}: models nested deeper than ${limits.maxModelDepth}`);
  if (!isObj(json)) fail('BAD_CONFIG', `${where}: expected a model object {class_name, config}, got ${describe(json)}`);
  const cls = str(json.class_name, `${where}.class_name`);
  if (!MODEL_CLASSES.has(cls)) {
    fail('UNSUPPORTED', `${where}.class_name: "${cls}" is not a model class (expected Sequential, Functional or Model)`);
  }
  const cfg = json.config;
  if (cls === 'Sequential') {
    const layersRaw = Array.isArray(cfg) ? cfg : isObj(cfg) ? cfg.layers : undefined;
    if (!Array.isArray(layersRaw)) fail('BAD_CONFIG', `${where}.config.layers: expected a list, got ${describe(layersRaw)}`);
    const name = isObj(cfg) && typeof cfg.name === 'string' ? cfg.name : 'sequential';
    const model: NModel = { kind: 'Sequential', name, layers: [], inputs: [], outputs: [], batchInputShape: null, inputName: null, inputDtype: null, trainable: !(isObj(cfg) && cfg.trainable === false) };
    layersRaw.forEach((lr, i) => {
      const lw = `${where}.config.layers[${i}]`;
      const { layer, batchShape, dtype } = parseLayer(lr, lw, depth, limits, false);
      if (layer.className === 'InputLayer') {
        if (model.layers.length > 0 || model.inputName) fail('BAD_CONFIG', `${lw}: InputLayer must come first in a Sequential`);
        model.batchInputShape = batchShape;
        model.inputName = layer.name;
        model.inputDtype = dtype;
        return;
      }
      if (model.layers.length === 0 && !model.batchInputShape && batchShape) {
        model.batchInputShape = batchShape;
        model.inputDtype = dtype;
      }
      model.layers.push(layer);
    });
    if (!model.batchInputShape && isObj(cfg) && Array.isArray(cfg.build_input_shape)) {
      model.batchInputShape = shapeOf(cfg.build_input_shape, `${where}.config.build_input_shape`);
    }
    return model;
  }
  if (!isObj(cfg)) fail('BAD_CONFIG', `${where}.config: expected an object, got ${describe(cfg)}`);
  if (!Array.isArray(cfg.layers)) fail('BAD_CONFIG', `${where}.config.layers: expected a list, got ${describe(cfg.layers)}`);
  const layers = cfg.layers.map((lr, i) => parseLayer(lr, `${where}.config.layers[${i}]`, depth, limits, true).layer);
  const names = new Set<string>();
  for (const l of layers) {
    if (names.has(l.name)) fail('BAD_CONFIG', `${where}: duplicate layer name "${l.name}"`);
    names.add(l.name);
  }
  const inputs = parseIoRefs(cfg.input_layers, `${where}.config.input_layers`);
  const outputs = parseIoRefs(cfg.output_layers, `${where}.config.output_layers`);
  renumberModelNodes(layers, [inputs, outputs, ...layers.flatMap((l) => l.inbound)]);
  for (const [i, l] of layers.entries()) {
    for (const [n, node] of l.inbound.entries())
      for (const r of node) {
        if (!names.has(r.layer)) fail('BAD_CONFIG', `${where}.config.layers[${i}].inbound_nodes[${n}]: unknown layer "${r.layer}"`);
      }
  }
  for (const r of [...inputs, ...outputs]) if (!names.has(r.layer)) fail('BAD_CONFIG', `${where}.config: input/output refers to unknown layer "${r.layer}"`);
  return {
    kind: 'Functional',
    name: typeof cfg.name === 'string' ? cfg.name : 'model',
    layers,
    inputs,
    outputs,
    batchInputShape: null,
    inputName: null,
    inputDtype: null,
    trainable: cfg.trainable !== false,
  };
}

/** Parse JSON text with a size cap; wrong JSON is a BAD_CONFIG error naming `what`. */
export function parseJsonText(text: string, what: string, limits: LoadLimits): unknown {
  if (text.length > limits.maxJsonBytes) fail('LIMIT', `${what}: JSON of ${text.length} bytes exceeds maxJsonBytes (${limits.maxJsonBytes})`);
  try {
    return JSON.parse(text);
  } catch (e) {
    try {
      // Python's json writes NaN/Infinity for non-finite floats, which JSON.parse rejects.
      return JSON.parse(text.replace(/\bNaN\b|-?\bInfinity\b/g, 'null'));
    } catch {
      return fail('BAD_CONFIG', `${what}: invalid JSON (${(e as Error).message})`, e);
    }
  }
}
