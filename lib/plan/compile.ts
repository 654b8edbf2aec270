/**
 * Model → plan descriptors: walks a functional/Sequential model's nodes in topological order and
 * maps each layer to native plan steps (native/plan/plan.h). Each mapping reproduces the eager
 * layer's arithmetic op for op (same kernels, same fused epilogues, same order of roundings), so
 * that a plan and `model.apply(x, {training: false})` agree bit for bit where the same algorithm
 * runs — before the native build folds batch norms into the conv/dense step before them and zero
 * paddings into the conv/max pooling after them (native/plan/plan_fold.h; a fold rounds W·s once,
 * so such plans agree with the eager layers to float32 rounding; CONVKIT_PLAN_FOLD=0 keeps them
 * bit-identical).
 *
 * Nested functional/Sequential models are inlined. Anything the mapping does not know — a
 * subclassed model, a layer class (or a user subclass of one) not listed here, channels-first
 * data, an activation without a native kernel — raises PlanUnsupported with the reason; the model
 * then keeps the eager path.
 */
import type { Layer } from '../layers/layer.js';
import type { Node } from '../layers/symbolic.js';
import type { SymbolicTensor } from '../layers/symbolic.js';
import type { LayerVariable } from '../layers/variable.js';
import { getLayerClass } from '../layers/registry.js';
import { type Tensor } from '../tensor/index.js';
import { f32 } from '../tensor/internal.js';
import { Conv1D, Conv2D, Conv3D, type BaseConv } from '../layers/conv.js';
import { DepthwiseConv2D } from '../layers/depthwise_conv2d.js';
import { SeparableConv2D } from '../layers/separable_conv2d.js';
import { Dense } from '../layers/dense.js';
import {
  AveragePooling1D, AveragePooling2D, AveragePooling3D, type BaseGlobalPooling, type BasePooling, GlobalAveragePooling1D,
  GlobalAveragePooling2D, GlobalAveragePooling3D, GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D, MaxPooling1D,
  MaxPooling2D, MaxPooling3D,
} from '../layers/pooling.js';
import { type BaseZeroPadding, Flatten, Reshape, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D } from '../layers/reshaping.js';
import { BatchNormalization } from '../layers/batch_normalization.js';
import { Activation, ELU, LeakyReLU, ReLU, Softmax } from '../layers/activation_layers.js';
import { Dropout, GaussianNoise, SpatialDropout2D } from '../layers/dropout.js';
import { Add, Concatenate } from '../layers/merge.js';

export type PlanStepKind =
  | 'conv' | 'dense' | 'pool' | 'globalPool' | 'zeroPad' | 'batchNorm' | 'unary' | 'softmax' | 'add' | 'concat' | 'alias' | 'biasAdd';

/** One native step (see native/binding/plan_binding.cc for the fields each kind reads). */
export interface PlanStepDesc {
  kind: PlanStepKind;
  name: string;
  inputs: number[];
  output: number;
  params?: number[];
  alpha?: number;
  epsilon?: number;
  algorithm?: string;
  activation?: 'none' | 'relu' | 'relu6' | 'sigmoid' | 'tanh' | 'leakyRelu';
  op?: UnaryName;
  padding?: 'valid' | 'same' | 'explicit';
  poolKind?: 'max' | 'avg';
  weights?: (Float32Array | null)[];
}

type UnaryName = 'relu' | 'relu6' | 'leakyRelu' | 'elu' | 'sigmoid' | 'tanh' | 'softplus' | 'swish';

export interface PlanSpec {
  /** Shape of every value, batch first. */
  values: number[][];
  inputs: number[];
  outputs: number[];
  steps: PlanStepDesc[];
  /** The weights the plan copied, with the tensor each held at build time (for invalidation). */
  variables: Array<{ variable: LayerVariable; tensor: Tensor }>;
  /** The layers each step name came from (to report the conv algorithm chosen, see plan.ts). */
  layers: Map<string, Layer>;
  /** Every model whose graph the plan inlined (the model itself first, then nested models), with its nodes then. */
  models: Array<{ model: PlannableModel; nodes: readonly Node[] }>;
}

/** Why a model cannot be planned (the eager path is used instead). */
export class PlanUnsupported extends Error {
  override name = 'PlanUnsupported';
}

/** What lib/plan needs of a Model (kept structural so this module does not import model.ts). */
export interface PlannableModel {
  readonly name: string;
  readonly inputs: SymbolicTensor[];
  readonly outputs: SymbolicTensor[];
  graphNodes(): Node[] | null;
}

