// Every foundation op vs a plain JavaScript (double precision) reference, on odd shapes, on every ISA.
import { afterAll, describe, expect, it } from 'vitest';
import * as ck from '../lib/index.js';
import { referenceConv2d, referenceMatMul } from '../lib/ops/reference.js';

const isas = ck.backendInfo().availableIsas;
afterAll(() => ck.setIsa(null));

function rand(n: number, seed: number, lo = -3, hi = 3): Float32Array {
  const r = new ck.Rng(seed);
  return Float32Array.from({ length: n }, () => r.uniform(lo, hi));
}
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number, what: string) {
  expect(got.length, `${what}: length`).toBe(want.length);
  let bad = 0;
  let first = '';
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    const ok = Number.isNaN(w) ? Number.isNaN(g) : !Number.isFinite(w) ? g === Math.fround(w) : Math.abs(g - w) <= atol + rtol * Math.abs(w);
    if (!ok && bad++ === 0) first = `at ${i}: got ${g}, want ${w}`;
  }
  expect(bad, `${what}: ${bad} mismatches, first ${first}`).toBe(0);
}

// Index into a broadcast operand for output multi-index idx.
function bcastIndex(shape: readonly number[], outShape: readonly number[], idx: number[]): number {
  let off = 0;
  const k = shape.length, r = outShape.length;
  for (let i = 0; i < k; i++) off = off * shape[i]! + (shape[i] === 1 ? 0 : idx[r - k + i]!);
  return off;
}
function* indices(shape: readonly number[]): Generator<number[]> {
  const n = size(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let e = 0; e < n; e++) {
    yield idx;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}

const unaryRefs: Record<string, [(x: ck.Tensor) => ck.Tensor, (x: number) => number, [number, number]]> = {
  relu: [ck.relu, (x) => Math.max(0, x), [-5, 5]],
  relu6: [ck.relu6, (x) => Math.min(6, Math.max(0, x)), [-9, 9]],
  leakyRelu: [(x) => ck.leakyRelu(x, 0.1), (x) => (x < 0 ? 0.1 * x : x), [-5, 5]],
  elu: [(x) => ck.elu(x, 1.5), (x) => (x < 0 ? 1.5 * Math.expm1(x) : x), [-5, 5]],
  sigmoid: [ck.sigmoid, (x) => 1 / (1 + Math.exp(-x)), [-20, 20]],
  tanh: [ck.tanh, Math.tanh, [-6, 6]],
  exp: [ck.exp, Math.exp, [-80, 80]],
  log: [ck.log, Math.log, [1e-6, 100]],
  neg: [ck.neg, (x) => -x, [-5, 5]],
  abs: [ck.abs, Math.abs, [-5, 5]],
  sqrt: [ck.sqrt, Math.sqrt, [0, 50]],
  square: [ck.square, (x) => x * x, [-5, 5]],
  softplus: [ck.softplus, (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))), [-30, 30]],
  swish: [ck.swish, (x) => x / (1 + Math.exp(-x)), [-10, 10]],
  reciprocal: [ck.reciprocal, (x) => 1 / x, [0.1, 10]],
};

