// Elementwise unary ops and activations on float32 tensors.
import { runNativeOp, runOpAsync } from '../engine/index.js';
import { native } from '../native/index.js';
import { allocTensor, f32 } from '../tensor/internal.js';
import type { Tensor } from '../tensor/tensor.js';
import { nativeAsync, type AsyncOptions } from './async.js';
import type { UnaryOpName } from './binding-types.js';
import { checkTensor, fillOutput, requireFloat } from './util.js';

const opNames: Record<UnaryOpName, string> = {
  relu: 'relu',
  relu6: 'relu6',
  leakyRelu: 'leakyRelu',
  elu: 'elu',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  exp: 'exp',
  log: 'log',
  neg: 'neg',
  abs: 'abs',
  sqrt: 'sqrt',
  square: 'square',
  softplus: 'softplus',
  swish: 'swish',
  reciprocal: 'reciprocal',
  rsqrt: 'rsqrt',
  sign: 'sign',
  step: 'stepMask',
  minScalar: 'minScalar',
  maxScalar: 'maxScalar',
  clip: 'clip',
  powScalar: 'powScalar',
};

/** The attributes the tape records for an op (the names its gradient reads). */
function attrsOf(op: UnaryOpName, alpha: number, beta: number): Record<string, number> {
  switch (op) {
    case 'leakyRelu':
    case 'elu':
      return { alpha };
    case 'minScalar':
    case 'maxScalar':
      return { s: alpha };
    case 'clip':
      return { lo: alpha, hi: beta };
    case 'powScalar':
      return { p: alpha };
    default:
      return {};
  }
}

function checkParam(op: UnaryOpName, name: 'alpha' | 'beta', v: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new RangeError(`${op}(): ${name} must be a finite number, got ${String(v)}`);
}

function checkArgs(op: UnaryOpName, x: Tensor, alpha: number, beta: number): void {
  checkTensor(x, `${op}(): x`);
  requireFloat(x, `${op}(): x`);
  checkParam(op, 'alpha', alpha);
  checkParam(op, 'beta', beta);
  if (op === 'clip' && !(alpha <= beta)) throw new RangeError(`clip(): lo must be <= hi, got lo=${alpha}, hi=${beta}`);
}

/** op(x) elementwise; alpha/beta are the op's parameters (leakyRelu slope, clip's lo/hi, ...). */
export function unaryOp(op: UnaryOpName, x: Tensor, alpha = 0, beta = 0): Tensor {
  checkArgs(op, x, alpha, beta);
  return runNativeOp(opNames[op], [x], attrsOf(op, alpha, beta), () =>
    fillOutput(allocTensor(x.shape), (out) => native().unary(op, f32(x), f32(out), alpha, beta)),
  );
}

export function unaryOpAsync(op: UnaryOpName, x: Tensor, alpha = 0, opts?: AsyncOptions, beta = 0): Promise<Tensor> {
  try {
    checkArgs(op, x, alpha, beta);
  } catch (e) {
    return Promise.reject(e);
  }
  return runOpAsync(opNames[op], [x], attrsOf(op, alpha, beta), () => {
    const out = allocTensor(x.shape);
    return nativeAsync([x], out, (cell) => native().unaryAsync(op, f32(x), f32(out), alpha, beta, cell), opts);
  });
}

export const relu = (x: Tensor): Tensor => unaryOp('relu', x);
export const relu6 = (x: Tensor): Tensor => unaryOp('relu6', x);
/** x for x >= 0, alpha * x otherwise (TF.js default alpha 0.2). */
export const leakyRelu = (x: Tensor, alpha = 0.2): Tensor => unaryOp('leakyRelu', x, alpha);
/** x for x >= 0, alpha * (e^x - 1) otherwise. */
export const elu = (x: Tensor, alpha = 1): Tensor => unaryOp('elu', x, alpha);
export const sigmoid = (x: Tensor): Tensor => unaryOp('sigmoid', x);
export const tanh = (x: Tensor): Tensor => unaryOp('tanh', x);
export const exp = (x: Tensor): Tensor => unaryOp('exp', x);
export const log = (x: Tensor): Tensor => unaryOp('log', x);
export const neg = (x: Tensor): Tensor => unaryOp('neg', x);
export const abs = (x: Tensor): Tensor => unaryOp('abs', x);
export const sqrt = (x: Tensor): Tensor => unaryOp('sqrt', x);
export const square = (x: Tensor): Tensor => unaryOp('square', x);
/** log(1 + e^x), computed without overflow. */
export const softplus = (x: Tensor): Tensor => unaryOp('softplus', x);
/** x * sigmoid(x) (also called SiLU). */
export const swish = (x: Tensor): Tensor => unaryOp('swish', x);
export const reciprocal = (x: Tensor): Tensor => unaryOp('reciprocal', x);
