// Convolutions (1-D, 2-D, 3-D, grouped, depthwise), forward and backward, over the native engine
// (native/conv). Channels-last is the native layout; channels-first inputs are transposed in and
// out. Every call goes through runOp so the autodiff tape can record it.
//
// Filter layout (Keras/TF): [...kernelSize, inChannels / groups, outChannels]. A depthwise filter
// [kh, kw, inChannels, multiplier] is the same bytes as a grouped filter with groups = inChannels.
//
// Algorithms: 'auto' (cost model, or autotune when enabled with setConvAutotune(true)), 'direct',
// 'im2col', 'winograd' (F(4x4,3x3), F(2x2,3x3) for small outputs), 'winograd-f2', 'winograd-f4',
// 'winograd-s2' (F(3x3,4x4) on the polyphase form of a 7x7 stride-2 conv, forward only; 'winograd' picks it there),
// 'fft'. Forcing an algorithm that cannot run a configuration throws an Error with code
// 'ERR_CONVKIT_UNSUPPORTED' naming the algorithm and the configuration (never a silent fallback).
import { runNativeOp, runOpAsync } from '../engine/index.js';
import type { CancelCell } from '../native/binding.js';
import { native } from '../native/index.js';
import { allocTensor, f32, type Tensor } from '../tensor/internal.js';
import { nativeAsync, type AsyncOptions } from './async.js';

declare module '../native/binding.js' {
  interface NativeBinding {
    convForward(p: number[], x: Float32Array, w: Float32Array, b: Float32Array | null, y: Float32Array,
      algorithm: string, activation: string, leakyAlpha: number): string;
    convForwardAsync(p: number[], x: Float32Array, w: Float32Array, b: Float32Array | null, y: Float32Array,
      algorithm: string, activation: string, leakyAlpha: number, cancel: CancelCell): Promise<string>;
    convBackwardInput(p: number[], dy: Float32Array, w: Float32Array, dx: Float32Array, algorithm: string): string;
    convBackwardInputAsync(p: number[], dy: Float32Array, w: Float32Array, dx: Float32Array, algorithm: string,
      cancel: CancelCell): Promise<string>;
    convBackwardFilter(p: number[], x: Float32Array, dy: Float32Array, dw: Float32Array, db: Float32Array | null,
      algorithm: string): string;
    convBackwardFilterAsync(p: number[], x: Float32Array, dy: Float32Array, dw: Float32Array, db: Float32Array | null,
      algorithm: string, cancel: CancelCell): Promise<string>;
    convGeometry(p: number[], padding: 'valid' | 'same' | 'explicit'): number[];
    convSelectAlgorithm(p: number[], pass: ConvPass): string;
    convUnsupportedReason(p: number[], pass: ConvPass, algorithm: string): string;
    convSetAutotune(on: boolean): void;
    convGetAutotune(): boolean;
    convAutotuneClear(): void;
    convAutotuneSize(): number;
    convAutotuneSave(path: string): void;
    convAutotuneLoad(path: string): void;
  }
}

/** An algorithm a caller may ask for. */
export type ConvAlgorithm = 'auto' | 'direct' | 'im2col' | 'winograd' | 'winograd-f2' | 'winograd-f4' | 'winograd-s2' | 'fft';
/** An algorithm that actually ran (what every function reports back). */
export type ConvAlgorithmUsed = 'direct' | 'im2col' | 'winograd-f2' | 'winograd-f4' | 'winograd-s2' | 'fft';
export type ConvPass = 'forward' | 'backwardInput' | 'backwardFilter';
export type ConvActivation = 'none' | 'relu' | 'relu6' | 'sigmoid' | 'tanh' | 'leakyRelu';
export type DataFormat = 'channelsLast' | 'channelsFirst';
/**
 * 'valid', 'same' (TensorFlow/Keras rule: total = max((ceil(in/s)-1)*s + (k-1)*d + 1 - in, 0),
 * before = floor(total/2), the extra row/column after), a number (that many on both sides of every
 * spatial dimension), or explicit [before, after] pairs, one per spatial dimension.
 */