describe.each(isas)('ops on ISA %s', (isa) => {
  it('unary ops match the reference on odd shapes', () => {
    ck.setIsa(isa);
    for (const shape of [[1], [7], [3, 17], [2, 3, 33], [1001]]) {
      for (const [name, [fn, ref, [lo, hi]]] of Object.entries(unaryRefs)) {
        const data = rand(size(shape), shape.length * 7 + name.length, lo, hi);
        const x = ck.tensor(data, shape);
        const y = fn(x);
        expect(y.shape).toEqual(shape);
        expectClose(y.dataSync(), Array.from(data, ref), 1e-6, 5e-6, `${name} ${JSON.stringify(shape)}`);
        x.dispose();
        y.dispose();
      }
    }
  });

  it('binary ops broadcast like NumPy', () => {
    ck.setIsa(isa);
    const cases: [number[], number[]][] = [
      [[17], [17]],
      [[2, 3, 5], [5]],
      [[2, 1, 5], [3, 1]],
      [[5, 1], [1, 7]],
      [[], [3, 2]],
      [[7, 1, 33], [7, 4, 33]],
      [[3, 1, 1, 2], [5, 9, 1]],
      [[0, 3], [3]],
    ];
    const refs: Record<string, [(a: ck.Tensor, b: ck.Tensor) => ck.Tensor, (a: number, b: number) => number]> = {
      add: [ck.add, (a, b) => a + b],
      sub: [ck.sub, (a, b) => a - b],
      mul: [ck.mul, (a, b) => a * b],
      div: [ck.div, (a, b) => a / b],
      maximum: [ck.maximum, Math.max],
      minimum: [ck.minimum, Math.min],
      squaredDifference: [ck.squaredDifference, (a, b) => (a - b) ** 2],
    };
    for (const [as, bs] of cases) {
      const ad = rand(size(as), 1), bd = rand(size(bs), 2);
      const a = ck.tensor(ad, as), b = ck.tensor(bd, bs);
      const outShape = ck.broadcastShapes(as, bs);
      for (const [name, [fn, ref]] of Object.entries(refs)) {
        const y = fn(a, b);
        expect(y.shape).toEqual(outShape);
        const want: number[] = [];
        for (const idx of indices(outShape)) want.push(ref(ad[bcastIndex(as, outShape, idx)]!, bd[bcastIndex(bs, outShape, idx)]!));
        expectClose(y.dataSync(), want, 1e-6, 1e-6, `${name} ${JSON.stringify(as)} x ${JSON.stringify(bs)}`);
        y.dispose();
      }
    }
  });

  it('reductions with axes and keepDims', () => {
    ck.setIsa(isa);
    const x = ck.tensor(rand(3 * 5 * 7, 3), [3, 5, 7]);
    const data = x.dataSync();
    const ref = (axes: number[], op: 'sum' | 'mean' | 'max' | 'min') => {
      const outShape = x.shape.filter((_, i) => !axes.includes(i));
      const acc = new Array<number>(size(outShape)).fill(op === 'max' ? -Infinity : op === 'min' ? Infinity : 0);
      let e = 0;
      for (const idx of indices(x.shape)) {
        let o = 0;
        for (let i = 0; i < 3; i++) if (!axes.includes(i)) o = o * x.shape[i]! + idx[i]!;
        const v = data[e++]!;
        acc[o] = op === 'max' ? Math.max(acc[o]!, v) : op === 'min' ? Math.min(acc[o]!, v) : acc[o]! + v;
      }
      const R = size(axes.map((a) => x.shape[a]!));
      return op === 'mean' ? acc.map((v) => v / R) : acc;
    };
    for (const axes of [[0], [1], [2], [0, 2], [0, 1, 2], [1, 2]]) {
      for (const op of ['sum', 'mean', 'max', 'min'] as const) {
        const y = ck[op](x, axes);
        expectClose(y.dataSync(), ref(axes, op), 1e-5, 1e-5, `${op} ${JSON.stringify(axes)}`);
        const k = ck[op](x, axes, true);
        expect(k.shape).toEqual(x.shape.map((d, i) => (axes.includes(i) ? 1 : d)));
        y.dispose();
        k.dispose();
      }
    }
    expect(ck.sum(x).shape).toEqual([]);
    expect(ck.mean(x, -1).shape).toEqual([3, 5]);
    const am = ck.argMax(x, 2).dataSync();
    for (let i = 0; i < 15; i++) {
      let best = 0;
      for (let j = 1; j < 7; j++) if (data[i * 7 + j]! > data[i * 7 + best]!) best = j;
      expect(am[i]).toBe(best);
    }
    expect(ck.argMin(x, 0).dtype).toBe('int32');
  });

  it('softmax and logSoftmax along any axis', () => {
    ck.setIsa(isa);
    for (const [shape, axis] of [[[4, 33], -1], [[2, 5, 3], 1], [[6], 0], [[3, 4, 2], 0]] as [number[], number][]) {
      const data = rand(size(shape), 4, -20, 20);
      const x = ck.tensor(data, shape);
      const ax = axis < 0 ? axis + shape.length : axis;
      const n = shape[ax]!, inner = size(shape.slice(ax + 1)), outer = size(shape.slice(0, ax));
      const want = new Array<number>(data.length), wantLog = new Array<number>(data.length);
      for (let o = 0; o < outer; o++)
        for (let i = 0; i < inner; i++) {
          let m = -Infinity, s = 0;
          for (let j = 0; j < n; j++) m = Math.max(m, data[(o * n + j) * inner + i]!);
          for (let j = 0; j < n; j++) s += Math.exp(data[(o * n + j) * inner + i]! - m);
          for (let j = 0; j < n; j++) {
            const k = (o * n + j) * inner + i;
            wantLog[k] = data[k]! - m - Math.log(s);
            want[k] = Math.exp(wantLog[k]!);
          }
        }
      expectClose(ck.softmax(x, axis).dataSync(), want, 1e-7, 1e-5, `softmax ${JSON.stringify(shape)}`);
      expectClose(ck.logSoftmax(x, axis).dataSync(), wantLog, 1e-5, 1e-5, `logSoftmax ${JSON.stringify(shape)}`);
    }
  });
});

