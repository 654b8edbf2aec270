// Shape helpers shared by tensors and ops.

export type DType = 'float32' | 'int32';
export type TypedArrayFor<D extends DType> = D extends 'float32' ? Float32Array : Int32Array;
export type AnyTypedArray = Float32Array | Int32Array;

/** Number of elements of a shape (1 for a scalar []). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Throws a clear error if `shape` is not an array of non-negative safe integers. */
export function checkShape(shape: unknown, what = 'shape'): number[] {
  if (!Array.isArray(shape) && !(shape instanceof Int32Array))
    throw new TypeError(`${what} must be an array of non-negative integers, got ${describe(shape)}`);
  const out: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    const d: unknown = shape[i];
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)
      throw new RangeError(`${what}[${i}] must be a non-negative integer, got ${describe(d)} (${what} ${fmt(shape)})`);
    out.push(d);
  }
  if (sizeOf(out) > 2 ** 31 - 1)
    throw new RangeError(`${what} [${out.join(',')}] has ${sizeOf(out)} elements; the maximum is 2^31 - 1`);
  return out;
}

export function checkDType(dtype: unknown, what = 'dtype'): DType {
  if (dtype === 'float32' || dtype === 'int32') return dtype;
  throw new TypeError(`${what} must be 'float32' or 'int32', got ${describe(dtype)}`);
}

/** Same rank and sizes. A plain loop: servers call it on every request. */
export function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function fmt(shape: ArrayLike<unknown>): string {
  return `[${Array.from(shape as ArrayLike<unknown>, (d) => String(d)).join(',')}]`;
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `${typeof v} ${String(v)}`;
  if (typeof v === 'string') return `string '${v.length > 40 ? v.slice(0, 40) + '…' : v}'`;
  if (Array.isArray(v)) return `Array(${v.length})`;
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  if (typeof v === 'function') return 'function';
  const name = (v as { constructor?: { name?: string } }).constructor?.name;
  return name && name !== 'Object' ? name : 'object';
}

/** Normalises a possibly negative axis against rank, with a clear error. */
export function normAxis(axis: number, rank: number, what = 'axis'): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank)
    throw new RangeError(`${what} must be an integer in [${-rank}, ${rank - 1}], got ${axis}`);
  return axis < 0 ? axis + rank : axis;
}
