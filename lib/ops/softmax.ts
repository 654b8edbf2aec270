// softmax and logSoftmax along an axis (default the last), computed stably (max subtracted).
import { runNativeOp, runOpAsync } from '../engine/index.js';
import { native } from '../native/index.js';
import { allocTensor, f32 } from '../tensor/internal.js';
import { normAxis } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { nativeAsync, type AsyncOptions } from './async.js';
import { checkTensor, fillOutput, requireFloat } from './util.js';

function check(name: string, x: Tensor, axis: number): number {
  checkTensor(x, `${name}(): x`);
  requireFloat(x, `${name}(): x`);
  if (x.rank === 0) throw new RangeError(`${name}(): x must have rank >= 1, got a scalar`);
  return normAxis(axis, x.rank, `${name}(): axis`);
}

function softmaxImpl(log: boolean, x: Tensor, axis: number): Tensor {
  const ax = check(log ? 'logSoftmax' : 'softmax', x, axis);
  return runNativeOp(log ? 'logSoftmax' : 'softmax', [x], { axis: ax }, () =>
    fillOutput(allocTensor(x.shape), (out) => native().softmax(f32(x), x.shape, ax, log, f32(out))),
  );
}

function softmaxImplAsync(log: boolean, x: Tensor, axis: number, opts?: AsyncOptions): Promise<Tensor> {
  let ax: number;
  try {
    ax = check(log ? 'logSoftmax' : 'softmax', x, axis);
  } catch (e) {
    return Promise.reject(e);
  }
  return runOpAsync(log ? 'logSoftmax' : 'softmax', [x], { axis: ax }, () => {
    const out = allocTensor(x.shape);
    return nativeAsync([x], out, (cell) => native().softmaxAsync(f32(x), x.shape, ax, log, f32(out), cell), opts);
  });
}

export const softmax = (x: Tensor, axis = -1): Tensor => softmaxImpl(false, x, axis);
export const logSoftmax = (x: Tensor, axis = -1): Tensor => softmaxImpl(true, x, axis);
export const softmaxAsync = (x: Tensor, axis = -1, opts?: AsyncOptions): Promise<Tensor> => softmaxImplAsync(false, x, axis, opts);
export const logSoftmaxAsync = (x: Tensor, axis = -1, opts?: AsyncOptions): Promise<Tensor> => softmaxImplAsync(true, x, axis, opts);