export type ConvPadding = 'valid' | 'same' | number | ReadonlyArray<readonly [number, number]>;

const ALGORITHMS: readonly ConvAlgorithm[] = ['auto', 'direct', 'im2col', 'winograd', 'winograd-f2', 'winograd-f4', 'winograd-s2', 'fft'];
const ACTIVATIONS: readonly ConvActivation[] = ['none', 'relu', 'relu6', 'sigmoid', 'tanh', 'leakyRelu'];

export interface ConvOptions {
  /** Stride per spatial dimension (a number applies to all). Default 1. */
  strides?: number | readonly number[];
  /** Default 'valid'. */
  padding?: ConvPadding;
  /** Dilation per spatial dimension. Default 1. */
  dilationRate?: number | readonly number[];
  /** Input and output channels are split into this many independent groups. Default 1. */
  groups?: number;
  /** Default 'channelsLast' ([N, ...spatial, C]); 'channelsFirst' is [N, C, ...spatial]. */
  dataFormat?: DataFormat;
  /** Default 'auto'. */
  algorithm?: ConvAlgorithm;
}

export interface ConvForwardOptions extends ConvOptions {
  /** [outChannels], added to every output position (fused in the kernel). */
  bias?: Tensor;
  /** Applied after the bias, fused. Default 'none'. */
  activation?: ConvActivation;
  /** Slope for 'leakyRelu' (Keras LeakyReLU default 0.3). */
  leakyAlpha?: number;
}

/** A convolution's output and the algorithm that computed it. */
export interface ConvResult {
  output: Tensor;
  algorithm: ConvAlgorithmUsed;
}
/** Filter (and bias) gradient and the algorithm that computed it. */
export interface ConvFilterGradResult {
  /** dL/dfilter, same shape as the filter. */
  dFilter: Tensor;
  /** dL/dbias [outChannels] (sum of dy over batch and positions), when computeBias was set. */
  dBias?: Tensor;
  algorithm: ConvAlgorithmUsed;
}

// ---- geometry -----------------------------------------------------------------------------------

/** Everything the native side needs, resolved and validated. @internal */
export interface ConvGeometry {
  rank: 1 | 2 | 3;
  N: number;
  C: number;
  K: number;
  groups: number;
  inSpatial: number[];
  outSpatial: number[];
  kernel: number[];
  strides: number[];
  dilations: number[];
  pads: Array<[number, number]>;
  dataFormat: DataFormat;
  params: number[];
}

function perDim(v: number | readonly number[] | undefined, rank: number, what: string, dflt: number): number[] {
  const arr = v === undefined ? new Array<number>(rank).fill(dflt) : typeof v === 'number' ? new Array<number>(rank).fill(v) : [...v];
  if (arr.length !== rank) throw new RangeError(`${what}: expected ${rank} values (one per spatial dimension), got ${arr.length}`);
  for (const d of arr)
    if (!Number.isSafeInteger(d) || d < 1) throw new RangeError(`${what}: expected positive integers, got [${arr.join(', ')}]`);
  return arr;
}

/** Pads 1-D/2-D lists to the native 3-D order (depth, height, width) with a leading fill. */
function to3(v: readonly number[], fill: number): number[] {
  return [...new Array<number>(3 - v.length).fill(fill), ...v];
}

function checkFormat(f: DataFormat | undefined): DataFormat {
  const d = f ?? 'channelsLast';
  if (d !== 'channelsLast' && d !== 'channelsFirst')
    throw new RangeError(`dataFormat: expected 'channelsLast' or 'channelsFirst', got ${String(d)}`);
  return d;
}

export function checkAlgorithm(a: ConvAlgorithm | undefined): ConvAlgorithm {
  const v = a ?? 'auto';
  if (!ALGORITHMS.includes(v)) throw new RangeError(`algorithm: expected one of ${ALGORITHMS.map((s) => `'${s}'`).join(' | ')}, got ${String(v)}`);
  return v;
}

