// Elementwise binary ops with NumPy broadcasting: add, sub, mul, div, maximum, minimum,
// squaredDifference. float32 (all) and int32 (all but div); both operands must share a dtype.
import { runNativeOp, runOpAsync } from '../engine/index.js';
import { native } from '../native/index.js';
import { allocTensor, viewOf } from '../tensor/internal.js';
import type { Tensor } from '../tensor/tensor.js';
import { nativeAsync, type AsyncOptions } from './async.js';
import type { BinaryOpName } from './binding-types.js';
import { broadcastShapes } from './broadcast.js';
import { asTensor, fillOutput, type TensorOrNumber } from './util.js';

const opNames: Record<BinaryOpName, string> = {
  add: 'add',
  sub: 'sub',
  mul: 'mul',
  div: 'div',
  maximum: 'maximum',
  minimum: 'minimum',
  squaredDifference: 'squaredDifference',
  greater: 'greaterMask',
  equal: 'equalMask',
};

function operands(op: BinaryOpName, a: TensorOrNumber, b: TensorOrNumber): [Tensor, Tensor, number[]] {
  // A number takes the dtype of the tensor operand.
  const ta = typeof a === 'number' && typeof b !== 'number' ? asTensor(a, `${op}(): a`, asTensor(b, `${op}(): b`).dtype) : asTensor(a, `${op}(): a`);
  const tb = asTensor(b, `${op}(): b`, ta.dtype);
  ta.assertAlive(`${op}(): a`);
  tb.assertAlive(`${op}(): b`);
  if (ta.dtype !== tb.dtype)
    throw new TypeError(`${op}(): a and b must have the same dtype, got ${ta.dtype} and ${tb.dtype} (use cast())`);
  if (op === 'div' && ta.dtype === 'int32') throw new TypeError(`div(): int32 division is not supported; cast to float32 first`);
  if ((op === 'greater' || op === 'equal') && ta.dtype === 'int32')
    throw new TypeError(`${opNames[op]}(): the comparison masks are float32 only; cast to float32 first`);
  return [ta, tb, broadcastShapes(ta.shape, tb.shape, op)];
}

export function binaryOp(op: BinaryOpName, a: TensorOrNumber, b: TensorOrNumber): Tensor {
  const [ta, tb, shape] = operands(op, a, b);
  return runNativeOp(opNames[op], [ta, tb], {}, () =>
    fillOutput(allocTensor(shape, ta.dtype), (out) =>
      native().binary(op, viewOf(ta), ta.shape, viewOf(tb), tb.shape, viewOf(out), shape),
    ),
  );
}

export function binaryOpAsync(op: BinaryOpName, a: TensorOrNumber, b: TensorOrNumber, opts?: AsyncOptions): Promise<Tensor> {
  try {
    const [ta, tb, shape] = operands(op, a, b);
    return runOpAsync(opNames[op], [ta, tb], {}, () => {
      const out = allocTensor(shape, ta.dtype);
      return nativeAsync([ta, tb], out, (cell) =>
        native().binaryAsync(op, viewOf(ta), ta.shape, viewOf(tb), tb.shape, viewOf(out), shape, cell), opts);
    });
  } catch (e) {
    return Promise.reject(e);
  }
}

/** a + b (broadcasting). */
export const add = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binaryOp('add', a, b);
/** a - b (broadcasting). */
export const sub = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binaryOp('sub', a, b);
/** a * b (broadcasting). */
export const mul = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binaryOp('mul', a, b);
/** a / b (broadcasting; float32). */
export const div = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binaryOp('div', a, b);
/** Elementwise max (NaN if either is NaN). */
export const maximum = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binaryOp('maximum', a, b);
/** Elementwise min (NaN if either is NaN). */
export const minimum = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binaryOp('minimum', a, b);
/** (a - b)^2. */
export const squaredDifference = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binaryOp('squaredDifference', a, b);

export const addAsync = (a: TensorOrNumber, b: TensorOrNumber, opts?: AsyncOptions): Promise<Tensor> => binaryOpAsync('add', a, b, opts);
export const mulAsync = (a: TensorOrNumber, b: TensorOrNumber, opts?: AsyncOptions): Promise<Tensor> => binaryOpAsync('mul', a, b, opts);
