// The native data-movement kernels behind the backend (native/ops/movement.cc): broadcastTo, pad
// (and slicePad, its adjoint of slice), nearest upsampling, on every ISA, against plain
// references written here with odd sizes, size-0 and size-1 axes, ranks 0–5; the random masks
// against lib/random's JavaScript generator (bit-for-bit the same stream, state advanced
// alike); bad arguments are clear errors.
import { afterAll, describe, expect, it } from 'vitest';
import * as ck from '../../lib/index.js';
import * as K from '../../lib/layers/backend.js';
import { Rng } from '../../lib/random/index.js';
import { native } from '../../lib/native/index.js';
import { randomTensor } from '../helpers/gradcheck.js';

const isas = ck.backendInfo().availableIsas;
afterAll(() => ck.setIsa(null));

const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const strides = (s: readonly number[]): number[] => s.map((_, i) => size(s.slice(i + 1)));
/** Multi-index of flat index i in shape s. */
const unravel = (i: number, s: readonly number[]): number[] => s.map((d, k) => Math.floor(i / size(s.slice(k + 1))) % d);

function refBroadcast(x: Float32Array, xs: number[], os: number[]): Float32Array {
  const out = new Float32Array(size(os));
  const xst = strides(xs);
  const off = os.length - xs.length;
  for (let i = 0; i < out.length; i++) {
    const idx = unravel(i, os);
    let j = 0;
    xs.forEach((d, k) => (j += (d === 1 ? 0 : idx[k + off]!) * xst[k]!));
    out[i] = x[j]!;
  }
  return out;
}

function refPad(x: Float32Array, xs: number[], before: number[], after: number[], value: number): Float32Array {
  const os = xs.map((d, k) => d + before[k]! + after[k]!);
  const out = new Float32Array(size(os)).fill(value);
  const ost = strides(os);
  for (let i = 0; i < x.length; i++) {
    const idx = unravel(i, xs);
    out[idx.reduce((a, v, k) => a + (v + before[k]!) * ost[k]!, 0)] = x[i]!;
  }
  return out;
}

const tensorOf = (shape: number[], seed: number): ck.Tensor => (size(shape) === 0 ? ck.tensor(new Float32Array(0), shape) : randomTensor(shape, seed));

describe.each(isas)('movement kernels on %s', (isa) => {
  it('broadcastTo', () => {
    ck.setIsa(isa);
    const cases: [number[], number[]][] = [
      [[], [3, 2]], [[1], [5]], [[3, 1], [2, 3, 7]], [[1, 7], [3, 7]], [[2, 1, 3, 1, 5], [2, 4, 3, 2, 5]],
      [[5], [2, 3, 5]], [[1, 1], [1, 1]], [[4, 1], [4, 0]], [[33, 1, 17], [33, 9, 17]], [[1, 1, 1], [2, 1, 3]],
    ];
    for (const [xs, os] of cases) {
      const x = tensorOf(xs, 3);
      const y = K.broadcastTo(x, os);
      expect(y.shape).toEqual(os);
      expect(Array.from(y.dataSync())).toEqual(Array.from(refBroadcast(x.dataSync() as Float32Array, xs, os)));
    }
  });

  it('pad and slicePad', () => {
    ck.setIsa(isa);
    const cases: [number[], [number, number][], number][] = [
      [[3], [[2, 1]], 0], [[2, 3], [[0, 0], [1, 2]], 1.5], [[2, 3, 4], [[1, 0], [0, 2], [3, 1]], -2],
      [[1, 5, 7, 3], [[0, 0], [2, 2], [1, 3], [0, 0]], 0], [[2, 0, 3], [[1, 1], [1, 0], [0, 1]], 4],
      [[2, 3, 1, 2, 3], [[0, 1], [1, 0], [2, 2], [0, 0], [1, 1]], 0], [[], [], 0],
    ];
    for (const [xs, pads, value] of cases) {
      const x = tensorOf(xs, 5);
      const y = K.pad(x, pads, value);
      const want = refPad(x.dataSync() as Float32Array, xs, pads.map((p) => p[0]), pads.map((p) => p[1]), value);
      expect(Array.from(y.dataSync())).toEqual(Array.from(want));
      const z = K.slicePad(x, y.shape, pads.map((p) => p[0]));
      expect(Array.from(z.dataSync())).toEqual(Array.from(refPad(x.dataSync() as Float32Array, xs, pads.map((p) => p[0]), pads.map((p) => p[1]), 0)));
    }
  });

  it('upsampleNearest2d', () => {
    ck.setIsa(isa);
    for (const [shape, f] of [[[2, 3, 5, 3], [2, 3]], [[1, 4, 2, 1], [3, 1]], [[1, 1, 1, 17], [1, 1]], [[3, 2, 3, 2], [1, 4]]] as [number[], [number, number]][]) {
      const x = randomTensor(shape, 7);
      const y = K.upsampleNearest2d(x, f);
      const [n, h, w, c] = shape as [number, number, number, number];
      const xv = x.dataSync();
      const want: number[] = [];
      for (let b = 0; b < n; b++) for (let i = 0; i < h * f[0]; i++) for (let j = 0; j < w * f[1]; j++) for (let k = 0; k < c; k++)
        want.push(xv[((b * h + Math.floor(i / f[0])) * w + Math.floor(j / f[1])) * c + k]!);
      expect(y.shape).toEqual([n, h * f[0], w * f[1], c]);
      expect(Array.from(y.dataSync())).toEqual(want);
    }
  });
});