/** Splits an input shape into batch, spatial and channels according to the data format. */
function splitShape(shape: readonly number[], rank: number, fmt: DataFormat, what: string): [number, number[], number] {
  if (shape.length !== rank + 2)
    throw new RangeError(`${what}: expected rank ${rank + 2} (${fmt === 'channelsLast' ? '[N, ...spatial, C]' : '[N, C, ...spatial]'}), got shape [${shape.join(', ')}]`);
  const N = shape[0]!;
  return fmt === 'channelsLast' ? [N, shape.slice(1, rank + 1), shape[rank + 1]!] : [N, shape.slice(2), shape[1]!];
}

/** @internal Resolves shapes and options into native conv params (throws clear errors). */
export function convGeometry(inputShape: readonly number[], filterShape: readonly number[], rank: 1 | 2 | 3, opts: ConvOptions): ConvGeometry {
  const dataFormat = checkFormat(opts.dataFormat);
  const [N, inSpatial, C] = splitShape(inputShape, rank, dataFormat, 'input');
  if (filterShape.length !== rank + 2)
    throw new RangeError(`filter: expected rank ${rank + 2} ([...kernel, inChannels/groups, outChannels]), got shape [${filterShape.join(', ')}]`);
  const groups = opts.groups ?? 1;
  if (!Number.isSafeInteger(groups) || groups < 1) throw new RangeError(`groups: expected a positive integer, got ${String(groups)}`);
  const kernel = filterShape.slice(0, rank);
  const cinG = filterShape[rank]!;
  const K = filterShape[rank + 1]!;
  if (cinG * groups !== C)
    throw new RangeError(`filter: inChannels/groups is ${cinG} but the input has ${C} channels with groups = ${groups} (expected ${C / groups})`);
  const strides = perDim(opts.strides, rank, 'strides', 1);
  const dilations = perDim(opts.dilationRate, rank, 'dilationRate', 1);
  const padding = opts.padding ?? 'valid';
  let mode: 'valid' | 'same' | 'explicit';
  let explicit: Array<[number, number]> = new Array(rank).fill(null).map(() => [0, 0] as [number, number]);
  if (padding === 'valid' || padding === 'same') mode = padding;
  else if (typeof padding === 'number') {
    if (!Number.isSafeInteger(padding) || padding < 0) throw new RangeError(`padding: expected a non-negative integer, got ${padding}`);
    mode = 'explicit';
    explicit = explicit.map(() => [padding, padding]);
  } else if (Array.isArray(padding)) {
    if (padding.length !== rank) throw new RangeError(`padding: expected ${rank} [before, after] pairs, got ${padding.length}`);
    mode = 'explicit';
    explicit = padding.map((p: readonly [number, number], i: number) => {
      if (!Array.isArray(p) || p.length !== 2 || !p.every((v) => Number.isSafeInteger(v) && v >= 0))
        throw new RangeError(`padding[${i}]: expected [before, after] non-negative integers`);
      return [p[0], p[1]] as [number, number];
    });
  } else throw new RangeError(`padding: expected 'valid', 'same', a number or [before, after] pairs, got ${String(padding)}`);
  const k3 = to3(kernel, 1), s3 = to3(strides, 1), d3 = to3(dilations, 1), i3 = to3(inSpatial, 1);
  const p3: Array<[number, number]> = [...new Array(3 - rank).fill(null).map(() => [0, 0] as [number, number]), ...explicit];
  const params = [N, ...i3, C, K, ...k3, ...s3, ...d3, ...p3.flat(), groups];
  const g = native().convGeometry(params, mode);
  const out3 = g.slice(0, 3);
  const pads3: Array<[number, number]> = [[g[3]!, g[4]!], [g[5]!, g[6]!], [g[7]!, g[8]!]];
  const resolved = [N, ...i3, C, K, ...k3, ...s3, ...d3, ...pads3.flat(), groups];
  return {
    rank, N, C, K, groups, inSpatial, outSpatial: out3.slice(3 - rank), kernel, strides, dilations,
    pads: pads3.slice(3 - rank), dataFormat, params: resolved,
  };
}

// ---- layout -------------------------------------------------------------------------------------

