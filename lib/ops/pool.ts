// Pooling (max/average, 1-D/2-D/3-D, global) and its gradients over native/pool.
// Keras/TF semantics: 'same' padding never lets a padded position win a max and average pooling
// divides by the number of real elements under the window; max gradients go to the first maximal
// element of each window.
import { runNativeOp, runOpAsync } from '../engine/index.js';
import type { CancelCell } from '../native/binding.js';
import { native } from '../native/index.js';
import { allocTensor, f32, type Tensor } from '../tensor/internal.js';
import { nativeAsync, type AsyncOptions } from './async.js';
import { transposeChannels, type DataFormat } from './conv.js';

declare module '../native/binding.js' {
  interface NativeBinding {
    poolGeometry(p: number[], padding: 'valid' | 'same' | 'explicit'): number[];
    poolForward(p: number[], kind: PoolKind, x: Float32Array, y: Float32Array): void;
    poolForwardAsync(p: number[], kind: PoolKind, x: Float32Array, y: Float32Array, cancel: CancelCell): Promise<void>;
    poolBackward(p: number[], kind: PoolKind, x: Float32Array, dy: Float32Array, dx: Float32Array, relu: boolean): void;
    poolBackwardAsync(p: number[], kind: PoolKind, x: Float32Array, dy: Float32Array, dx: Float32Array, relu: boolean, cancel: CancelCell): Promise<void>;
    globalPoolForward(N: number, P: number, C: number, kind: PoolKind, x: Float32Array, y: Float32Array): void;
    globalPoolBackward(N: number, P: number, C: number, kind: PoolKind, x: Float32Array, dy: Float32Array, dx: Float32Array): void;
  }
}

export type PoolKind = 'max' | 'avg';

export interface PoolOptions {
  /** Window per spatial dimension (a number applies to all). */
  poolSize: number | readonly number[];
  /** Default: poolSize (Keras). */
  strides?: number | readonly number[];
  /** Default 'valid'. */
  padding?: 'valid' | 'same';
  /** Default 'channelsLast'. */
  dataFormat?: DataFormat;
}

interface PoolGeometry {
  rank: 1 | 2 | 3;
  N: number;
  C: number;
  inSpatial: number[];
  outSpatial: number[];
  params: number[];
  fmt: DataFormat;
  pads: Array<[number, number]>;
}

function perDim(v: number | readonly number[] | undefined, rank: number, what: string): number[] {
  if (v === undefined) throw new TypeError(`${what} is required`);
  const arr = typeof v === 'number' ? new Array<number>(rank).fill(v) : [...v];
  if (arr.length !== rank) throw new RangeError(`${what}: expected ${rank} values, got ${arr.length}`);
  for (const d of arr) if (!Number.isSafeInteger(d) || d < 1) throw new RangeError(`${what}: expected positive integers, got [${arr.join(', ')}]`);
  return arr;
}

function geometry(shape: readonly number[], rank: 1 | 2 | 3, opts: PoolOptions): PoolGeometry {
  const fmt = opts.dataFormat ?? 'channelsLast';
  if (fmt !== 'channelsLast' && fmt !== 'channelsFirst') throw new RangeError(`dataFormat: expected 'channelsLast' or 'channelsFirst', got ${String(fmt)}`);
  if (shape.length !== rank + 2) throw new RangeError(`input: expected rank ${rank + 2}, got shape [${shape.join(', ')}]`);
  const N = shape[0]!;
  const C = fmt === 'channelsLast' ? shape[rank + 1]! : shape[1]!;
  const inSpatial = fmt === 'channelsLast' ? shape.slice(1, rank + 1) : shape.slice(2);
  const win = perDim(opts.poolSize, rank, 'poolSize');
  const strides = opts.strides === undefined ? win : perDim(opts.strides, rank, 'strides');
  const padding = opts.padding ?? 'valid';
  if (padding !== 'valid' && padding !== 'same') throw new RangeError(`padding: expected 'valid' or 'same', got ${String(padding)}`);
  const fill = (v: number[], f: number): number[] => [...new Array<number>(3 - rank).fill(f), ...v];
  const params = [N, ...fill(inSpatial, 1), C, ...fill(win, 1), ...fill(strides, 1), 0, 0, 0, 0, 0, 0];
  const g = native().poolGeometry(params, padding);
  const pads: Array<[number, number]> = [[g[3]!, g[4]!], [g[5]!, g[6]!], [g[7]!, g[8]!]];
  params.splice(11, 6, ...pads.flat());
  return { rank, N, C, inSpatial, outSpatial: g.slice(0, 3).slice(3 - rank), params, fmt, pads: pads.slice(3 - rank) };
}

