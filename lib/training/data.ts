/**
 * Batching for fit/evaluate: row gathers from in-memory tensors (with a seeded shuffle), the
 * validation split, class weights, and batches pulled from datasets / (async) iterators.
 */
import type { Tensor } from '../tensor/index.js';
import { allocTensor, viewOf } from '../tensor/internal.js';
import { globalRng } from '../random/index.js';

export type Inputs = Tensor | Tensor[];

export interface Batch {
  x: Inputs;
  y: Inputs;
  sampleWeight: Float32Array | null;
}

export function asList(x: Inputs): Tensor[] {
  return Array.isArray(x) ? x : [x];
}

export function batchSizeOf(x: Inputs): number {
  const l = asList(x);
  if (l.length === 0) throw new RangeError('no input tensors');
  const n = l[0]!.shape[0];
  if (n === undefined) throw new RangeError('inputs must have a batch dimension, got a scalar');
  for (const t of l) if (t.shape[0] !== n) throw new RangeError(`all inputs and targets need the same number of samples; got ${l.map((q) => q.shape[0]).join(', ')}`);
  return n;
}

/** Rows `idx` of t (along axis 0) as a new tensor. */
export function gatherRows(t: Tensor, idx: Int32Array | number[], start = 0, count = idx.length): Tensor {
  const row = t.shape.slice(1).reduce((a, b) => a * b, 1);
  const out = allocTensor([count, ...t.shape.slice(1)], t.dtype);
  const src = viewOf(t, 'fit input');
  const dst = viewOf(out);
  for (let i = 0; i < count; i++) {
    const r = idx[start + i]!;
    if (row === 1) dst[i] = src[r]!;
    else dst.set(src.subarray(r * row, (r + 1) * row), i * row);
  }
  return out;
}

/** Contiguous rows [begin, end) as a new tensor. */
export function sliceRows(t: Tensor, begin: number, end: number): Tensor {
  const row = t.shape.slice(1).reduce((a, b) => a * b, 1);
  const out = allocTensor([end - begin, ...t.shape.slice(1)], t.dtype);
  viewOf(out).set(viewOf(t, 'fit input').subarray(begin * row, end * row));
  return out;
}

export function mapInputs(x: Inputs, f: (t: Tensor) => Tensor): Inputs {
  return Array.isArray(x) ? x.map(f) : f(x);
}

export function disposeInputs(x: Inputs): void {
  for (const t of asList(x)) t.dispose();
}

/** Fisher-Yates over [0, n) with the global (seedable) generator. */
export function permutation(n: number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  const rng = globalRng();
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/**
 * Per-sample weights from Keras's class_weight {class: weight}: the class of a sample is its id
 * (sparse targets) or the argmax of its target row (one-hot/probabilities); 1-unit targets use the
 * rounded value (binary). Multiplied into `base` when given.
 */
export function classWeightsToSample(y: Tensor, classWeight: Record<number, number>, base: Float32Array | null): Float32Array {
  const n = y.shape[0]!;
  const v = viewOf(y, 'y');
  const c = y.shape.length <= 1 ? 1 : y.size / n;
  const out = base ? base.slice() : new Float32Array(n).fill(1);
  for (let i = 0; i < n; i++) {
    let cls: number;
    if (c === 1) cls = Math.round(v[i]!);
    else {
      cls = 0;
      for (let j = 1; j < c; j++) if (v[i * c + j]! > v[i * c + cls]!) cls = j;
    }
    const w = classWeight[cls];
    out[i] = out[i]! * (w === undefined ? 1 : w);
  }
  return out;
}

// ---- datasets ----------------------------------------------------------------------------------

/** One element of a dataset: [x, y], [x, y, sampleWeight], or {xs, ys, sampleWeight?} (TF.js) / {x, y}. */
export type DatasetElement =
  | readonly [Inputs, Inputs]
  | readonly [Inputs, Inputs, Tensor | Float32Array]
  | { xs: Inputs; ys: Inputs; sampleWeight?: Tensor | Float32Array }
  | { x: Inputs; y: Inputs; sampleWeight?: Tensor | Float32Array };

/**
 * Something fit can pull batches from: an (async) iterable — re-iterated every epoch if it can be
 * (arrays, objects whose [Symbol.asyncIterator]() makes a fresh iterator) — an (async) iterator, or
 * a TF.js-style dataset with iterator().
 */
export type DatasetLike =
  | AsyncIterable<DatasetElement>
  | Iterable<DatasetElement>
  | AsyncIterator<DatasetElement>
  | { iterator(): Promise<AsyncIterator<DatasetElement> | Iterator<DatasetElement>> | AsyncIterator<DatasetElement> | Iterator<DatasetElement> };

function isTensorLike(x: unknown): boolean {
  return typeof x === 'object' && x !== null && 'shape' in x && 'dtype' in x;
}

export function isDatasetLike(x: unknown): x is DatasetLike {
  if (x === null || typeof x !== 'object') return false;
  // An array is a dataset when its elements are batches, not tensors (a list of input tensors).
  if (Array.isArray(x)) return x.length > 0 && !isTensorLike(x[0]);
  const o = x as Record<string | symbol, unknown>;
  return typeof o[Symbol.asyncIterator] === 'function' || typeof o[Symbol.iterator] === 'function' || typeof o['next'] === 'function' || typeof o['iterator'] === 'function';
}

type AnyIterator = AsyncIterator<DatasetElement> | Iterator<DatasetElement>;

export async function openIterator(ds: DatasetLike): Promise<AnyIterator> {
  const o = ds as unknown as Record<string | symbol, unknown>;
  if (typeof o[Symbol.asyncIterator] === 'function') return (ds as AsyncIterable<DatasetElement>)[Symbol.asyncIterator]();
  if (typeof o[Symbol.iterator] === 'function') return (ds as Iterable<DatasetElement>)[Symbol.iterator]();
  if (typeof o['iterator'] === 'function') return await (ds as { iterator(): Promise<AnyIterator> | AnyIterator }).iterator();
  return ds as AsyncIterator<DatasetElement>;
}

function toWeights(w: Tensor | Float32Array | undefined): Float32Array | null {
  if (w === undefined) return null;
  if (w instanceof Float32Array) return w;
  const v = viewOf(w, 'sampleWeight');
  return v instanceof Float32Array ? v.slice() : Float32Array.from(v);
}

export function toBatch(e: DatasetElement): Batch {
  if (Array.isArray(e)) {
    const [x, y, w] = e as [Inputs, Inputs, (Tensor | Float32Array)?];
    if (x === undefined || y === undefined) throw new TypeError('dataset element arrays must be [x, y] or [x, y, sampleWeight]');
    return { x, y, sampleWeight: toWeights(w) };
  }
  const o = e as Record<string, unknown>;
  if ('xs' in o && 'ys' in o) return { x: o['xs'] as Inputs, y: o['ys'] as Inputs, sampleWeight: toWeights(o['sampleWeight'] as Tensor | undefined) };
  if ('x' in o && 'y' in o) return { x: o['x'] as Inputs, y: o['y'] as Inputs, sampleWeight: toWeights(o['sampleWeight'] as Tensor | undefined) };
  throw new TypeError('dataset elements must be [x, y], [x, y, sampleWeight], {xs, ys} or {x, y}');
}
