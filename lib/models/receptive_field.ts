/**
 * Receptive fields, output sizes and FLOPs of conv/pool stacks.
 *
 * Receptive field recurrence (Araujo et al., "Computing Receptive Fields of CNNs", Distill 2019):
 * for a layer with kernel k, stride s, dilation d, on an input whose units have receptive field r
 * and jump (distance between adjacent units, in input pixels) j:
 *     r' = r + (k − 1)·d·j,    j' = j·s.
 * Layers that mix all positions (Flatten, global pooling, a Dense after them) see the whole input.
 *
 * FLOPs are counted as 2 × multiply–accumulates of convolutions and dense layers per sample (the
 * convention of the shared benchmark cases); other layers count 0.
 */
import type { Layer } from '../layers/layer.js';
import { BaseConv } from '../layers/conv.js';
import { DepthwiseConv2D } from '../layers/depthwise_conv2d.js';
import { SeparableConv2D } from '../layers/separable_conv2d.js';
import { Conv2DTranspose } from '../layers/conv2d_transpose.js';
import { BaseGlobalPooling, BasePooling } from '../layers/pooling.js';
import { Dense } from '../layers/dense.js';
import { Flatten, Permute, Reshape, UpSampling2D } from '../layers/reshaping.js';
import { type PaddingMode, type Shape, convOutputLength } from '../layers/shape.js';

/** Receptive field of a tensor: per spatial axis size r and jump j; 'global'; or null (no spatial axes). */
export type RF = { r: number[]; j: number[] } | 'global' | 'unknown' | null;

/** Receptive field of a layer's output given its inputs' (merges take the elementwise max). */
export function layerReceptiveField(layer: Layer, inputs: RF[]): RF {
  if (inputs.some((x) => x === 'unknown')) return 'unknown';
  if (inputs.some((x) => x === 'global')) return 'global';
  const spatial = inputs.filter((x): x is { r: number[]; j: number[] } => x !== null && typeof x === 'object');
  if (spatial.length === 0) return null;
  const base = spatial.reduce((a, b) => ({ r: a.r.map((v, i) => Math.max(v, b.r[i] ?? v)), j: a.j.map((v, i) => Math.max(v, b.j[i] ?? v)) }));
  const step = (k: number[], s: number[], d: number[]): RF => ({
    r: base.r.map((r, i) => r + ((k[i] ?? 1) - 1) * (d[i] ?? 1) * base.j[i]!),
    j: base.j.map((j, i) => j * (s[i] ?? 1)),
  });
  if (layer instanceof BaseConv) return step(layer.kernelSize, layer.strides, layer.dilationRate);
  if (layer instanceof DepthwiseConv2D || layer instanceof SeparableConv2D) return step(layer.kernelSize, layer.strides, layer.dilationRate);
  if (layer instanceof BasePooling) return step(layer.poolSize, layer.strides, layer.poolSize.map(() => 1));
  if (layer instanceof Conv2DTranspose) {
    const j = base.j.map((v, i) => v / layer.strides[i]!);
    return { r: base.r.map((r, i) => r + (layer.kernelSize[i]! - 1) * layer.dilationRate[i]! * j[i]!), j };
  }
  if (layer instanceof UpSampling2D) return { r: base.r, j: base.j.map((v, i) => v / layer.size[i]!) };
  if (layer instanceof Flatten || layer instanceof BaseGlobalPooling) return 'global';
  if (layer instanceof Reshape || layer instanceof Permute) return 'unknown';
  return base;
}

export function formatRF(rf: RF): string {
  if (rf === null) return '-';
  if (rf === 'global') return 'global';
  if (rf === 'unknown') return '?';
  return rf.r.map((v) => String(Math.round(v * 1000) / 1000)).join('x');
}

const prod = (a: readonly (number | null)[]): number => a.reduce<number>((p, v) => p * (v ?? 0), 1);

