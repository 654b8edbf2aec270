/**
 * What the file layer knows about Keras layer classes: which weights each one stores, in which order
 * (docs/KERAS_FORMATS §3: the same order in HDF5 `weight_names`, Keras 3 `vars/<i>` and TF.js manifests),
 * which of them are non-trainable (Keras orders a nested model's weights trainable-first), and which
 * configs carry code and are refused in safe mode.
 */
import { ModelFormatError } from '../errors.js';
import type { NLayer, NModel } from './neutral.js';
import type { JsonObject, JsonValue } from './types.js';

export interface WeightSpec {
  name: string;
  trainable: boolean;
}

const truthy = (v: JsonValue | undefined, dflt: boolean): boolean => (v === undefined || v === null ? dflt : Boolean(v));

type SpecFn = (cfg: JsonObject) => WeightSpec[];
const t = (name: string): WeightSpec => ({ name, trainable: true });
const nt = (name: string): WeightSpec => ({ name, trainable: false });
const kernelBias: SpecFn = (c) => (truthy(c.use_bias, true) ? [t('kernel'), t('bias')] : [t('kernel')]);

const WEIGHTED: Record<string, SpecFn> = {
  Dense: kernelBias,
  Conv1D: kernelBias,
  Conv2D: kernelBias,
  Conv3D: kernelBias,
  Conv1DTranspose: kernelBias,
  Conv2DTranspose: kernelBias,
  Conv3DTranspose: kernelBias,
  DepthwiseConv1D: (c) => (truthy(c.use_bias, true) ? [t('depthwise_kernel'), t('bias')] : [t('depthwise_kernel')]),
  DepthwiseConv2D: (c) => (truthy(c.use_bias, true) ? [t('depthwise_kernel'), t('bias')] : [t('depthwise_kernel')]),
  SeparableConv1D: (c) => [t('depthwise_kernel'), t('pointwise_kernel'), ...(truthy(c.use_bias, true) ? [t('bias')] : [])],
  SeparableConv2D: (c) => [t('depthwise_kernel'), t('pointwise_kernel'), ...(truthy(c.use_bias, true) ? [t('bias')] : [])],
  BatchNormalization: (c) => [
    ...(truthy(c.scale, true) ? [t('gamma')] : []),
    ...(truthy(c.center, true) ? [t('beta')] : []),
    nt('moving_mean'),
    nt('moving_variance'),
  ],
  LayerNormalization: (c) => [...(truthy(c.scale, true) ? [t('gamma')] : []), ...(truthy(c.center, true) ? [t('beta')] : [])],
  Embedding: () => [t('embeddings')],
  PReLU: () => [t('alpha')],
};

/** Layer classes that never hold weights. */
export const WEIGHTLESS = new Set([
  'InputLayer', 'Flatten', 'Reshape', 'Permute', 'RepeatVector', 'Dropout', 'SpatialDropout1D', 'SpatialDropout2D',
  'SpatialDropout3D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'ActivityRegularization', 'Masking',
  'Activation', 'ReLU', 'LeakyReLU', 'ELU', 'Softmax', 'ThresholdedReLU',
  'MaxPooling1D', 'MaxPooling2D', 'MaxPooling3D', 'AveragePooling1D', 'AveragePooling2D', 'AveragePooling3D',
  'GlobalMaxPooling1D', 'GlobalMaxPooling2D', 'GlobalMaxPooling3D', 'GlobalAveragePooling1D', 'GlobalAveragePooling2D',
  'GlobalAveragePooling3D', 'ZeroPadding1D', 'ZeroPadding2D', 'ZeroPadding3D', 'Cropping1D', 'Cropping2D', 'Cropping3D',
  'UpSampling1D', 'UpSampling2D', 'UpSampling3D', 'Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum',
  'Concatenate', 'Dot', 'Rescaling', 'Identity',
  ...['RReLU'], // convkit-only (PyTorch's RReLU): written with registered_name "convkit>RReLU", see CONVKIT_CLASSES
]);

/** convkit layer classes that Keras does not have: saved as custom objects (Keras asks for custom_objects). */
export const CONVKIT_CLASSES = new Set(['RReLU']);

/** Classes whose config carries Python code (bytecode or source): refused in safe mode. */
export const CODE_CARRYING = new Set(['Lambda', 'TFOpLambda', 'SlicingOpLambda', 'ClassMethod', 'InstanceMethod', 'InstanceProperty', '__lambda__']);