/**
 * @internal Copies a channels-first tensor [N, C, ...spatial] to channels-last [N, ...spatial, C]
 * (inverse = false) or back (inverse = true). A layout move, not math.
 */
export function transposeChannels(t: Tensor, inverse: boolean): Tensor {
  const s = t.shape;
  const N = s[0]!;
  const C = inverse ? s[s.length - 1]! : s[1]!;
  const spatial = inverse ? s.slice(1, -1) : s.slice(2);
  const P = spatial.reduce((a, b) => a * b, 1);
  const out = allocTensor(inverse ? [N, C, ...spatial] : [N, ...spatial, C]);
  const src = f32(t, 'input');
  const dst = f32(out);
  for (let n = 0; n < N; n++) {
    const base = n * P * C;
    for (let c = 0; c < C; c++)
      for (let p = 0; p < P; p++) {
        if (inverse) dst[base + c * P + p] = src[base + p * C + c]!;
        else dst[base + p * C + c] = src[base + c * P + p]!;
      }
  }
  return out;
}

function outShape(g: ConvGeometry, channels: number, spatial: number[]): number[] {
  return g.dataFormat === 'channelsLast' ? [g.N, ...spatial, channels] : [g.N, channels, ...spatial];
}

function attrsOf(g: ConvGeometry, algorithm: ConvAlgorithm, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    rank: g.rank, strides: g.strides, pads: g.pads, dilationRate: g.dilations, groups: g.groups,
    dataFormat: g.dataFormat, algorithm, ...extra,
  };
}

/** Runs fn on channels-last views of `ins`, returning a channels-last result transposed back if needed. */
function withLayout<T>(g: ConvGeometry, ins: Tensor[], fn: (cl: Tensor[]) => T): T {
  if (g.dataFormat === 'channelsLast') return fn(ins);
  const cl = ins.map((t) => transposeChannels(t, false));
  try {
    return fn(cl);
  } finally {
    for (const t of cl) t.dispose();
  }
}

function toFormat(g: ConvGeometry, t: Tensor): Tensor {
  if (g.dataFormat === 'channelsLast') return t;
  const r = transposeChannels(t, true);
  t.dispose();
  return r;
}

// Checks the bias shape; its memory is taken (f32) only where the kernel is called, so that under
// deferred execution the access counts as handing memory to a native call.
function checkBias(bias: Tensor | undefined, K: number): Tensor | null {
  if (bias === undefined) return null;
  if (bias.rank !== 1 || bias.shape[0] !== K) throw new RangeError(`bias: expected shape [${K}], got [${bias.shape.join(', ')}]`);
  bias.assertAlive('bias');
  return bias;
}

function checkActivation(a: ConvActivation | undefined): ConvActivation {
  const v = a ?? 'none';
  if (!ACTIVATIONS.includes(v)) throw new RangeError(`activation: expected one of ${ACTIVATIONS.join(', ')}, got ${String(v)}`);
  return v;
}

function rankOf(x: Tensor, what: string): 1 | 2 | 3 {
  const r = x.rank - 2;
  if (r !== 1 && r !== 2 && r !== 3) throw new RangeError(`${what}: expected a rank 3, 4 or 5 tensor, got shape [${x.shape.join(', ')}]`);
  return r;
}

// ---- forward ------------------------------------------------------------------------------------

/**
 * N-D convolution (rank taken from x: 3 → 1-D, 4 → 2-D, 5 → 3-D), returning the output and the
 * algorithm that ran. Op name 'Conv' (attrs: rank, strides, pads (resolved [before, after] per
 * dimension), dilationRate, groups, dataFormat, algorithm, hasBias, activation).
 * @example const { output, algorithm } = convForward(x, w, { padding: 'same', algorithm: 'winograd' });
 */