/** Forward FLOPs per sample (2 × MACs) of conv and dense layers; 0 for the others. */
export function layerFlops(layer: Layer, inputShape: Shape | null, outputShape: Shape | null): number {
  if (!inputShape || !outputShape) return 0;
  const chLast = (l: { dataFormat: string }): boolean => l.dataFormat === 'channelsLast';
  if (layer instanceof BaseConv && layer.kernel) {
    const outSpatial = chLast(layer) ? outputShape.slice(1, -1) : outputShape.slice(2);
    const cin = layer.kernel.shape[layer.kernel.shape.length - 2]!;
    return 2 * prod(outSpatial) * layer.filters * prod(layer.kernelSize) * cin;
  }
  if (layer instanceof DepthwiseConv2D && layer.depthwiseKernel) {
    const outSpatial = chLast(layer) ? outputShape.slice(1, -1) : outputShape.slice(2);
    const [, , c, dm] = layer.depthwiseKernel.shape as number[];
    return 2 * prod(outSpatial) * c! * dm! * prod(layer.kernelSize);
  }
  if (layer instanceof SeparableConv2D && layer.depthwiseKernel) {
    const outSpatial = chLast(layer) ? outputShape.slice(1, -1) : outputShape.slice(2);
    const [, , c, dm] = layer.depthwiseKernel.shape as number[];
    return 2 * prod(outSpatial) * c! * dm! * (prod(layer.kernelSize) + layer.filters);
  }
  if (layer instanceof Conv2DTranspose && layer.kernel) {
    const inSpatial = chLast(layer) ? inputShape.slice(1, -1) : inputShape.slice(2);
    const cin = layer.kernel.shape[3]!;
    return 2 * prod(inSpatial) * cin * prod(layer.kernelSize) * layer.filters;
  }
  if (layer instanceof Dense && layer.kernel) {
    return 2 * prod(outputShape.slice(1, -1)) * layer.kernel.shape[0]! * layer.units;
  }
  return 0;
}

// ---- standalone calculators ---------------------------------------------------------------------

export interface StackLayerSpec {
  /** Kernel (or pool) size per spatial axis, or one number for all. */
  kernelSize: number | number[];
  strides?: number | number[];
  dilationRate?: number | number[];
  padding?: PaddingMode;
  name?: string;
}

export interface StackLayerReport {
  name: string;
  outputSize: (number | null)[];
  receptiveField: number[];
  jump: number[];
}

/**
 * Output sizes and receptive fields through a stack of conv/pool layers, without building a
 * model: `convStackInfo([28, 28], [{kernelSize: 5, padding: 'same'}, {kernelSize: 2, strides: 2}])`.
 */
export function convStackInfo(inputSize: number[], stack: StackLayerSpec[]): StackLayerReport[] {
  if (!Array.isArray(inputSize) || inputSize.length === 0 || inputSize.some((n) => !Number.isSafeInteger(n) || n < 1)) {
    throw new RangeError(`convStackInfo: inputSize must be a non-empty array of positive integers, got ${JSON.stringify(inputSize)}`);
  }
  let size: (number | null)[] = [...inputSize];
  let r = inputSize.map(() => 1);
  let j = inputSize.map(() => 1);
  return stack.map((l, idx) => {
    const who = `convStackInfo: layer ${idx}${l.name ? ` ('${l.name}')` : ''}`;
    const tuple = (v: number | number[] | undefined, arg: string): number[] => {
      const t = v === undefined ? inputSize.map(() => 1) : typeof v === 'number' ? inputSize.map(() => v) : [...v];
      if (t.length !== inputSize.length || t.some((x) => !Number.isSafeInteger(x) || x < 1)) {
        throw new RangeError(`${who}: ${arg} must be a positive integer or ${inputSize.length} of them, got ${JSON.stringify(v)}`);
      }
      return t;
    };
    const k = tuple(l.kernelSize, 'kernelSize');
    const s = tuple(l.strides, 'strides');
    const d = tuple(l.dilationRate, 'dilationRate');
    const padding = l.padding ?? 'valid';
    if (padding !== 'valid' && padding !== 'same' && padding !== 'causal') throw new RangeError(`${who}: padding must be 'valid', 'same' or 'causal', got ${JSON.stringify(l.padding)}`);
    const prev = size;
    size = size.map((n, i) => convOutputLength(n, k[i]!, padding, s[i]!, d[i]!));
    if (size.some((n) => n === 0)) {
      throw new RangeError(`${who}: kernelSize ${JSON.stringify(k)} (dilation ${JSON.stringify(d)}) is larger than its input ${JSON.stringify(prev)} with padding 'valid'`);
    }
    r = r.map((v, i) => v + (k[i]! - 1) * d[i]! * j[i]!);
    j = j.map((v, i) => v * s[i]!);
    return { name: l.name ?? `layer_${idx}`, outputSize: [...size], receptiveField: [...r], jump: [...j] };
  });
}

/** One convolution/pooling output length (TF/Keras padding semantics). */
export function convOutputSize(args: { inputSize: number; kernelSize: number; strides?: number; dilationRate?: number; padding?: PaddingMode }): number {
  for (const k of ['inputSize', 'kernelSize', 'strides', 'dilationRate'] as const) {
    const v = args[k];
    if (v !== undefined && (!Number.isSafeInteger(v) || v < (k === 'inputSize' ? 0 : 1))) {
      throw new RangeError(`convOutputSize: ${k} must be a ${k === 'inputSize' ? 'non-negative' : 'positive'} integer, got ${JSON.stringify(v)}`);
    }
  }
  const out = convOutputLength(args.inputSize, args.kernelSize, args.padding ?? 'valid', args.strides ?? 1, args.dilationRate ?? 1);
  return out ?? 0;
}