export function knownClass(className: string): boolean {
  return className in WEIGHTED || WEIGHTLESS.has(className);
}

/** Expected weights of a leaf layer, or null for an unknown class. */
export function weightSpec(layer: Pick<NLayer, 'className' | 'config'>): WeightSpec[] | null {
  const f = WEIGHTED[layer.className];
  if (f) return f(layer.config);
  if (WEIGHTLESS.has(layer.className)) return [];
  return null;
}

/** Leaf layers of a model (nested models flattened) with their path ("outer/inner"). */
export function leafLayers(model: NModel, prefix = ''): { path: string; layer: NLayer }[] {
  const out: { path: string; layer: NLayer }[] = [];
  for (const l of model.layers) {
    if (l.model) out.push(...leafLayers(l.model, `${prefix}${l.name}/`));
    else out.push({ path: `${prefix}${l.name}`, layer: l });
  }
  return out;
}

/** Does this (possibly nested) layer hold any weights? */
export function hasWeights(layer: NLayer): boolean {
  if (layer.model) return layer.model.layers.some(hasWeights);
  return (weightSpec(layer) ?? []).length > 0;
}

function findCode(v: JsonValue | undefined, path: string, out: string[]): void {
  if (Array.isArray(v)) {
    v.forEach((x, i) => findCode(x, `${path}[${i}]`, out));
    return;
  }
  if (v && typeof v === 'object') {
    if (v.class_name === '__lambda__' || v.class_name === 'function' || typeof v.function_type === 'string' || typeof v.bytecode === 'string') {
      out.push(path);
      return;
    }
    for (const [k, x] of Object.entries(v)) findCode(x, `${path}.${k}`, out);
  }
}

export interface Support {
  /** Keras class names the runtime can build. Defaults to every class in this catalog. */
  classes?: ReadonlySet<string>;
  /** Optional deeper check of one layer: returns unsupported option descriptions ("padding='causal'"). */
  checkOptions?: (className: string, config: JsonObject) => string[];
}

/**
 * Walk the whole model once and collect every problem: code-carrying layers (safe mode), unknown
 * classes, unsupported options. Throws ONE error listing all of them and what is supported.
 */
export function assertSupported(model: NModel, support: Support = {}, what = 'model'): void {
  const unsafe: string[] = [];
  const unknown = new Map<string, string[]>();
  const options: string[] = [];
  const supported = support.classes ?? new Set([...Object.keys(WEIGHTED), ...WEIGHTLESS]);
  const visit = (m: NModel, prefix: string): void => {
    for (const l of m.layers) {
      const path = `${prefix}${l.name}`;
      if (l.model) {
        visit(l.model, `${path}/`);
        continue;
      }
      if (CODE_CARRYING.has(l.className)) {
        unsafe.push(`${path} (${l.className})`);
        continue;
      }
      const code: string[] = [];
      findCode(l.config, path, code);
      if (code.length) {
        unsafe.push(...code.map((c) => `${c} (serialized function)`));
        continue;
      }
      if (!supported.has(l.className) || !knownClass(l.className)) {
        const list = unknown.get(l.className) ?? [];
        list.push(path);
        unknown.set(l.className, list);
        continue;
      }
      if (support.checkOptions) for (const o of support.checkOptions(l.className, l.config)) options.push(`${path} (${l.className}): ${o}`);
    }
  };
  visit(model, '');
  if (!unsafe.length && !unknown.size && !options.length) return;
  const parts: string[] = [];
  if (unsafe.length)
    parts.push(`refused in safe mode (these layers carry Python code, which convkit never runs): ${unsafe.join(', ')}`);
  if (unknown.size)
    parts.push(`unsupported layer classes: ${[...unknown].map(([c, ls]) => `${c} (${ls.join(', ')})`).join('; ')}`);
  if (options.length) parts.push(`unsupported options: ${options.join('; ')}`);
  const sup = [...supported].filter(knownClass).sort().join(', ');
  throw new ModelFormatError(unsafe.length && !unknown.size && !options.length ? 'UNSAFE' : 'UNSUPPORTED', `${what} cannot be loaded:\n- ${parts.join('\n- ')}\nSupported layer classes: ${sup}.`);
}
