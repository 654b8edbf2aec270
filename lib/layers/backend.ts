/**
 * The layers' backend ("K", as in Keras): every tensor operation layers, activations, losses and
 * gradients use, each recorded through the engine's `runOp` so that the autodiff tape sees it.
 *
 * Ops whose native kernels exist elsewhere in convkit (elementwise, reductions, matmul, conv,
 * pooling) are routed to them; data movement (broadcastTo, pad, slicePad, nearest and bilinear
 * upsampling) and the random masks of training-only layers run on native/ops/movement.cc; the rest
 * are small JavaScript loops over the tensors' native memory (masks, comparisons, clip, ...).
 * Every op name used here has a gradient, or is declared without one, in lib/autodiff/gradients
 * (test/autodiff/op_coverage.test.ts).
 */
import { runNativeOp, runOp, withoutRecording } from '../engine/index.js';
import { noteRandomFill } from '../engine/deferred.js';
import { Tensor } from '../tensor/index.js';
import { allocTensor, f32, freshViewOf } from '../tensor/internal.js';

// Filling a tensor allocated here needs no wait for queued native work (lib/engine/deferred.ts).
const fresh = (t: Tensor): Float32Array => freshViewOf(t) as Float32Array;
import { globalRng, type Rng } from '../random/index.js';
import { type ConvAlgorithm, convBackpropInput, convForward } from '../ops/conv.js';
import { globalPool, pool } from '../ops/pool.js';
import * as ops from '../ops/index.js';
import { matmul as nativeMatmul } from '../ops/matmul.js';
import { native } from '../native/index.js';

declare module '../native/binding.js' {
  interface NativeBinding {
    broadcastTo(x: Float32Array, xShape: readonly number[], out: Float32Array, outShape: readonly number[]): void;
    padConstant(x: Float32Array, xShape: readonly number[], before: readonly number[], value: number, out: Float32Array, outShape: readonly number[]): void;
    upsampleNearest2d(x: Float32Array, dims: readonly number[], size: readonly number[], out: Float32Array): void;
    upsampleBilinear2d(x: Float32Array, dims: readonly number[], size: readonly number[], out: Float32Array): void;
    upsampleBilinear2dAdjoint(dy: Float32Array, dims: readonly number[], size: readonly number[], dx: Float32Array): void;
    randomMask(state: Int32Array, rate: number, out: Float32Array): void;
    randomUniform(state: Int32Array, lo: number, hi: number, out: Float32Array): void;
  }
}

/** Runs a native random fill continuing `rng`'s stream (bit-for-bit what rng itself would draw). */
function withRngState(rng: Rng, fill: (state: Int32Array) => void): void {
  const state = new Int32Array(4);
  rng.saveState(state);
  fill(state);
  rng.loadState(state);
}

// ---- shape helpers -----------------------------------------------------------------------------

function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export function broadcastShape(a: readonly number[], b: readonly number[], op = 'op'): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) {
      throw new RangeError(`${op}: shapes [${a.join(', ')}] and [${b.join(', ')}] cannot be broadcast together`);
    }
    out.push(x === 1 ? y : x);
  }
  return out;
}