// Activation names (lib/activations) whose eager implementation is one native unary op.
const UNARY: Record<string, { op: UnaryName; alpha?: number }> = {
  relu: { op: 'relu' },
  relu6: { op: 'relu6' },
  sigmoid: { op: 'sigmoid' },
  tanh: { op: 'tanh' },
  elu: { op: 'elu', alpha: 1 },
  softplus: { op: 'softplus' },
  swish: { op: 'swish' },
  silu: { op: 'swish' },
};
// What BaseConv fuses into the conv kernel (lib/layers/conv.ts); the rest it applies afterwards.
const CONV_FUSED = new Set(['linear', 'relu', 'relu6', 'sigmoid', 'tanh']);

class Builder {
  values: number[][] = [];
  steps: PlanStepDesc[] = [];
  variables: Array<{ variable: LayerVariable; tensor: Tensor }> = [];
  layers = new Map<string, Layer>();
  models: Array<{ model: PlannableModel; nodes: readonly Node[] }> = [];

  value(shape: readonly (number | null)[], who: string): number {
    if (shape.some((d) => d === null || !Number.isSafeInteger(d))) {
      throw new PlanUnsupported(`${who}: shape [${shape.join(', ')}] is not fully known`);
    }
    this.values.push(shape as number[]);
    return this.values.length - 1;
  }

  step(desc: Omit<PlanStepDesc, 'output'>, shape: readonly (number | null)[]): number {
    const output = this.value(shape, `layer '${desc.name}'`);
    this.steps.push({ ...desc, output });
    return output;
  }

  weight(v: LayerVariable | null): Float32Array | null {
    if (!v) return null;
    const t = v.read();
    this.variables.push({ variable: v, tensor: t });
    return f32(t, `weight '${v.name}'`);
  }

  /** An activation applied after a layer's op, as the layer applies it (lib/activations). */
  activation(name: string, layer: string, x: number): number {
    if (name === 'linear') return x;
    const shape = this.values[x]!;
    if (name === 'softmax') return this.step({ kind: 'softmax', name: layer, inputs: [x], params: [shape.length - 1] }, shape);
    const u = UNARY[name];
    if (!u) throw new PlanUnsupported(`layer '${layer}': activation '${name}' has no single native kernel`);
    return this.step({ kind: 'unary', name: layer, inputs: [x], op: u.op, ...(u.alpha !== undefined ? { alpha: u.alpha } : {}) }, shape);
  }
}

const to3 = (v: readonly number[], fill: number): number[] => [...new Array<number>(3 - v.length).fill(fill), ...v];

function channelsLast(layer: Layer & { dataFormat: string }): void {
  if (layer.dataFormat !== 'channelsLast') throw new PlanUnsupported(`layer '${layer.name}': dataFormat '${layer.dataFormat}' (plans are channels-last)`);
}

function conv(b: Builder, l: BaseConv, x: number, out: (number | null)[]): number {
  channelsLast(l);
  const xs = b.values[x]!;
  const k = l.kernelSize;
  const padding: 'valid' | 'same' | 'explicit' = l.padding === 'causal' ? 'explicit' : l.padding;
  // Causal (Conv1D): (k-1)·dilation zeros before, none after, as the eager layer pads.
  const causal = l.padding === 'causal' ? [(k[0]! - 1) * l.dilationRate[0]!, 0] : [0, 0];
  const params = [
    xs[0]!, ...to3(xs.slice(1, -1), 1), xs[xs.length - 1]!, l.filters, ...to3(k, 1), ...to3(l.strides, 1), ...to3(l.dilationRate, 1),
    0, 0, 0, 0, ...causal, l.groups,
  ];
  const fused = CONV_FUSED.has(l.activation.name);
  const act = !fused || l.activation.name === 'linear' ? 'none' : (l.activation.name as 'relu' | 'relu6' | 'sigmoid' | 'tanh');
  const weights = [b.weight(l.kernel), ...(l.bias ? [b.weight(l.bias)] : [])];
  const y = b.step({ kind: 'conv', name: l.name, inputs: [x], params, padding, algorithm: l.algorithm, activation: act, weights }, out);
  return fused ? y : b.activation(l.activation.name, l.name, y);
}

