// Creating tensors (TF.js-style): tensor(values, shape?, dtype?), scalar, zeros, ones, fill,
// zerosLike, onesLike, randomUniform, randomNormal, truncatedNormal.
import { rngFor } from '../random/index.js';
import { allocTensor, freshViewOf } from './internal.js';
import { type DType, checkDType, checkShape, describe, fmt, sizeOf } from './shape.js';
import type { Tensor } from './tensor.js';

/** Nested arrays of numbers (any depth), as accepted by tensor(). */
export interface NestedNumbers extends ReadonlyArray<number | NestedNumbers> {}
export type NumericTypedArray =
  | Float32Array
  | Int32Array
  | Float64Array
  | Uint8Array
  | Uint8ClampedArray
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array;
export type TensorLike = number | NestedNumbers | NumericTypedArray;

/** Infers the shape of nested arrays, checking that they are rectangular and numeric. */
function inferShape(values: number | NestedNumbers): number[] {
  const shape: number[] = [];
  let v: unknown = values;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0];
  }
  const check = (x: unknown, dim: number, path: string): void => {
    if (dim === shape.length) {
      if (typeof x !== 'number' && typeof x !== 'boolean')
        throw new TypeError(`tensor(): values${path} must be a number, got ${describe(x)}`);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[dim])
      throw new RangeError(
        `tensor(): values are not rectangular: values${path} should be an array of length ${shape[dim]} ` +
          `(inferred shape ${fmt(shape)}), got ${Array.isArray(x) ? `length ${x.length}` : describe(x)}`,
      );
    for (let i = 0; i < x.length; i++) check(x[i], dim + 1, `${path}[${i}]`);
  };
  check(values, 0, '');
  return shape;
}

function flatten(values: number | NestedNumbers, out: number[]): void {
  if (Array.isArray(values)) for (const v of values) flatten(v as number | NestedNumbers, out);
  else out.push(Number(values));
}

/**
 * A tensor from values: a number, nested arrays, or a typed array (flat, row-major; `shape`
 * required unless 1-D). dtype defaults to 'int32' for an Int32Array, else 'float32'. Values for an
 * int32 tensor are truncated toward zero, as TF.js does.
 */
export function tensor(values: TensorLike, shape?: readonly number[], dtype?: DType): Tensor {
  const dt: DType = dtype === undefined ? (values instanceof Int32Array ? 'int32' : 'float32') : checkDType(dtype);
  let flat: ArrayLike<number>;
  let inferred: number[];
  if (ArrayBuffer.isView(values)) {
    if (values instanceof DataView || values instanceof BigInt64Array || values instanceof BigUint64Array)
      throw new TypeError(`tensor(): values must be a number, nested number arrays or a numeric typed array, got ${describe(values)}`);
    flat = values as NumericTypedArray;
    inferred = [flat.length];
  } else if (typeof values === 'number' || typeof values === 'boolean') {
    flat = [Number(values)];
    inferred = [];
  } else if (Array.isArray(values)) {
    inferred = inferShape(values);
    const out: number[] = [];
    flatten(values, out);
    flat = out;
  } else {
    throw new TypeError(`tensor(): values must be a number, nested number arrays or a numeric typed array, got ${describe(values)}`);
  }
  let s = inferred;
  if (shape !== undefined) {
    s = checkShape(shape, 'shape');
    if (sizeOf(s) !== flat.length) {
      // A single value fills the whole shape (tensor(0, [2, 2])), as in TF.js.
      if (flat.length === 1 && !Array.isArray(values) && !ArrayBuffer.isView(values)) return fill(s, flat[0]!, dt);
      throw new RangeError(
        `tensor(): shape ${fmt(s)} needs ${sizeOf(s)} values, got ${flat.length}` +
          (Array.isArray(values) ? ` (values have shape ${fmt(inferred)})` : ''),
      );
    }
  }
  const t = allocTensor(s, dt);
  const view = freshViewOf(t);
  if (dt === 'int32' && !(flat instanceof Int32Array)) {
    for (let i = 0; i < flat.length; i++) view[i] = Math.trunc(flat[i]!);
  } else if (ArrayBuffer.isView(flat)) {
    view.set(flat as NumericTypedArray);
  } else {
    for (let i = 0; i < flat.length; i++) view[i] = flat[i]!;
  }
  return t;
}

export function scalar(value: number, dtype: DType = 'float32'): Tensor {
  if (typeof value !== 'number') throw new TypeError(`scalar(): value must be a number, got ${describe(value)}`);
  return tensor(value, [], dtype);
}

export function zeros(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return allocTensor(checkShape(shape), checkDType(dtype), true);
}

export function fill(shape: readonly number[], value: number, dtype: DType = 'float32'): Tensor {
  if (typeof value !== 'number') throw new TypeError(`fill(): value must be a number, got ${describe(value)}`);
  const t = allocTensor(checkShape(shape), checkDType(dtype));
  freshViewOf(t).fill(dtype === 'int32' ? Math.trunc(value) : value);
  return t;
}

export function ones(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return fill(shape, 1, dtype);
}

export function zerosLike(t: Tensor): Tensor {
  t.assertAlive('zerosLike(x)');
  return zeros(t.shape, t.dtype);
}

export function onesLike(t: Tensor): Tensor {
  t.assertAlive('onesLike(x)');
  return ones(t.shape, t.dtype);
}

function finite(x: number, what: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new RangeError(`${what} must be a finite number, got ${describe(x)}`);
  return x;
}

function fillRandom(shape: readonly number[], dtype: DType, sample: () => number): Tensor {
  const t = allocTensor(checkShape(shape), checkDType(dtype));
  const v = freshViewOf(t);
  if (dtype === 'int32') for (let i = 0; i < v.length; i++) v[i] = Math.floor(sample());
  else for (let i = 0; i < v.length; i++) v[i] = sample();
  return t;
}

/** Uniform in [minval, maxval). Uses the global generator (setSeed) unless `seed` is given. */
export function randomUniform(shape: readonly number[], minval = 0, maxval = 1, dtype: DType = 'float32', seed?: number): Tensor {
  finite(minval, 'randomUniform(): minval');
  finite(maxval, 'randomUniform(): maxval');
  if (!(maxval > minval)) throw new RangeError(`randomUniform(): maxval must be > minval, got minval ${minval}, maxval ${maxval}`);
  const rng = rngFor(seed);
  return fillRandom(shape, dtype, () => rng.uniform(minval, maxval));
}

/** Normal(mean, stddev). Uses the global generator (setSeed) unless `seed` is given. */
export function randomNormal(shape: readonly number[], mean = 0, stddev = 1, dtype: DType = 'float32', seed?: number): Tensor {
  finite(mean, 'randomNormal(): mean');
  finite(stddev, 'randomNormal(): stddev');
  if (stddev < 0) throw new RangeError(`randomNormal(): stddev must be >= 0, got ${stddev}`);
  const rng = rngFor(seed);
  return fillRandom(shape, dtype, () => rng.normal(mean, stddev));
}

/** Normal(mean, stddev) with values beyond 2 stddev resampled (as TF/Keras truncated_normal). */
export function truncatedNormal(shape: readonly number[], mean = 0, stddev = 1, dtype: DType = 'float32', seed?: number): Tensor {
  finite(mean, 'truncatedNormal(): mean');
  finite(stddev, 'truncatedNormal(): stddev');
  if (stddev < 0) throw new RangeError(`truncatedNormal(): stddev must be >= 0, got ${stddev}`);
  const rng = rngFor(seed);
  return fillRandom(shape, dtype, () => rng.truncatedNormal(mean, stddev));
}