describe('layout ops', () => {
  it('transpose any permutation, float32 and int32', () => {
    for (const [shape, perm] of [[[2, 3, 4], [2, 0, 1]], [[3, 5], [1, 0]], [[2, 3, 4, 5], [3, 1, 0, 2]], [[1, 7, 1, 3], undefined]] as [number[], number[] | undefined][]) {
      for (const dtype of ['float32', 'int32'] as const) {
        const x = ck.tensor(Float32Array.from({ length: size(shape) }, (_, i) => i), shape, dtype);
        const p = perm ?? shape.map((_, i) => shape.length - 1 - i);
        const y = ck.transpose(x, perm);
        expect(y.shape).toEqual(p.map((a) => shape[a]));
        expect(y.dtype).toBe(dtype);
        const strides = shape.map((_, i) => size(shape.slice(i + 1)));
        const want: number[] = [];
        for (const idx of indices(y.shape)) want.push(idx.reduce((s, v, k) => s + v * strides[p[k]!]!, 0));
        expect(Array.from(y.dataSync())).toEqual(want);
      }
    }
  });

  it('cast, concat, slice', () => {
    const f = ck.tensor([1.9, -1.9, NaN, 3e9]);
    expect(Array.from(ck.cast(f, 'int32').dataSync())).toEqual([1, -1, 0, 2147483647]);
    expect(ck.cast(ck.tensor([3], undefined, 'int32'), 'float32').dtype).toBe('float32');
    const a = ck.tensor([[1, 2], [3, 4]]), b = ck.tensor([[5], [6]]);
    expect(ck.concat([a, b], 1).arraySync()).toEqual([[1, 2, 5], [3, 4, 6]]);
    expect(ck.concat([a, a], 0).shape).toEqual([4, 2]);
    const x = ck.tensor(Float32Array.from({ length: 24 }, (_, i) => i), [2, 3, 4]);
    expect(ck.slice(x, [1, 1, 1], [1, 2, -1]).arraySync()).toEqual([[[17, 18, 19], [21, 22, 23]]]);
    expect(() => ck.slice(x, [0, 0, 3], [1, 1, 2])).toThrow(/out of bounds/);
    expect(() => ck.concat([a, ck.tensor([1, 2, 3])], 0)).toThrow(/incompatible/);
  });

  it('int32 add/mul/maximum broadcast; div rejects int32', () => {
    const a = ck.tensor(new Int32Array([1, 2, 3])), b = ck.tensor(new Int32Array([10]));
    expect(Array.from(ck.add(a, b).dataSync())).toEqual([11, 12, 13]);
    expect(ck.mul(a, 2).dtype).toBe('int32');
    expect(() => ck.div(a, b)).toThrow(TypeError);
  });
});

describe('reference matmul and conv2d', () => {
  it('matmul matches a JS triple loop, with transposes', () => {
    const M = 5, N = 7, K = 9;
    const a = ck.tensor(rand(M * K, 5), [M, K]), b = ck.tensor(rand(K * N, 6), [K, N]);
    const ad = a.dataSync(), bd = b.dataSync();
    const want: number[] = [];
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += ad[m * K + k]! * bd[k * N + n]!;
        want.push(s);
      }
    expectClose(referenceMatMul(a, b).dataSync(), want, 1e-5, 1e-6, 'matmul');
    const c = referenceMatMul(ck.transpose(a), ck.transpose(b), { transposeA: true, transposeB: true });
    expectClose(c.dataSync(), want, 1e-5, 1e-6, 'matmul^T');
    expect(() => referenceMatMul(a, a)).toThrow(/inner dimensions differ/);
  });

  it('conv2d matches a JS loop (same padding, stride 2, dilation, groups, bias)', () => {
    const [N, H, W, C, KH, KW, OC] = [2, 7, 6, 4, 3, 3, 8];
    for (const [padding, s, d, g] of [['same', 2, 1, 1], ['valid', 1, 2, 2], ['same', 1, 1, 4]] as ['same' | 'valid', number, number, number][]) {
      const x = ck.tensor(rand(N * H * W * C, 7), [N, H, W, C]);
      const w = ck.tensor(rand(KH * KW * (C / g) * OC, 8), [KH, KW, C / g, OC]);
      const bias = ck.tensor(rand(OC, 9));
      const y = referenceConv2d(x, w, bias, { padding, strides: s, dilations: d, groups: g });
      const ekh = (KH - 1) * d + 1, ekw = (KW - 1) * d + 1;
      const OH = padding === 'same' ? Math.ceil(H / s) : Math.floor((H - ekh) / s) + 1;
      const OW = padding === 'same' ? Math.ceil(W / s) : Math.floor((W - ekw) / s) + 1;
      const pt = padding === 'same' ? Math.floor(Math.max((OH - 1) * s + ekh - H, 0) / 2) : 0;
      const pl = padding === 'same' ? Math.floor(Math.max((OW - 1) * s + ekw - W, 0) / 2) : 0;
      expect(y.shape).toEqual([N, OH, OW, OC]);
      const xd = x.dataSync(), wd = w.dataSync(), bd = bias.dataSync();
      const cg = C / g, og = OC / g;
      const want: number[] = [];
      for (let n = 0; n < N; n++)
        for (let oh = 0; oh < OH; oh++)
          for (let ow = 0; ow < OW; ow++)
            for (let oc = 0; oc < OC; oc++) {
              let acc = bd[oc]!;
              const grp = Math.floor(oc / og);
              for (let kh = 0; kh < KH; kh++)
                for (let kw = 0; kw < KW; kw++) {
                  const ih = oh * s + kh * d - pt, iw = ow * s + kw * d - pl;
                  if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                  for (let ci = 0; ci < cg; ci++)
                    acc += xd[((n * H + ih) * W + iw) * C + grp * cg + ci]! * wd[((kh * KW + kw) * cg + ci) * OC + oc]!;
                }
              want.push(acc);
            }
      expectClose(y.dataSync(), want, 1e-5, 1e-5, `conv2d ${padding} s${s} d${d} g${g}`);
    }
  });
});