function depthwise(b: Builder, l: DepthwiseConv2D, x: number, out: (number | null)[]): number {
  channelsLast(l);
  const xs = b.values[x]!;
  const c = xs[3]!;
  const dm = l.depthMultiplier;
  // Grouped conv with groups = C: the Keras kernel [kh, kw, C, dm] is the same bytes as [kh, kw, 1, C·dm].
  const params = [xs[0]!, 1, xs[1]!, xs[2]!, c, c * dm, 1, ...l.kernelSize, 1, ...l.strides, 1, ...l.dilationRate, 0, 0, 0, 0, 0, 0, c];
  let y = b.step({ kind: 'conv', name: l.name, inputs: [x], params, padding: l.padding, algorithm: l.algorithm, activation: 'none', weights: [b.weight(l.depthwiseKernel)] }, out);
  // The eager layer adds the bias after the conv (SpatialConv2D.finish), not in the conv kernel.
  if (l.bias) y = b.step({ kind: 'biasAdd', name: l.name, inputs: [y], weights: [b.weight(l.bias)] }, out);
  return b.activation(l.activation.name, l.name, y);
}

function separable(b: Builder, l: SeparableConv2D, x: number, out: (number | null)[]): number {
  channelsLast(l);
  const xs = b.values[x]!;
  const c = xs[3]!;
  const dm = l.depthMultiplier;
  // As the eager layer: depthwise conv (groups = C, no bias), then a 1×1 conv ('auto', no bias),
  // then the bias and the activation as separate steps (SpatialConv2D.finish).
  const mid = [xs[0]!, out[1]!, out[2]!, c * dm];
  const dwParams = [xs[0]!, 1, xs[1]!, xs[2]!, c, c * dm, 1, ...l.kernelSize, 1, ...l.strides, 1, ...l.dilationRate, 0, 0, 0, 0, 0, 0, c];
  const d = b.step({ kind: 'conv', name: l.name, inputs: [x], params: dwParams, padding: l.padding, algorithm: l.algorithm, activation: 'none', weights: [b.weight(l.depthwiseKernel)] }, mid);
  const pwParams = [xs[0]!, 1, out[1]!, out[2]!, c * dm, l.filters, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1];
  let y = b.step({ kind: 'conv', name: l.name, inputs: [d], params: pwParams, padding: 'valid', algorithm: 'auto', activation: 'none', weights: [b.weight(l.pointwiseKernel)] }, out);
  if (l.bias) y = b.step({ kind: 'biasAdd', name: l.name, inputs: [y], weights: [b.weight(l.bias)] }, out);
  return b.activation(l.activation.name, l.name, y);
}

function dense(b: Builder, l: Dense, x: number, out: (number | null)[]): number {
  const xs = b.values[x]!;
  const K = xs[xs.length - 1]!;
  // Bias and relu run in the GEMM epilogue: act(acc + bias) rounds exactly as the eager
  // matMul → add → relu. Other activations run as their own step, as the layer applies them.
  const fuse = l.activation.name === 'relu' || l.activation.name === 'linear';
  const weights = [b.weight(l.kernel), ...(l.bias ? [b.weight(l.bias)] : [])];
  const y = b.step({ kind: 'dense', name: l.name, inputs: [x], params: [K, l.units], activation: l.activation.name === 'relu' ? 'relu' : 'none', weights }, out);
  return fuse ? y : b.activation(l.activation.name, l.name, y);
}

function pool(b: Builder, l: BasePooling, x: number, out: (number | null)[]): number {
  channelsLast(l);
  const xs = b.values[x]!;
  const params = [xs[0]!, ...to3(xs.slice(1, -1), 1), xs[xs.length - 1]!, ...to3(l.poolSize, 1), ...to3(l.strides, 1), 0, 0, 0, 0, 0, 0];
  return b.step({ kind: 'pool', name: l.name, inputs: [x], params, padding: l.padding, poolKind: l.mode === 'max' ? 'max' : 'avg' }, out);
}

function globalPool(b: Builder, l: BaseGlobalPooling, x: number, out: (number | null)[]): number {
  channelsLast(l);
  return b.step({ kind: 'globalPool', name: l.name, inputs: [x], poolKind: l.mode === 'max' ? 'max' : 'avg' }, out);
}

function zeroPad(b: Builder, l: BaseZeroPadding, x: number, out: (number | null)[]): number {
  channelsLast(l);
  const pads = [...new Array<[number, number]>(3 - l.padding.length).fill([0, 0]), ...l.padding];
  return b.step({ kind: 'zeroPad', name: l.name, inputs: [x], params: pads.flat() }, out);
}

function batchNorm(b: Builder, l: BatchNormalization, x: number, out: (number | null)[]): number {
  const rank = b.values[x]!.length;
  const a = l.axis < 0 ? rank + l.axis : l.axis;
  if (a !== rank - 1) throw new PlanUnsupported(`layer '${l.name}': batch normalization over axis ${l.axis} (plans normalise the last axis)`);
  const weights = [b.weight(l.movingMean), b.weight(l.movingVariance), b.weight(l.gamma), b.weight(l.beta)];
  return b.step({ kind: 'batchNorm', name: l.name, inputs: [x], epsilon: l.epsilon, weights }, out);
}

