// transpose with any permutation (default: reverse the axes), and dtype casts.
import { runNativeOp, runOp, runOpAsync } from '../engine/index.js';
import { native } from '../native/index.js';
import { allocTensor, viewOf } from '../tensor/internal.js';
import { type DType, checkDType, describe, fmt } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { nativeAsync, type AsyncOptions } from './async.js';
import { checkTensor, fillOutput } from './util.js';

function checkPerm(x: Tensor, perm: readonly number[] | undefined): number[] {
  const r = x.rank;
  if (perm === undefined) return Array.from({ length: r }, (_, i) => r - 1 - i);
  if (!Array.isArray(perm as unknown)) throw new TypeError(`transpose(): perm must be an array, got ${describe(perm)}`);
  const p = perm.map((a) => (a < 0 ? a + r : a));
  const ok = p.length === r && p.every((a) => Number.isInteger(a) && a >= 0 && a < r) && new Set(p).size === r;
  if (!ok) throw new RangeError(`transpose(): perm ${fmt(perm)} is not a permutation of the ${r} axes of x ${fmt(x.shape)}`);
  return p;
}

export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  checkTensor(x, 'transpose(): x');
  const p = checkPerm(x, perm);
  const outShape = p.map((a) => x.shape[a]!);
  return runNativeOp('transpose', [x], { perm: p }, () =>
    fillOutput(allocTensor(outShape, x.dtype), (out) => native().transpose(viewOf(x), x.shape, p, viewOf(out))),
  );
}

export function transposeAsync(x: Tensor, perm?: readonly number[], opts?: AsyncOptions): Promise<Tensor> {
  let p: number[];
  try {
    checkTensor(x, 'transpose(): x');
    p = checkPerm(x, perm);
  } catch (e) {
    return Promise.reject(e);
  }
  const outShape = p.map((a) => x.shape[a]!);
  return runOpAsync('transpose', [x], { perm: p }, () => {
    const out = allocTensor(outShape, x.dtype);
    return nativeAsync([x], out, (cell) => native().transposeAsync(viewOf(x), x.shape, p, viewOf(out), cell), opts);
  });
}

/**
 * Converts to `dtype`. float32 -> int32 truncates toward zero, saturates at the int32 range and
 * maps NaN to 0. Casting to the same dtype returns a copy.
 */
export function cast(x: Tensor, dtype: DType): Tensor {
  checkTensor(x, 'cast(): x');
  const dt = checkDType(dtype, 'cast(): dtype');
  // The same-dtype copy is a JavaScript copy (runOp: it waits for queued kernels); the conversion
  // is a native kernel.
  if (dt === x.dtype) return runOp('cast', [x], { dtype: dt }, () => x.clone());
  return runNativeOp('cast', [x], { dtype: dt }, () => fillOutput(allocTensor(x.shape, dt), (out) => native().cast(viewOf(x), viewOf(out))));
}