export function convForward(x: Tensor, filter: Tensor, opts: ConvForwardOptions = {}): ConvResult {
  const rank = rankOf(x, 'input');
  const g = convGeometry(x.shape, filter.shape, rank, opts);
  const algorithm = checkAlgorithm(opts.algorithm);
  const activation = checkActivation(opts.activation);
  const bias = checkBias(opts.bias, g.K);
  const leaky = opts.leakyAlpha ?? 0.3;
  let ran: ConvAlgorithmUsed = 'direct';
  const inputs = opts.bias ? [x, filter, opts.bias] : [x, filter];
  const output = runNativeOp('Conv', inputs, attrsOf(g, algorithm, { hasBias: bias !== null, activation }), () =>
    withLayout(g, [x], ([xc]) => {
      const y = allocTensor([g.N, ...g.outSpatial, g.K]);
      try {
        ran = native().convForward(g.params, f32(xc!, 'input'), f32(filter, 'filter'), bias ? f32(bias, 'bias') : null, f32(y), algorithm, activation, leaky) as ConvAlgorithmUsed;
      } catch (e) {
        y.dispose();
        throw e;
      }
      return toFormat(g, y);
    }),
  );
  return { output, algorithm: ran };
}

/** Async twin of convForward (work on the libuv pool; opts.signal aborts between tiles). */
export async function convForwardAsync(x: Tensor, filter: Tensor, opts: ConvForwardOptions & AsyncOptions = {}): Promise<ConvResult> {
  const rank = rankOf(x, 'input');
  const g = convGeometry(x.shape, filter.shape, rank, opts);
  if (g.dataFormat !== 'channelsLast') return convForward(x, filter, opts);
  const algorithm = checkAlgorithm(opts.algorithm);
  const activation = checkActivation(opts.activation);
  const bias = checkBias(opts.bias, g.K);
  let ran: ConvAlgorithmUsed = 'direct';
  const inputs = opts.bias ? [x, filter, opts.bias] : [x, filter];
  const output = await runOpAsync('Conv', inputs, attrsOf(g, algorithm, { hasBias: bias !== null, activation }), () => {
    const y = allocTensor([g.N, ...g.outSpatial, g.K]);
    return nativeAsync(inputs, y, async (cell) => {
      ran = (await native().convForwardAsync(g.params, f32(x, 'input'), f32(filter, 'filter'), bias ? f32(bias, 'bias') : null, f32(y), algorithm,
        activation, opts.leakyAlpha ?? 0.3, cell)) as ConvAlgorithmUsed;
    }, opts);
  });
  return { output, algorithm: ran };
}

/** 1-D convolution: x [N, W, C], filter [k, C/groups, K] → [N, W', K]. */
export function conv1d(x: Tensor, filter: Tensor, opts: ConvForwardOptions = {}): Tensor {
  if (x.rank !== 3) throw new RangeError(`conv1d: input must be rank 3, got shape [${x.shape.join(', ')}]`);
  return convForward(x, filter, opts).output;
}
/** 2-D convolution: x [N, H, W, C], filter [kh, kw, C/groups, K] → [N, H', W', K]. */
export function conv2d(x: Tensor, filter: Tensor, opts: ConvForwardOptions = {}): Tensor {
  if (x.rank !== 4) throw new RangeError(`conv2d: input must be rank 4, got shape [${x.shape.join(', ')}]`);
  return convForward(x, filter, opts).output;
}
/** 3-D convolution: x [N, D, H, W, C], filter [kd, kh, kw, C/groups, K] → [N, D', H', W', K]. */
export function conv3d(x: Tensor, filter: Tensor, opts: ConvForwardOptions = {}): Tensor {
  if (x.rank !== 5) throw new RangeError(`conv3d: input must be rank 5, got shape [${x.shape.join(', ')}]`);
  return convForward(x, filter, opts).output;
}

/** The grouped-conv view of a Keras depthwise filter [kh, kw, C, mult] → [kh, kw, 1, C*mult] (same bytes). */
function depthwiseAsGrouped(filter: Tensor, C: number): { shape: number[]; groups: number } {
  if (filter.rank !== 4) throw new RangeError(`depthwise filter: expected [kh, kw, inChannels, multiplier], got [${filter.shape.join(', ')}]`);
  const [kh, kw, c, m] = filter.shape as [number, number, number, number];
  if (c !== C) throw new RangeError(`depthwise filter: has ${c} input channels, the input has ${C}`);
  return { shape: [kh, kw, 1, c * m], groups: c };
}

