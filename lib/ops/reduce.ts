// Reductions over axes (sum, mean, max, min) with keepDims, and argMax/argMin along one axis.
import { runNativeOp, runOpAsync } from '../engine/index.js';
import { native } from '../native/index.js';
import { allocTensor, f32, i32 } from '../tensor/internal.js';
import { normAxis } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { nativeAsync, type AsyncOptions } from './async.js';
import type { ReduceOpName } from './binding-types.js';
import { checkTensor, fillOutput, reductionAxes, requireFloat } from './util.js';

const opNames: Record<ReduceOpName, string> = { sum: 'sum', mean: 'mean', max: 'max', min: 'min' };

export type Axis = number | readonly number[];

function plan(op: ReduceOpName, x: Tensor, axis: Axis | undefined, keepDims: boolean) {
  checkTensor(x, `${op}(): x`);
  requireFloat(x, `${op}(): x`);
  if (typeof keepDims !== 'boolean') throw new TypeError(`${op}(): keepDims must be a boolean, got ${String(keepDims)}`);
  const axes = reductionAxes(axis, x.rank, op);
  const outShape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
  return { axes, outShape };
}

/**
 * Reduces x over `axis` (a number, a list, or all axes when omitted); keepDims keeps reduced axes
 * with size 1. Sums accumulate in double precision.
 */
export function reduceOp(op: ReduceOpName, x: Tensor, axis?: Axis, keepDims = false): Tensor {
  const { axes, outShape } = plan(op, x, axis, keepDims);
  return runNativeOp(opNames[op], [x], { axes, keepDims }, () =>
    fillOutput(allocTensor(outShape), (out) => native().reduce(op, f32(x), x.shape, axes, f32(out))),
  );
}

export function reduceOpAsync(op: ReduceOpName, x: Tensor, axis?: Axis, keepDims = false, opts?: AsyncOptions): Promise<Tensor> {
  let p: ReturnType<typeof plan>;
  try {
    p = plan(op, x, axis, keepDims);
  } catch (e) {
    return Promise.reject(e);
  }
  const { axes, outShape } = p;
  return runOpAsync(opNames[op], [x], { axes, keepDims }, () => {
    const out = allocTensor(outShape);
    return nativeAsync([x], out, (cell) => native().reduceAsync(op, f32(x), x.shape, axes, f32(out), cell), opts);
  });
}

export const sum = (x: Tensor, axis?: Axis, keepDims = false): Tensor => reduceOp('sum', x, axis, keepDims);
export const mean = (x: Tensor, axis?: Axis, keepDims = false): Tensor => reduceOp('mean', x, axis, keepDims);
export const max = (x: Tensor, axis?: Axis, keepDims = false): Tensor => reduceOp('max', x, axis, keepDims);
export const min = (x: Tensor, axis?: Axis, keepDims = false): Tensor => reduceOp('min', x, axis, keepDims);

export const sumAsync = (x: Tensor, axis?: Axis, keepDims = false, opts?: AsyncOptions): Promise<Tensor> =>
  reduceOpAsync('sum', x, axis, keepDims, opts);
export const meanAsync = (x: Tensor, axis?: Axis, keepDims = false, opts?: AsyncOptions): Promise<Tensor> =>
  reduceOpAsync('mean', x, axis, keepDims, opts);
export const maxAsync = (x: Tensor, axis?: Axis, keepDims = false, opts?: AsyncOptions): Promise<Tensor> =>
  reduceOpAsync('max', x, axis, keepDims, opts);
export const minAsync = (x: Tensor, axis?: Axis, keepDims = false, opts?: AsyncOptions): Promise<Tensor> =>
  reduceOpAsync('min', x, axis, keepDims, opts);

function argReduce(isMax: boolean, x: Tensor, axis: number): Tensor {
  const name = isMax ? 'argMax' : 'argMin';
  checkTensor(x, `${name}(): x`);
  requireFloat(x, `${name}(): x`);
  const ax = normAxis(axis, x.rank, `${name}(): axis`);
  if (x.shape[ax] === 0 && x.size === 0 && x.shape.some((d, i) => i !== ax && d === 0) === false)
    throw new RangeError(`${name}(): axis ${axis} has size 0`);
  const outShape = x.shape.filter((_, i) => i !== ax);
  return runNativeOp(isMax ? 'argMax' : 'argMin', [x], { axis: ax }, () =>
    fillOutput(allocTensor(outShape, 'int32'), (out) => native().argReduce(isMax, f32(x), x.shape, ax, i32(out))),
  );
}

/** Index (int32) of the first maximum along `axis` (default 0, as TF.js). */
export const argMax = (x: Tensor, axis = 0): Tensor => argReduce(true, x, axis);
/** Index (int32) of the first minimum along `axis` (default 0, as TF.js). */
export const argMin = (x: Tensor, axis = 0): Tensor => argReduce(false, x, axis);