function normAxis(axis: number, rank: number, op: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new RangeError(`${op}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}

function normAxes(axes: number | readonly number[] | undefined, rank: number, op: string): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : [...axes];
  return [...new Set(list.map((a) => normAxis(a, rank, op)))].sort((p, q) => p - q);
}

/** Strides of `shape` (right-aligned into `outShape`), with 0 on broadcast axes. */
function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const st = stridesOf(shape);
  const off = outShape.length - shape.length;
  return outShape.map((_, i) => (i < off || shape[i - off] === 1 ? 0 : st[i - off]!));
}

// ---- creation ----------------------------------------------------------------------------------

export function fromValues(values: Float32Array | number[], shape: number[]): Tensor {
  const t = allocTensor(shape);
  fresh(t).set(values);
  return t;
}

export function scalar(v: number): Tensor {
  return fromValues([v], []);
}

export function filled(shape: readonly number[], v: number): Tensor {
  const t = allocTensor(shape);
  fresh(t).fill(v);
  return t;
}

/** A copy with its own storage (not recorded: a copy has no gradient meaning of its own). */
export function copy(t: Tensor): Tensor {
  return t.clone();
}

/** Runs fn without recording on the tape (state updates, masks, noise). */
export function withoutTape<T>(fn: () => T): T {
  return withoutRecording(fn);
}

/**
 * Inverted-dropout mask: 1/(1 − rate) with probability 1 − rate, else 0. Draws one uniform per
 * element from `rng` (a seeded layer's own generator) or the global one.
 */
export function dropoutMask(shape: readonly number[], rate: number, rng: Rng = globalRng()): Tensor {
  const t = allocTensor(shape);
  const draw = (dst: Float32Array) => withRngState(rng, (state) => native().randomMask(state, rate, dst));
  const v = fresh(t);
  draw(v);
  // A replayed training step (lib/training/step_capture.ts) redraws the mask from the same generator.
  noteRandomFill(v, draw);
  return t;
}

export function randomUniformTensor(shape: readonly number[], lo: number, hi: number, rng: Rng = globalRng()): Tensor {
  const t = allocTensor(shape);
  withRngState(rng, (state) => native().randomUniform(state, lo, hi, fresh(t)));
  return t;
}

export function randomNormalTensor(shape: readonly number[], mean: number, stddev: number, rng: Rng = globalRng()): Tensor {
  const t = allocTensor(shape);
  const v = fresh(t);
  for (let i = 0; i < v.length; i++) v[i] = rng.normal(mean, stddev);
  return t;
}

// ---- elementwise -------------------------------------------------------------------------------

// Native (lib/ops, SIMD, broadcasting).
export const add = (a: Tensor, b: Tensor): Tensor => ops.add(a, b);
export const sub = (a: Tensor, b: Tensor): Tensor => ops.sub(a, b);
export const mul = (a: Tensor, b: Tensor): Tensor => ops.mul(a, b);
export const div = (a: Tensor, b: Tensor): Tensor => ops.div(a, b);
export const maximum = (a: Tensor, b: Tensor): Tensor => ops.maximum(a, b);
export const minimum = (a: Tensor, b: Tensor): Tensor => ops.minimum(a, b);
/** 1 where a > b, else 0 (no gradient). */
export const greaterMask = (a: Tensor, b: Tensor): Tensor => ops.binaryOp('greater', a, b);
/** 1 where a == b, else 0 (no gradient). */
export const equalMask = (a: Tensor, b: Tensor): Tensor => ops.binaryOp('equal', a, b);

/**
 * a ∘ s for a number s, on the native broadcasting kernel. Recorded as its own op with s as an
 * attribute: recorded through ops.add(a, s) the scalar would become a tensor input that nobody
 * owns (the tape frees outputs, not inputs), so every call would leave a buffer for the GC.
 */
function scalarOp(name: 'addScalar' | 'mulScalar', a: Tensor, s: number): Tensor {
  // Native-only: the forward fills a new scalar and hands memory to native ops, so it may be queued
  // under deferred execution (BatchNormalization's moving-average update no longer flushes a step).
  return runNativeOp(name, [a], { s }, () => {
    const st = scalar(s);
    try {
      return withoutRecording(() => (name === 'addScalar' ? ops.add(a, st) : ops.mul(a, st)));
    } finally {
      st.dispose();
    }
  });
}
export const addScalar = (a: Tensor, s: number): Tensor => scalarOp('addScalar', a, s);
export const mulScalar = (a: Tensor, s: number): Tensor => scalarOp('mulScalar', a, s);
/** x^p elementwise. */
export const powScalar = (a: Tensor, p: number): Tensor => ops.unaryOp('powScalar', a, p);
/** min(x, s); NaN gives s (x <= s ? x : s). */
export const minScalar = (a: Tensor, s: number): Tensor => ops.unaryOp('minScalar', a, s);
/** max(x, s); NaN gives s (x >= s ? x : s). */
export const maxScalar = (a: Tensor, s: number): Tensor => ops.unaryOp('maxScalar', a, s);
export const clip = (a: Tensor, lo: number, hi: number): Tensor => ops.unaryOp('clip', a, lo, hi);
export const neg = (a: Tensor): Tensor => ops.neg(a);
export const abs = (a: Tensor): Tensor => ops.abs(a);
/** -1, 0 or 1; NaN stays NaN (as tf.sign). */
export const sign = (a: Tensor): Tensor => ops.unaryOp('sign', a);
/** 1 where x > 0 else 0 (no gradient). */
export const stepMask = (a: Tensor): Tensor => ops.unaryOp('step', a);
export const square = (a: Tensor): Tensor => ops.square(a);
export const sqrt = (a: Tensor): Tensor => ops.sqrt(a);
export const rsqrt = (a: Tensor): Tensor => ops.unaryOp('rsqrt', a);
export const reciprocal = (a: Tensor): Tensor => ops.reciprocal(a);
export const exp = (a: Tensor): Tensor => ops.exp(a);
export const log = (a: Tensor): Tensor => ops.log(a);
export const relu = (a: Tensor): Tensor => ops.relu(a);
export const relu6 = (a: Tensor): Tensor => ops.relu6(a);
export const leakyRelu = (a: Tensor, alpha: number): Tensor => ops.leakyRelu(a, alpha);
export const elu = (a: Tensor, alpha: number): Tensor => ops.elu(a, alpha);
export const softplus = (a: Tensor): Tensor => ops.softplus(a);
export const swish = (a: Tensor): Tensor => ops.swish(a);
export const sigmoid = (a: Tensor): Tensor => ops.sigmoid(a);
export const tanh = (a: Tensor): Tensor => ops.tanh(a);

// ---- reductions --------------------------------------------------------------------------------

type ReduceKind = 'sum' | 'mean' | 'max' | 'min';

function reduceJs(kind: ReduceKind, x: Tensor, axes: number | readonly number[] | undefined, keepDims: boolean): Tensor {
  const rank = x.shape.length;
  const ax = normAxes(axes, rank, kind);
  return runOp(kind, [x], { axes: ax, keepDims }, () => {
    const outFull = x.shape.map((d, i) => (ax.includes(i) ? 1 : d));
    const outShape = keepDims ? outFull : x.shape.filter((_, i) => !ax.includes(i));
    const out = allocTensor(outShape);
    const o = f32(out);
    const v = f32(x, `${kind} input`);
    const init = kind === 'max' ? -Infinity : kind === 'min' ? Infinity : 0;
    o.fill(init);
    const so = broadcastStrides(outFull, x.shape);
    const idx = new Array<number>(rank).fill(0);
    let io = 0;
    for (let i = 0; i < v.length; i++) {
      const val = v[i]!;
      if (kind === 'max') {
        if (val > o[io]! || Number.isNaN(val)) o[io] = val;
      } else if (kind === 'min') {
        if (val < o[io]! || Number.isNaN(val)) o[io] = val;
      } else o[io] = o[io]! + val;
      for (let d = rank - 1; d >= 0; d--) {
        idx[d]!++;
        io += so[d]!;
        if (idx[d]! < x.shape[d]!) break;
        io -= so[d]! * x.shape[d]!;
        idx[d] = 0;
      }
    }
    if (kind === 'mean') {
      const n = v.length / Math.max(1, o.length);
      for (let i = 0; i < o.length; i++) o[i] = o[i]! / n;
    }
    return out;
  });
}

export const sum = (x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor => ops.sum(x, axes, keepDims);
export const mean = (x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor => ops.mean(x, axes, keepDims);
export const max = (x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor => ops.max(x, axes, keepDims);
export const min = (x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor => ops.min(x, axes, keepDims);
export const sumAll = (x: Tensor): Tensor => ops.sum(x);
/** The JavaScript reduction (kept for reference tests of the native one). */
export const reduceReference = reduceJs;

// ---- softmax -----------------------------------------------------------------------------------

function softmaxJs(name: 'softmax' | 'logSoftmax', x: Tensor, axis: number): Tensor {
  const a = normAxis(axis, x.shape.length, name);
  return runOp(name, [x], { axis: a }, () => {
    const out = allocTensor(x.shape);
    const o = f32(out);
    const v = f32(x, `${name} input`);
    const n = x.shape[a]!;
    const inner = sizeOf(x.shape.slice(a + 1));
    const outer = sizeOf(x.shape.slice(0, a));
    for (let p = 0; p < outer; p++) {
      for (let q = 0; q < inner; q++) {
        const base = p * n * inner + q;
        let m = -Infinity;
        for (let k = 0; k < n; k++) m = Math.max(m, v[base + k * inner]!);
        let s = 0;
        for (let k = 0; k < n; k++) s += Math.exp(v[base + k * inner]! - m);
        if (name === 'softmax') for (let k = 0; k < n; k++) o[base + k * inner] = Math.exp(v[base + k * inner]! - m) / s;
        else {
          const ls = Math.log(s) + m;
          for (let k = 0; k < n; k++) o[base + k * inner] = v[base + k * inner]! - ls;
        }
      }
    }
    return out;
  });
}

export const softmax = (x: Tensor, axis = -1): Tensor => ops.softmax(x, axis);
export const logSoftmax = (x: Tensor, axis = -1): Tensor => ops.logSoftmax(x, axis);
/** The JavaScript softmax (kept for reference tests of the native one). */
export const softmaxReference = softmaxJs;

// ---- data movement -----------------------------------------------------------------------------

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  // Metadata only (the storage is shared): recordable under deferred execution.
  return runNativeOp('reshape', [x], { shape: [...shape], inputShape: [...x.shape] }, () => x.reshape(shape));
}

export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  return ops.transpose(x, perm);
}

export const toChannelsLast = (x: Tensor): Tensor => transpose(x, [0, ...Array.from({ length: x.shape.length - 2 }, (_, i) => i + 2), 1]);
export const toChannelsFirst = (x: Tensor): Tensor =>
  transpose(x, [0, x.shape.length - 1, ...Array.from({ length: x.shape.length - 2 }, (_, i) => i + 1)]);

export function slice(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
  return ops.slice(x, begin, size);
}

/** Adds `g` into a zero tensor of `shape` at `begin` (the adjoint of slice). */
export function slicePad(g: Tensor, shape: readonly number[], begin: readonly number[]): Tensor {
  return runNativeOp('slicePad', [g], { shape: [...shape], begin: [...begin] }, () => {
    const out = allocTensor(shape);
    native().padConstant(f32(g), g.shape, begin, 0, f32(out), shape);
    return out;
  });
}

export function pad(x: Tensor, paddings: readonly (readonly [number, number])[], value = 0): Tensor {
  if (paddings.length !== x.shape.length) throw new RangeError(`pad: paddings need ${x.shape.length} pairs, got ${paddings.length}`);
  for (const p of paddings) {
    if (!Number.isSafeInteger(p[0]) || !Number.isSafeInteger(p[1]) || p[0] < 0 || p[1] < 0) {
      throw new RangeError(`pad: paddings must be pairs of non-negative integers, got ${JSON.stringify(paddings)}`);
    }
  }
  if (!Number.isFinite(value)) throw new RangeError(`pad: value must be finite, got ${value}`);
  return runNativeOp('pad', [x], { paddings: paddings.map((p) => [p[0], p[1]]), value }, () => {
    const shape = x.shape.map((d, i) => d + paddings[i]![0] + paddings[i]![1]);
    const out = allocTensor(shape);
    native().padConstant(f32(x), x.shape, paddings.map((p) => p[0]), value, f32(out), shape);
    return out;
  });
}

/** Left-pads the time axis of [N, T, C] with `amount` zeros (causal convolution). */
export function causalPad1d(x: Tensor, amount: number): Tensor {
  return pad(x, [[0, 0], [amount, 0], [0, 0]]);
}

export function concat(xs: readonly Tensor[], axis: number): Tensor {
  return ops.concat(xs, axis);
}

/** Nearest-neighbour upsampling of NHWC by integer factors. */
export function upsampleNearest2d(x: Tensor, size: readonly number[]): Tensor {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const [sh, sw] = size as [number, number];
  return runNativeOp('upsampleNearest2d', [x], { size: [sh, sw] }, () => {
    const out = allocTensor([n, h * sh, w * sw, c]);
    native().upsampleNearest2d(f32(x), [n, h, w, c], [sh, sw], f32(out));
    return out;
  });
}

/**
 * Bilinear upsampling (half-pixel centres, TF2 resize 'bilinear' / Keras UpSampling2D): output
 * pixel i samples input coordinate (i + 0.5)/s − 0.5, clamped to the edges.
 */
export function upsampleBilinear2d(x: Tensor, size: readonly number[]): Tensor {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const [sh, sw] = size as [number, number];
  return runOp('upsampleBilinear2d', [x], { size: [sh, sw] }, () => {
    const out = allocTensor([n, h * sh, w * sw, c]);
    native().upsampleBilinear2d(f32(x), [n, h, w, c], [sh, sw], f32(out));
    return out;
  });
}

// ---- matmul ------------------------------------------------------------------------------------

/** C = op(A)·op(B) (2-D, or batched 3-D) on the native SGEMM (op 'matMul' / 'batchMatMul'). */
export function matMul(a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
  return nativeMatmul(a, b, { transposeA, transposeB });
}

// ---- convolution and pooling (native, lib/ops/conv.ts and pool.ts) ----------------------------

export interface ConvOptions {
  strides: readonly number[];
  padding: 'valid' | 'same';
  dilations: readonly number[];
  groups: number;
  algorithm?: string;
  /** Fused in the kernel (forward) and differentiated through the output (backward). */
  bias?: Tensor | null;
  activation?: 'none' | 'relu' | 'relu6' | 'sigmoid' | 'tanh';
}

export interface ConvResult {
  output: Tensor;
  /** The algorithm the native engine ran ('direct', 'im2col', 'winograd-f2', 'winograd-f4', 'winograd-s2', 'fft'). */
  algorithm: string;
}

/** N-d convolution, channels-last (op 'Conv' of lib/ops/conv.ts, gradient in autodiff/gradients/conv.ts). */
export function convNd(x: Tensor, w: Tensor, o: ConvOptions): ConvResult {
  const r = x.shape.length - 2;
  if (r < 1 || r > 3) throw new RangeError(`conv: expects an input of rank 3–5, got [${x.shape.join(', ')}]`);
  const res = convForward(x, w, {
    strides: [...o.strides],
    padding: o.padding,
    dilationRate: [...o.dilations],
    groups: o.groups,
    algorithm: (o.algorithm ?? 'auto') as ConvAlgorithm,
    ...(o.bias ? { bias: o.bias } : {}),
    activation: o.activation ?? 'none',
  });
  return { output: res.output, algorithm: res.algorithm };
}

/**
 * Transposed convolution: x [N, h, w, inC], kernel [kh, kw, filters, inC] → outShape
 * [N, H, W, filters]: the input-gradient of the conv whose input has shape outShape (op
 * 'ConvBackpropInput'). 'same' pads are TF's, computed on the (larger) output.
 */
export function conv2dTranspose(x: Tensor, w: Tensor, outShape: readonly number[], o: { strides: readonly number[]; padding: 'valid' | 'same'; dilations: readonly number[] }): Tensor {
  const pads = explicitPads(outShape.slice(1, 3), w.shape.slice(0, 2), o.strides, o.dilations, o.padding);
  return convBackpropInput(x, w, outShape, { strides: [...o.strides], padding: pads, dilationRate: [...o.dilations] }).output;
}

/** Explicit [before, after] pads per spatial axis for TF 'same'/'valid'. */
export function explicitPads(inSpatial: readonly number[], kernel: readonly number[], strides: readonly number[], dilations: readonly number[], padding: 'valid' | 'same'): [number, number][] {
  return inSpatial.map((n, i) => {
    if (padding === 'valid') return [0, 0];
    const eff = (kernel[i]! - 1) * dilations[i]! + 1;
    const out = Math.ceil(n / strides[i]!);
    const total = Math.max((out - 1) * strides[i]! + eff - n, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  });
}

export interface PoolOptions {
  poolSize: readonly number[];
  strides: readonly number[];
  padding: 'valid' | 'same';
}

/** Max/average pooling over 1–3 spatial axes (channels-last; average counts in-bounds taps only). */
export function poolNd(x: Tensor, mode: 'max' | 'avg', o: PoolOptions): Tensor {
  return pool(x, mode, { poolSize: [...o.poolSize], strides: [...o.strides], padding: o.padding });
}

/** Global max/average over all spatial axes, channels-last: [N, ...spatial, C] → [N, C]. */
export function globalPoolNd(x: Tensor, mode: 'max' | 'avg'): Tensor {
  return globalPool(x, mode);
}

/**
 * For each max-pooling window of x (channels-last, N-d, TF 'valid'/'same' geometry; pass
 * `poolSize` = the spatial shape for global pooling): g at the window's first maximal in-bounds
 * element, in window order — the element the native max-pool backward routes the gradient to.
 * This is the adjoint (in g) of MaxPoolGrad(x, ·), i.e. its gradient (op 'maxPoolGather'; not
 * differentiable in x). A JavaScript loop: it only runs in double-backward passes.
 */
export function maxPoolGather(x: Tensor, g: Tensor, poolSize: readonly number[], strides: readonly number[], padding: 'valid' | 'same'): Tensor {
  if (x.shape.length !== g.shape.length || x.shape.some((d, i) => d !== g.shape[i])) {
    throw new RangeError(`maxPoolGather: x [${x.shape.join(', ')}] and g [${g.shape.join(', ')}] must have the same shape`);
  }
  const r = x.shape.length - 2;
  const sp = x.shape.slice(1, r + 1);
  const pads = explicitPads(sp, poolSize, strides, sp.map(() => 1), padding);
  const outSp = sp.map((d, i) => (padding === 'valid' ? Math.floor((d - poolSize[i]!) / strides[i]!) + 1 : Math.ceil(d / strides[i]!)));
  const [n, c] = [x.shape[0]!, x.shape[r + 1]!];
  return runOp('maxPoolGather', [x, g], { poolSize: [...poolSize], strides: [...strides], padding }, () => {
    const out = allocTensor([n, ...outSp, c]);
    const o = f32(out);
    const xv = f32(x);
    const gv = f32(g);
    const inStr = stridesOf(sp);
    const outCount = sizeOf(outSp);
    const winCount = sizeOf(poolSize);
    const pos = new Array<number>(r);
    for (let b = 0; b < n; b++)
      for (let oi = 0; oi < outCount; oi++) {
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let at = -1;
          for (let wi = 0; wi < winCount; wi++) {
            let rem = wi;
            let inside = true;
            let flat = 0;
            for (let a = r - 1; a >= 0; a--) {
              const k = rem % poolSize[a]!;
              rem = Math.floor(rem / poolSize[a]!);
              const oa = Math.floor(oi / sizeOf(outSp.slice(a + 1))) % outSp[a]!;
              pos[a] = oa * strides[a]! - pads[a]![0] + k;
              if (pos[a]! < 0 || pos[a]! >= sp[a]!) inside = false;
              flat += pos[a]! * inStr[a]!;
            }
            if (!inside) continue;
            const v = xv[(b * sizeOf(sp) + flat) * c + ch]!;
            if (at < 0 || v > best) {
              best = v;
              at = (b * sizeOf(sp) + flat) * c + ch;
            }
          }
          o[(b * outCount + oi) * c + ch] = at < 0 ? 0 : gv[at]!;
        }
      }
    return out;
  });
}

/** Broadcasts x to `shape` (numpy rules). */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  const target = broadcastShape(x.shape, shape, 'broadcastTo');
  if (target.length !== shape.length || target.some((d, i) => d !== shape[i])) {
    throw new RangeError(`broadcastTo: cannot broadcast [${x.shape.join(', ')}] to [${shape.join(', ')}]`);
  }
  return runNativeOp('broadcastTo', [x], { shape: [...shape] }, () => {
    const out = allocTensor(shape);
    native().broadcastTo(f32(x), x.shape, f32(out), shape);
    return out;
  });
}

/** Adjoint of bilinear upsampling (its gradient), recorded so that it is differentiable once more. */
export function bilinearAdjoint(dy: Tensor, xShape: readonly number[], size: readonly number[]): Tensor {
  return runOp('bilinearAdjoint', [dy], { xShape: [...xShape], size: [...size] }, () => {
    const dx = allocTensor(xShape);
    native().upsampleBilinear2dAdjoint(f32(dy), xShape, size, f32(dx));
    return dx;
  });
}