function reshapeView(t: Tensor, shape: number[]): Tensor {
  // Same bytes, another shape: a copy (tensor views are not part of the tensor API yet).
  const out = allocTensor(shape);
  f32(out).set(f32(t, 'filter'));
  return out;
}

/**
 * Depthwise 2-D convolution (Keras DepthwiseConv2D): x [N, H, W, C], filter [kh, kw, C, multiplier]
 * → [N, H', W', C*multiplier]; output channel c*multiplier + m reads input channel c.
 */
export function depthwiseConv2d(x: Tensor, filter: Tensor, opts: Omit<ConvForwardOptions, 'groups'> = {}): Tensor {
  if (x.rank !== 4) throw new RangeError(`depthwiseConv2d: input must be rank 4, got shape [${x.shape.join(', ')}]`);
  const C = (opts.dataFormat ?? 'channelsLast') === 'channelsFirst' ? x.shape[1]! : x.shape[3]!;
  const { shape, groups } = depthwiseAsGrouped(filter, C);
  const f = reshapeView(filter, shape);
  try {
    return convForward(x, f, { ...opts, groups }).output;
  } finally {
    f.dispose();
  }
}

// ---- backward -----------------------------------------------------------------------------------

/**
 * Gradient of a convolution with respect to its input: dx (shape `inputShape`) from dy (the
 * forward output's shape) and the filter. Same options as the forward call (strides, padding,
 * dilationRate, groups, dataFormat); `algorithm` chooses how (Winograd and FFT via the rotated-filter
 * forward form, stride 1 only). Op name 'ConvBackpropInput'.
 */
export function convBackpropInput(dy: Tensor, filter: Tensor, inputShape: readonly number[], opts: ConvOptions = {}): ConvResult {
  const rank = rankOf(dy, 'dy');
  const g = convGeometry(inputShape, filter.shape, rank, opts);
  const algorithm = checkAlgorithm(opts.algorithm);
  const want = outShape(g, g.K, g.outSpatial);
  if (dy.shape.length !== want.length || dy.shape.some((d, i) => d !== want[i]))
    throw new RangeError(`dy: expected shape [${want.join(', ')}] (the forward output), got [${dy.shape.join(', ')}]`);
  let ran: ConvAlgorithmUsed = 'direct';
  const output = runNativeOp('ConvBackpropInput', [dy, filter], attrsOf(g, algorithm, { inputShape: [...inputShape] }), () =>
    withLayout(g, [dy], ([dyc]) => {
      const dx = allocTensor([g.N, ...g.inSpatial, g.C]);
      try {
        ran = native().convBackwardInput(g.params, f32(dyc!, 'dy'), f32(filter, 'filter'), f32(dx), algorithm) as ConvAlgorithmUsed;
      } catch (e) {
        dx.dispose();
        throw e;
      }
      return toFormat(g, dx);
    }),
  );
  return { output, algorithm: ran };
}

/**
 * Gradient of a convolution with respect to its filter (and bias): dFilter (shape `filterShape`)
 * from the forward input x and dy. With `computeBias`, also dBias [outChannels] = sum of dy.
 * Op name 'ConvBackpropFilter'. Winograd computes it by F(3x3, 2x2) ('winograd' and 'winograd-f2';
 * 'winograd-f4' is Unsupported here); FFT does not compute filter gradients (Unsupported).
 */