function rankOf(x: Tensor): 1 | 2 | 3 {
  const r = x.rank - 2;
  if (r !== 1 && r !== 2 && r !== 3) throw new RangeError(`pool: expected a rank 3, 4 or 5 input, got shape [${x.shape.join(', ')}]`);
  return r;
}

function cl(g: PoolGeometry, t: Tensor): Tensor {
  return g.fmt === 'channelsLast' ? t : transposeChannels(t, false);
}
function back(g: PoolGeometry, t: Tensor): Tensor {
  if (g.fmt === 'channelsLast') return t;
  const r = transposeChannels(t, true);
  t.dispose();
  return r;
}
function release(g: PoolGeometry, ...ts: Tensor[]): void {
  if (g.fmt !== 'channelsLast') for (const t of ts) t.dispose();
}

/**
 * Max or average pooling with the rank taken from x (3 → 1-D, 4 → 2-D, 5 → 3-D). Op names
 * 'MaxPool' / 'AvgPool' (attrs: rank, poolSize, strides, pads (resolved), padding, dataFormat).
 */
export function pool(x: Tensor, kind: PoolKind, opts: PoolOptions): Tensor {
  const g = geometry(x.shape, rankOf(x), opts);
  const attrs = { rank: g.rank, poolSize: opts.poolSize, strides: opts.strides ?? opts.poolSize, padding: opts.padding ?? 'valid', pads: g.pads, dataFormat: g.fmt };
  return runNativeOp(kind === 'max' ? 'MaxPool' : 'AvgPool', [x], attrs, () => {
    const xc = cl(g, x);
    const y = allocTensor([g.N, ...g.outSpatial, g.C]);
    try {
      native().poolForward(g.params, kind, f32(xc, 'input'), f32(y));
    } catch (e) {
      y.dispose();
      throw e;
    } finally {
      if (xc !== x) xc.dispose();
    }
    return back(g, y);
  });
}

/** Async twin of pool (channels-last runs off-thread). */
export async function poolAsync(x: Tensor, kind: PoolKind, opts: PoolOptions & AsyncOptions): Promise<Tensor> {
  const g = geometry(x.shape, rankOf(x), opts);
  if (g.fmt !== 'channelsLast') return pool(x, kind, opts);
  const attrs = { rank: g.rank, poolSize: opts.poolSize, strides: opts.strides ?? opts.poolSize, padding: opts.padding ?? 'valid', pads: g.pads, dataFormat: g.fmt };
  return runOpAsync(kind === 'max' ? 'MaxPool' : 'AvgPool', [x], attrs, () => {
    const y = allocTensor([g.N, ...g.outSpatial, g.C]);
    return nativeAsync([x], y, (cell) => native().poolForwardAsync(g.params, kind, f32(x, 'input'), f32(y), cell), opts);
  });
}

/**
 * Gradient of pool(x, kind, opts) with respect to x: dx (x's shape) from the forward input x and dy.
 * x is needed for max (the argmax is recomputed); for avg only its shape matters.
 * `relu` (max only): x is the output of a ReLU and the result is the gradient with respect to
 * that ReLU's input, relu'(x) ⊙ dx, in the same pass (native/pool/pool.h); bit for bit the two ops.
 * Op names 'MaxPoolGrad' / 'AvgPoolGrad' (attr `relu` on MaxPoolGrad).
 */
export function poolBackward(x: Tensor, dy: Tensor, kind: PoolKind, opts: PoolOptions, relu = false): Tensor {
  if (typeof relu !== 'boolean') throw new TypeError(`relu: expected a boolean, got ${typeof relu}`);
  if (relu && kind !== 'max') throw new RangeError(`relu: the fused ReLU gradient is for max pooling only (got '${kind}')`);
  const g = geometry(x.shape, rankOf(x), opts);
  const want = g.fmt === 'channelsLast' ? [g.N, ...g.outSpatial, g.C] : [g.N, g.C, ...g.outSpatial];
  if (dy.rank !== want.length || dy.shape.some((d, i) => d !== want[i]))
    throw new RangeError(`dy: expected shape [${want.join(', ')}] (the pool output), got [${dy.shape.join(', ')}]`);
  const attrs = { rank: g.rank, poolSize: opts.poolSize, strides: opts.strides ?? opts.poolSize, padding: opts.padding ?? 'valid', dataFormat: g.fmt, ...(relu ? { relu } : {}) };
  return runNativeOp(kind === 'max' ? 'MaxPoolGrad' : 'AvgPoolGrad', [x, dy], attrs, () => {
    const xc = cl(g, x);
    const dyc = cl(g, dy);
    const dx = allocTensor([g.N, ...g.inSpatial, g.C]);
    try {
      native().poolBackward(g.params, kind, f32(xc, 'input'), f32(dyc, 'dy'), f32(dx), relu);
    } catch (e) {
      dx.dispose();
      throw e;
    } finally {
      if (xc !== x) release(g, xc, dyc);
    }
    return back(g, dx);
  });
}

