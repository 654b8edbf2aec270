// The plain reference matmul and conv2d (native/reference), for testing the fast kernels: slow on
// purpose, double accumulation. Internal: not exported from lib/index.ts.
import { native } from '../native/index.js';
import { allocTensor, f32 } from '../tensor/internal.js';
import { fmt } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { nativeAsync, type AsyncOptions } from './async.js';
import { checkTensor, fillOutput, requireFloat } from './util.js';
import './binding-types.js';

export interface MatMulOptions {
  transposeA?: boolean;
  transposeB?: boolean;
}

function mmPlan(a: Tensor, b: Tensor, o: MatMulOptions) {
  checkTensor(a, 'referenceMatMul(): a');
  checkTensor(b, 'referenceMatMul(): b');
  requireFloat(a, 'referenceMatMul(): a');
  requireFloat(b, 'referenceMatMul(): b');
  if (a.rank !== 2 || b.rank !== 2) throw new RangeError(`referenceMatMul(): a and b must be 2-D, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  const ta = o.transposeA ?? false, tb = o.transposeB ?? false;
  const M = ta ? a.shape[1]! : a.shape[0]!, K = ta ? a.shape[0]! : a.shape[1]!;
  const K2 = tb ? b.shape[1]! : b.shape[0]!, N = tb ? b.shape[0]! : b.shape[1]!;
  if (K !== K2) throw new RangeError(`referenceMatMul(): inner dimensions differ: a ${fmt(a.shape)} and b ${fmt(b.shape)} (K ${K} vs ${K2})`);
  return { ta, tb, M, N, K };
}

export function referenceMatMul(a: Tensor, b: Tensor, opts: MatMulOptions = {}): Tensor {
  const { ta, tb, M, N, K } = mmPlan(a, b, opts);
  return fillOutput(allocTensor([M, N]), (c) => native().referenceMatmul(ta, tb, M, N, K, f32(a), f32(b), f32(c)));
}

export function referenceMatMulAsync(a: Tensor, b: Tensor, opts: MatMulOptions & AsyncOptions = {}): Promise<Tensor> {
  try {
    const { ta, tb, M, N, K } = mmPlan(a, b, opts);
    const c = allocTensor([M, N]);
    return nativeAsync([a, b], c, (cell) => native().referenceMatmulAsync(ta, tb, M, N, K, f32(a), f32(b), f32(c), cell), opts);
  } catch (e) {
    return Promise.reject(e);
  }
}

export interface Conv2dOptions {
  strides?: [number, number] | number;
  dilations?: [number, number] | number;
  padding?: 'valid' | 'same';
  groups?: number;
}

function pair(v: [number, number] | number | undefined, what: string): [number, number] {
  if (v === undefined) return [1, 1];
  const p: unknown[] = typeof v === 'number' ? [v, v] : v;
  if (p.length !== 2 || !p.every((k) => typeof k === 'number' && Number.isInteger(k) && k >= 1))
    throw new RangeError(`referenceConv2d(): ${what} must be a positive integer or a pair of them, got ${JSON.stringify(v)}`);
  return p as [number, number];
}

function convPlan(x: Tensor, w: Tensor, bias: Tensor | null, o: Conv2dOptions) {
  checkTensor(x, 'referenceConv2d(): x');
  checkTensor(w, 'referenceConv2d(): filter');
  if (bias) checkTensor(bias, 'referenceConv2d(): bias');
  requireFloat(x, 'referenceConv2d(): x');
  requireFloat(w, 'referenceConv2d(): filter');
  const strides = pair(o.strides, 'strides'), dil = pair(o.dilations, 'dilations');
  const padding = o.padding ?? 'valid', groups = o.groups ?? 1;
  const g = native().conv2dGeometry(x.shape, w.shape, strides, dil, padding, groups);
  return { strides, dil, padding, groups, outShape: g.outShape };
}

/** NHWC input, HWIO filter [KH, KW, C/groups, OC], optional bias [OC]. */
export function referenceConv2d(x: Tensor, filter: Tensor, bias: Tensor | null = null, opts: Conv2dOptions = {}): Tensor {
  const p = convPlan(x, filter, bias, opts);
  return fillOutput(allocTensor(p.outShape), (y) =>
    native().referenceConv2d(f32(x), x.shape, f32(filter), filter.shape, bias ? f32(bias) : null, f32(y), p.strides, p.dil, p.padding, p.groups),
  );
}

export function referenceConv2dAsync(
  x: Tensor,
  filter: Tensor,
  bias: Tensor | null = null,
  opts: Conv2dOptions & AsyncOptions = {},
): Promise<Tensor> {
  try {
    const p = convPlan(x, filter, bias, opts);
    const y = allocTensor(p.outShape);
    const inputs = bias ? [x, filter, bias] : [x, filter];
    return nativeAsync(inputs, y, (cell) =>
      native().referenceConv2dAsync(
        f32(x), x.shape, f32(filter), filter.shape, bias ? f32(bias) : null, f32(y), p.strides, p.dil, p.padding, p.groups, cell,
      ), opts);
  } catch (e) {
    return Promise.reject(e);
  }
}