export function convBackpropFilter(x: Tensor, dy: Tensor, filterShape: readonly number[],
  opts: ConvOptions & { computeBias?: boolean } = {}): ConvFilterGradResult {
  const rank = rankOf(x, 'input');
  const g = convGeometry(x.shape, filterShape, rank, opts);
  const algorithm = checkAlgorithm(opts.algorithm);
  const want = outShape(g, g.K, g.outSpatial);
  if (dy.shape.length !== want.length || dy.shape.some((d, i) => d !== want[i]))
    throw new RangeError(`dy: expected shape [${want.join(', ')}] (the forward output), got [${dy.shape.join(', ')}]`);
  let ran: ConvAlgorithmUsed = 'direct';
  const outs = runNativeOp('ConvBackpropFilter', [x, dy], attrsOf(g, algorithm, { filterShape: [...filterShape], computeBias: !!opts.computeBias }), () =>
    withLayout(g, [x, dy], ([xc, dyc]) => {
      const dw = allocTensor([...filterShape]);
      const db = opts.computeBias ? allocTensor([g.K]) : null;
      try {
        ran = native().convBackwardFilter(g.params, f32(xc!, 'input'), f32(dyc!, 'dy'), f32(dw), db ? f32(db) : null, algorithm) as ConvAlgorithmUsed;
      } catch (e) {
        dw.dispose();
        db?.dispose();
        throw e;
      }
      return db ? [dw, db] : [dw];
    }),
  );
  return { dFilter: outs[0]!, dBias: outs[1], algorithm: ran };
}

/** Async twin of convBackpropInput (channels-last only runs off-thread; channels-first runs inline). */
export async function convBackpropInputAsync(dy: Tensor, filter: Tensor, inputShape: readonly number[], opts: ConvOptions & AsyncOptions = {}): Promise<ConvResult> {
  const rank = rankOf(dy, 'dy');
  const g = convGeometry(inputShape, filter.shape, rank, opts);
  if (g.dataFormat !== 'channelsLast') return convBackpropInput(dy, filter, inputShape, opts);
  const algorithm = checkAlgorithm(opts.algorithm);
  let ran: ConvAlgorithmUsed = 'direct';
  const output = await runOpAsync('ConvBackpropInput', [dy, filter], attrsOf(g, algorithm, { inputShape: [...inputShape] }), () => {
    const dx = allocTensor([g.N, ...g.inSpatial, g.C]);
    return nativeAsync([dy, filter], dx, async (cell) => {
      ran = (await native().convBackwardInputAsync(g.params, f32(dy, 'dy'), f32(filter, 'filter'), f32(dx), algorithm, cell)) as ConvAlgorithmUsed;
    }, opts);
  });
  return { output, algorithm: ran };
}

/** Async twin of convBackpropFilter. */
export async function convBackpropFilterAsync(x: Tensor, dy: Tensor, filterShape: readonly number[],
  opts: ConvOptions & AsyncOptions & { computeBias?: boolean } = {}): Promise<ConvFilterGradResult> {
  const rank = rankOf(x, 'input');
  const g = convGeometry(x.shape, filterShape, rank, opts);
  if (g.dataFormat !== 'channelsLast') return convBackpropFilter(x, dy, filterShape, opts);
  const algorithm = checkAlgorithm(opts.algorithm);
  let ran: ConvAlgorithmUsed = 'direct';
  const outs = await runOpAsync('ConvBackpropFilter', [x, dy], attrsOf(g, algorithm, { filterShape: [...filterShape], computeBias: !!opts.computeBias }), () => {
    const dw = allocTensor([...filterShape]);
    const db = opts.computeBias ? allocTensor([g.K]) : null;
    const list = db ? [dw, db] : [dw];
    return nativeAsync([x, dy], list, async (cell) => {
      ran = (await native().convBackwardFilterAsync(g.params, f32(x, 'input'), f32(dy, 'dy'), f32(dw), db ? f32(db) : null, algorithm, cell)) as ConvAlgorithmUsed;
    }, opts);
  });
  return { dFilter: outs[0]!, dBias: outs[1], algorithm: ran };
}

/** dx of conv2d (tfjs-style name). Returns the result with the algorithm that ran. */
export function conv2dBackpropInput(dy: Tensor, filter: Tensor, inputShape: readonly number[], opts: ConvOptions = {}): ConvResult {
  if (dy.rank !== 4) throw new RangeError(`conv2dBackpropInput: dy must be rank 4, got [${dy.shape.join(', ')}]`);
  return convBackpropInput(dy, filter, inputShape, opts);
}
/** dFilter (and optionally dBias) of conv2d. */
export function conv2dBackpropFilter(x: Tensor, dy: Tensor, filterShape: readonly number[], opts: ConvOptions & { computeBias?: boolean } = {}): ConvFilterGradResult {
  if (x.rank !== 4) throw new RangeError(`conv2dBackpropFilter: input must be rank 4, got [${x.shape.join(', ')}]`);
  return convBackpropFilter(x, dy, filterShape, opts);
}
/** dx of conv1d / conv3d. */
export const conv1dBackpropInput = convBackpropInput;
export const conv3dBackpropInput = convBackpropInput;
/** dFilter of conv1d / conv3d. */
export const conv1dBackpropFilter = convBackpropFilter;
export const conv3dBackpropFilter = convBackpropFilter;