function relu(b: Builder, l: ReLU, x: number): number {
  if (l.threshold !== 0 || l.negativeSlope !== 0 || (l.maxValue !== null && l.maxValue !== 6)) {
    throw new PlanUnsupported(`layer '${l.name}': ReLU with threshold/negativeSlope/maxValue other than 0/0/(none|6)`);
  }
  return b.step({ kind: 'unary', name: l.name, inputs: [x], op: l.maxValue === 6 ? 'relu6' : 'relu' }, b.values[x]!);
}

type Mapper = (b: Builder, layer: Layer, ins: number[], out: (number | null)[]) => number;

const identity: Mapper = (b, l, ins, out) => b.step({ kind: 'alias', name: l.name, inputs: [ins[0]!] }, out);

// Exact classes only: a user subclass may override call() with anything.
const MAPPERS = new Map<unknown, Mapper>([
  [Conv1D, (b, l, ins, out) => conv(b, l as BaseConv, ins[0]!, out)],
  [Conv2D, (b, l, ins, out) => conv(b, l as BaseConv, ins[0]!, out)],
  [Conv3D, (b, l, ins, out) => conv(b, l as BaseConv, ins[0]!, out)],
  [DepthwiseConv2D, (b, l, ins, out) => depthwise(b, l as DepthwiseConv2D, ins[0]!, out)],
  [SeparableConv2D, (b, l, ins, out) => separable(b, l as SeparableConv2D, ins[0]!, out)],
  [Dense, (b, l, ins, out) => dense(b, l as Dense, ins[0]!, out)],
  ...[MaxPooling1D, MaxPooling2D, MaxPooling3D, AveragePooling1D, AveragePooling2D, AveragePooling3D].map(
    (c) => [c, ((b, l, ins, out) => pool(b, l as BasePooling, ins[0]!, out)) as Mapper] as const,
  ),
  ...[GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D, GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D].map(
    (c) => [c, ((b, l, ins, out) => globalPool(b, l as BaseGlobalPooling, ins[0]!, out)) as Mapper] as const,
  ),
  ...[ZeroPadding1D, ZeroPadding2D, ZeroPadding3D].map((c) => [c, ((b, l, ins, out) => zeroPad(b, l as BaseZeroPadding, ins[0]!, out)) as Mapper] as const),
  [Flatten, (b, l, ins, out) => {
    if ((l as Flatten).dataFormat !== 'channelsLast' && b.values[ins[0]!]!.length > 2) channelsLast(l as Flatten);
    return identity(b, l, ins, out);
  }],
  [Reshape, identity],
  // Inference-time identities (training: false).
  [Dropout, identity],
  [SpatialDropout2D, identity],
  [GaussianNoise, identity],
  [BatchNormalization, (b, l, ins, out) => batchNorm(b, l as BatchNormalization, ins[0]!, out)],
  [Activation, (b, l, ins) => b.activation((l as Activation).activation.name, l.name, ins[0]!)],
  [ReLU, (b, l, ins) => relu(b, l as ReLU, ins[0]!)],
  [LeakyReLU, (b, l, ins) => b.step({ kind: 'unary', name: l.name, inputs: [ins[0]!], op: 'leakyRelu', alpha: (l as LeakyReLU).alpha }, b.values[ins[0]!]!)],
  [ELU, (b, l, ins) => b.step({ kind: 'unary', name: l.name, inputs: [ins[0]!], op: 'elu', alpha: (l as ELU).alpha }, b.values[ins[0]!]!)],
  [Softmax, (b, l, ins) => {
    const rank = b.values[ins[0]!]!.length;
    const ax = (l as Softmax).axis < 0 ? rank + (l as Softmax).axis : (l as Softmax).axis;
    if (ax < 0 || ax >= rank) throw new PlanUnsupported(`layer '${l.name}': softmax axis ${(l as Softmax).axis} out of range`);
    return b.step({ kind: 'softmax', name: l.name, inputs: [ins[0]!], params: [ax] }, b.values[ins[0]!]!);
  }],
  [Add, (b, l, ins, out) => {
    for (const v of ins) {
      const s = b.values[v]!;
      if (s.length !== out.length || s.some((d, i) => d !== out[i])) {
        throw new PlanUnsupported(`layer '${l.name}': Add with broadcasting ([${s.join(', ')}] to [${out.join(', ')}])`);
      }
    }
    return b.step({ kind: 'add', name: l.name, inputs: ins }, out);
  }],
  [Concatenate, (b, l, ins, out) => {
    const ax = (l as Concatenate).axis < 0 ? out.length + (l as Concatenate).axis : (l as Concatenate).axis;
    return b.step({ kind: 'concat', name: l.name, inputs: ins, params: [ax] }, out);
  }],
]);

