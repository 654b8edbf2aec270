// Small helpers shared by the op files.
import { Tensor } from '../tensor/tensor.js';
import { scalar } from '../tensor/creation.js';
import { type DType, describe, fmt, normAxis } from '../tensor/shape.js';

/** A tensor, or a plain number (made a scalar tensor of the other operand's dtype). */
export type TensorOrNumber = Tensor | number;

export function asTensor(x: TensorOrNumber, what: string, dtype: DType = 'float32'): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x === 'number') return scalar(x, dtype);
  throw new TypeError(`${what} must be a Tensor or a number, got ${describe(x)}`);
}

export function checkTensor(x: unknown, what: string): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${what} must be a Tensor, got ${describe(x)}`);
  x.assertAlive(what);
  return x;
}

export function requireFloat(x: Tensor, what: string): void {
  if (x.dtype !== 'float32') throw new TypeError(`${what} must have dtype float32, got ${x.dtype} (use cast(x, 'float32'))`);
}

/** Runs fn(out); disposes `out` if fn throws (so a failed op leaks nothing). */
export function fillOutput<T extends Tensor>(out: T, fn: (out: T) => void): T {
  try {
    fn(out);
  } catch (e) {
    out.dispose();
    throw e;
  }
  return out;
}

/** Normalised, sorted, unique axes for a reduction; undefined = all axes. */
export function reductionAxes(axis: number | readonly number[] | undefined, rank: number, op: string): number[] {
  if (axis === undefined || axis === null) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axis === 'number' ? [axis] : Array.from(axis);
  const out = list.map((a, i) => {
    if (typeof a !== 'number') throw new TypeError(`${op}(): axis[${i}] must be a number, got ${describe(a)}`);
    return normAxis(a, rank, `${op}(): axis`);
  });
  const sorted = [...new Set(out)].sort((p, q) => p - q);
  if (sorted.length !== out.length) throw new RangeError(`${op}(): axis ${fmt(list)} has repeated axes`);
  return sorted;
}