/** dx of depthwiseConv2d; filter is the Keras depthwise filter [kh, kw, C, multiplier]. */
export function depthwiseConv2dBackpropInput(dy: Tensor, filter: Tensor, inputShape: readonly number[], opts: Omit<ConvOptions, 'groups'> = {}): ConvResult {
  const C = (opts.dataFormat ?? 'channelsLast') === 'channelsFirst' ? inputShape[1]! : inputShape[3]!;
  const { shape, groups } = depthwiseAsGrouped(filter, C);
  const f = reshapeView(filter, shape);
  try {
    return convBackpropInput(dy, f, inputShape, { ...opts, groups });
  } finally {
    f.dispose();
  }
}

/** dFilter of depthwiseConv2d, shaped like the Keras depthwise filter [kh, kw, C, multiplier]. */
export function depthwiseConv2dBackpropFilter(x: Tensor, dy: Tensor, filterShape: readonly number[],
  opts: Omit<ConvOptions, 'groups'> & { computeBias?: boolean } = {}): ConvFilterGradResult {
  if (filterShape.length !== 4) throw new RangeError(`depthwise filter shape: expected [kh, kw, C, multiplier]`);
  const [kh, kw, c, m] = filterShape as [number, number, number, number];
  const r = convBackpropFilter(x, dy, [kh, kw, 1, c * m], { ...opts, groups: c });
  const reshaped = reshapeView(r.dFilter, [kh, kw, c, m]);
  r.dFilter.dispose();
  return { ...r, dFilter: reshaped };
}

// ---- algorithm inspection and autotune -------------------------------------------------------------

/**
 * What 'auto' picks for this configuration from the cost model (pure; ignores the autotune cache),
 * e.g. for a model summary. `pass` selects forward or one of the gradients.
 */
export function convAlgorithmFor(inputShape: readonly number[], filterShape: readonly number[], opts: ConvOptions = {},
  pass: ConvPass = 'forward'): ConvAlgorithmUsed {
  const rank = (inputShape.length - 2) as 1 | 2 | 3;
  const g = convGeometry(inputShape, filterShape, rank, opts);
  return native().convSelectAlgorithm(g.params, pass) as ConvAlgorithmUsed;
}

/** '' if `algorithm` can run this configuration and pass, else the reason. */
export function convUnsupportedReason(inputShape: readonly number[], filterShape: readonly number[], algorithm: ConvAlgorithm,
  opts: ConvOptions = {}, pass: ConvPass = 'forward'): string {
  const rank = (inputShape.length - 2) as 1 | 2 | 3;
  const g = convGeometry(inputShape, filterShape, rank, opts);
  return native().convUnsupportedReason(g.params, pass, checkAlgorithm(algorithm));
}

/**
 * Autotune (opt-in, like cuDNN's benchmark mode): when on, 'auto' times every applicable algorithm
 * the first time it meets a shape (per pass, ISA and thread count) and caches the fastest.
 */
export function setConvAutotune(on: boolean): void {
  native().convSetAutotune(on);
}
export function getConvAutotune(): boolean {
  return native().convGetAutotune();
}
export const convAutotuneCache = {
  clear: (): void => native().convAutotuneClear(),
  size: (): number => native().convAutotuneSize(),
  /** Writes the cache as JSON ({key: algorithm}). */
  save: (path: string): void => native().convAutotuneSave(path),
  /** Merges a file written by save(). */
  load: (path: string): void => native().convAutotuneLoad(path),
};