/** Layer class names the plan maps (for documentation and error messages). */
export function plannableLayerClasses(): string[] {
  return [...MAPPERS.keys()].map((c) => (c as { className: string }).className).sort();
}

function isModel(l: unknown): l is PlannableModel {
  return typeof (l as { graphNodes?: unknown }).graphNodes === 'function' && Array.isArray((l as { inputs?: unknown }).inputs);
}

/**
 * Emits the steps of `model`'s graph with its inputs bound to the values `ins`; returns the values
 * of its outputs. A nested functional/Sequential model is inlined the same way (its layers become
 * steps of the outer plan), as the eager path runs it as a call inside the outer graph.
 */
function emitModel(b: Builder, model: PlannableModel, ins: number[]): number[] {
  const nodes = model.graphNodes();
  if (!nodes) throw new PlanUnsupported(`model '${model.name}' has no layer graph (subclassed or not built yet)`);
  const proto = Object.getPrototypeOf(model) as { call?: unknown };
  const graphCalls = ['Functional', 'Sequential'].map((n) => (getLayerClass(n) as unknown as { prototype: { call: unknown } }).prototype.call);
  if (!graphCalls.includes(proto.call)) throw new PlanUnsupported(`model '${model.name}' overrides call()`);
  b.models.push({ model, nodes });
  const graphInputs = model.inputs;
  if (graphInputs.length !== ins.length) throw new PlanUnsupported(`model '${model.name}' has ${graphInputs.length} inputs, got ${ins.length}`);
  const ids = new Map<SymbolicTensor, number>();
  graphInputs.forEach((t, i) => {
    const s = b.values[ins[i]!]!;
    if (t.shape.length !== s.length || t.shape.some((d, k) => d !== null && d !== s[k])) {
      throw new PlanUnsupported(`model '${model.name}': input ${i} expects shape [${t.shape.join(', ')}], got [${s.join(', ')}]`);
    }
    ids.set(t, ins[i]!);
  });
  for (const n of nodes) {
    const layer = n.layer;
    const inIds = n.inputs.map((t) => {
      const v = ids.get(t);
      if (v === undefined) throw new PlanUnsupported(`layer '${layer.name}': input '${t.name}' is not computed before it (graph order)`);
      return v;
    });
    if (isModel(layer)) {
      const outs = emitModel(b, layer, inIds);
      if (outs.length !== n.outputs.length) throw new PlanUnsupported(`nested model '${layer.name}': ${outs.length} outputs for ${n.outputs.length} tensors`);
      n.outputs.forEach((t, i) => ids.set(t, outs[i]!));
      continue;
    }
    const map = MAPPERS.get(layer.constructor);
    if (!map) throw new PlanUnsupported(`layer '${layer.name}': layer class ${layer.getClassName()} is not supported by inference plans`);
    if (n.outputs.length !== 1) throw new PlanUnsupported(`layer '${layer.name}': several outputs`);
    const inShapes = inIds.map((v) => b.values[v]!);
    const outShape = layer.computeOutputShape(n.inputIsList ? inShapes : inShapes[0]!);
    if (Array.isArray(outShape[0])) throw new PlanUnsupported(`layer '${layer.name}': several outputs`);
    b.layers.set(layer.name, layer);
    ids.set(n.outputs[0]!, map(b, layer, inIds, outShape as (number | null)[]));
  }
  return model.outputs.map((t) => {
    const v = ids.get(t);
    if (v === undefined) throw new PlanUnsupported(`output '${t.name}' is not computed by the graph`);
    return v;
  });
}

/**
 * Builds the descriptors of `model` for concrete input shapes (batch included). Throws
 * PlanUnsupported when the model cannot be planned.
 */
export function compilePlanSpec(model: PlannableModel, inputShapes: readonly (readonly number[])[]): PlanSpec {
  const b = new Builder();
  if (model.inputs.length !== inputShapes.length) throw new PlanUnsupported(`model '${model.name}' has ${model.inputs.length} inputs, got ${inputShapes.length}`);
  const inputs = inputShapes.map((s, i) => b.value(s, `input ${i}`));
  const outputs = emitModel(b, model, inputs);
  return { values: b.values, inputs, outputs, steps: b.steps, variables: b.variables, layers: b.layers, models: b.models };
}