/** Keras MaxPooling1D/2D/3D and AveragePooling1D/2D/3D. */
export const maxPool1d = (x: Tensor, opts: PoolOptions): Tensor => pool(x, 'max', opts);
export const maxPool2d = (x: Tensor, opts: PoolOptions): Tensor => pool(x, 'max', opts);
export const maxPool3d = (x: Tensor, opts: PoolOptions): Tensor => pool(x, 'max', opts);
export const avgPool1d = (x: Tensor, opts: PoolOptions): Tensor => pool(x, 'avg', opts);
export const avgPool2d = (x: Tensor, opts: PoolOptions): Tensor => pool(x, 'avg', opts);
export const avgPool3d = (x: Tensor, opts: PoolOptions): Tensor => pool(x, 'avg', opts);
/** dx of maxPool*d (x = the forward input). */
export const maxPoolBackward = (x: Tensor, dy: Tensor, opts: PoolOptions): Tensor => poolBackward(x, dy, 'max', opts);
/** dx of avgPool*d (x = the forward input; only its shape is used). */
export const avgPoolBackward = (x: Tensor, dy: Tensor, opts: PoolOptions): Tensor => poolBackward(x, dy, 'avg', opts);

function globalDims(x: Tensor, fmt: DataFormat): [number, number, number] {
  if (x.rank < 3) throw new RangeError(`global pool: expected [N, ...spatial, C] (rank >= 3), got [${x.shape.join(', ')}]`);
  const N = x.shape[0]!;
  const C = fmt === 'channelsLast' ? x.shape[x.rank - 1]! : x.shape[1]!;
  return [N, x.size / (N * C), C];
}

/**
 * Global max / average pooling over all spatial positions: [N, ...spatial, C] → [N, C].
 * Op names 'GlobalMaxPool' / 'GlobalAvgPool'.
 */
export function globalPool(x: Tensor, kind: PoolKind, dataFormat: DataFormat = 'channelsLast'): Tensor {
  const [N, P, C] = globalDims(x, dataFormat);
  return runNativeOp(kind === 'max' ? 'GlobalMaxPool' : 'GlobalAvgPool', [x], { dataFormat }, () => {
    const xc = dataFormat === 'channelsLast' ? x : transposeChannels(x, false);
    const y = allocTensor([N, C]);
    try {
      native().globalPoolForward(N, P, C, kind, f32(xc, 'input'), f32(y));
    } finally {
      if (xc !== x) xc.dispose();
    }
    return y;
  });
}
export const globalMaxPool = (x: Tensor, dataFormat?: DataFormat): Tensor => globalPool(x, 'max', dataFormat);
export const globalAvgPool = (x: Tensor, dataFormat?: DataFormat): Tensor => globalPool(x, 'avg', dataFormat);

/** dx of globalPool: x = forward input, dy [N, C]. Op names 'GlobalMaxPoolGrad' / 'GlobalAvgPoolGrad'. */
export function globalPoolBackward(x: Tensor, dy: Tensor, kind: PoolKind, dataFormat: DataFormat = 'channelsLast'): Tensor {
  const [N, P, C] = globalDims(x, dataFormat);
  if (dy.rank !== 2 || dy.shape[0] !== N || dy.shape[1] !== C)
    throw new RangeError(`dy: expected shape [${N}, ${C}], got [${dy.shape.join(', ')}]`);
  return runNativeOp(kind === 'max' ? 'GlobalMaxPoolGrad' : 'GlobalAvgPoolGrad', [x, dy], { dataFormat }, () => {
    const xc = dataFormat === 'channelsLast' ? x : transposeChannels(x, false);
    const dxl = allocTensor(dataFormat === 'channelsLast' ? [...x.shape] : [N, ...x.shape.slice(2), C]);
    try {
      native().globalPoolBackward(N, P, C, kind, f32(xc, 'input'), f32(dy, 'dy'), f32(dxl));
    } finally {
      if (xc !== x) xc.dispose();
    }
    if (dataFormat === 'channelsLast') return dxl;
    const r = transposeChannels(dxl, true);
    dxl.dispose();
    return r;
  });
}