/** Bilinear with half-pixel centres (TF2 resize / Keras UpSampling2D bilinear), in double. */
function refBilinear(x: Float32Array, [n, h, w, c]: number[], [sh, sw]: number[]): Float64Array {
  const H = h! * sh!, W = w! * sw!;
  const out = new Float64Array(n! * H * W * c!);
  const src = (i: number, s: number, len: number): [number, number, number] => {
    const f = Math.min(Math.max((i + 0.5) / s - 0.5, 0), len - 1);
    const a = Math.floor(f);
    return [a, Math.min(a + 1, len - 1), f - a];
  };
  for (let b = 0; b < n!; b++) for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) {
    const [y0, y1, fy] = src(i, sh!, h!);
    const [x0, x1, fx] = src(j, sw!, w!);
    for (let k = 0; k < c!; k++) {
      const at = (y: number, xx: number): number => x[((b * h! + y) * w! + xx) * c! + k]!;
      out[((b * H + i) * W + j) * c! + k] = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x1)) + fy * ((1 - fx) * at(y1, x0) + fx * at(y1, x1));
    }
  }
  return out;
}

describe.each(isas)('bilinear upsampling on %s', (isa) => {
  it('forward against the plain reference; adjoint satisfies <up(x), g> = <x, up*(g)>', () => {
    ck.setIsa(isa);
    for (const [shape, f] of [[[2, 3, 5, 3], [2, 3]], [[1, 4, 2, 1], [3, 1]], [[1, 1, 1, 5], [2, 2]], [[3, 2, 3, 2], [1, 4]], [[1, 6, 7, 17], [2, 2]]] as [number[], [number, number]][]) {
      const x = randomTensor(shape, 8);
      const y = K.upsampleBilinear2d(x, f);
      const ref = refBilinear(x.dataSync() as Float32Array, shape, f);
      const got = y.dataSync();
      for (let i = 0; i < ref.length; i++) if (Math.abs(got[i]! - ref[i]!) > 1e-6) expect.fail(`bilinear ${shape} ${f} at ${i}: ${got[i]} vs ${ref[i]}`);
      const g = randomTensor([...y.shape], 9);
      const adj = K.bilinearAdjoint(g, shape, f).dataSync();
      let lhs = 0;
      let rhs = 0;
      const gv = g.dataSync();
      const xv = x.dataSync();
      for (let i = 0; i < ref.length; i++) lhs += ref[i]! * gv[i]!;
      for (let i = 0; i < xv.length; i++) rhs += xv[i]! * adj[i]!;
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-4 * (1 + Math.abs(lhs)));
    }
  });
});

describe('random masks continue the JavaScript generator', () => {
  it('Rng is xoshiro128** (known prefix for state {1, 2, 3, 4}, computed independently)', () => {
    const r = new Rng(0);
    r.loadState(new Int32Array([1, 2, 3, 4]));
    expect([0, 1, 2, 3, 4].map(() => r.nextUint32())).toEqual([11520, 0, 5927040, 70819200, 2031721883]);
  });

  it('dropoutMask and randomUniformTensor equal Rng draws, and leave Rng where it would be', () => {
    for (const [n, rate] of [[1, 0.5], [1001, 0.2], [65537, 0.75], [10, 0]] as [number, number][]) {
      const a = new Rng(123 + n);
      const b = new Rng(123 + n);
      const mask = K.dropoutMask([n], rate, a).dataSync();
      const keep = Math.fround(1 / (1 - rate));
      for (let i = 0; i < n; i++) if (mask[i] !== (b.random() >= rate ? keep : 0)) expect.fail(`mask ${i} of ${n}`);
      expect(a.nextUint32()).toBe(b.nextUint32());
      const u = K.randomUniformTensor([n], -0.3, 0.7, a).dataSync();
      for (let i = 0; i < n; i++) if (u[i] !== Math.fround(b.uniform(-0.3, 0.7))) expect.fail(`uniform ${i} of ${n}`);
      expect(a.random()).toBe(b.random());
    }
    // The kept fraction is 1 − rate (binomial, 100k draws: ±5 standard deviations).
    const m = K.dropoutMask([100000], 0.3, new Rng(1)).dataSync();
    let kept = 0;
    for (const v of m) kept += v > 0 ? 1 : 0;
    expect(Math.abs(kept - 70000)).toBeLessThan(5 * Math.sqrt(100000 * 0.21));
  });
});

describe('errors', () => {
  it('name the argument', () => {
    const x = randomTensor([2, 3], 1);
    expect(() => K.broadcastTo(x, [3, 3])).toThrow(/broadcastTo/);
    expect(() => K.pad(x, [[1, 0]])).toThrow(/pad: paddings need 2 pairs, got 1/);
    expect(() => K.pad(x, [[-1, 0], [0, 0]])).toThrow(/pad: paddings must be pairs of non-negative integers/);
    expect(() => K.pad(x, [[0, 0], [0, 0]], Number.NaN)).toThrow(/pad: value must be finite/);
    expect(() => K.slicePad(x, [2, 3], [0, 1])).toThrow(/does not fit/);
    // The binding checks its own arguments (RangeError/TypeError naming them).
    const n = native();
    expect(() => n.randomMask(new Int32Array(3), 0.5, new Float32Array(2))).toThrow(/state/);
    expect(() => n.randomMask(new Int32Array(4), 1, new Float32Array(2))).toThrow(/rate: expected a number in \[0, 1\)/);
    expect(() => n.upsampleNearest2d(new Float32Array(4), [1, 2, 2], [2, 2], new Float32Array(16))).toThrow(/dims: expected \[n, h, w, c\]/);
    expect(() => n.broadcastTo(new Float32Array(3), [3], new Float32Array(5), [6])).toThrow(/out/);
  });
});
