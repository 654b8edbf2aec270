// Pooling and zero padding from JavaScript on every ISA, against plain references written here.
import { afterAll, describe, expect, it } from 'vitest';
import * as ck from '../lib/index.js';
import { avgPool2d, globalAvgPool, globalMaxPool, globalPoolBackward, maxPool1d, maxPool2d, avgPool3d, pool, poolBackward, type PoolKind } from '../lib/ops/pool.js';
import { zeroPad, zeroPadBackward } from '../lib/ops/pad.js';
import { activationGrad } from '../lib/autodiff/native_grad.js';
import { valueAndGradsOf } from '../lib/autodiff/index.js';
import { convForward } from '../lib/ops/conv.js';

let seed = 99;
function rnd(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    a[i] = (seed / 2 ** 32) * 2 - 1;
  }
  return a;
}

// 2-D reference with Keras semantics (padding never wins / is not counted).
function ref2d(x: Float32Array, N: number, H: number, W: number, C: number, k: number, s: number, same: boolean, kind: PoolKind, dy: Float32Array | null) {
  const OH = same ? Math.ceil(H / s) : Math.floor((H - k) / s) + 1;
  const OW = same ? Math.ceil(W / s) : Math.floor((W - k) / s) + 1;
  const th = same ? Math.max((OH - 1) * s + k - H, 0) : 0, tw = same ? Math.max((OW - 1) * s + k - W, 0) : 0;
  const pt = Math.floor(th / 2), pl = Math.floor(tw / 2);
  const y = new Float64Array(N * OH * OW * C), dx = new Float64Array(x.length);
  for (let n = 0; n < N; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let c = 0; c < C; c++) {
    let best = -Infinity, arg = -1, sum = 0, cnt = 0;
    const idx: number[] = [];
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
      const ih = oh * s + i - pt, iw = ow * s + j - pl;
      if (ih < 0 || iw < 0 || ih >= H || iw >= W) continue;
      const q = ((n * H + ih) * W + iw) * C + c;
      idx.push(q);
      sum += x[q]!;
      cnt++;
      if (x[q]! > best) { best = x[q]!; arg = q; }
    }
    const o = ((n * OH + oh) * OW + ow) * C + c;
    y[o] = kind === 'max' ? best : sum / cnt;
    if (dy) {
      if (kind === 'max') dx[arg]! += dy[o]!;
      else for (const q of idx) dx[q]! += dy[o]! / cnt;
    }
  }
  return { y, dx, OH, OW };
}

function close(got: ArrayLike<number>, want: ArrayLike<number>): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-5);
}

afterAll(() => ck.setIsa(null));

describe.each(ck.backendInfo().availableIsas)('pooling on %s', (isa) => {
  it.each([
    [2, 2, false], [3, 2, true], [3, 1, true], [2, 3, false],
  ] as const)('max/avg 2d window %i stride %i same=%s, forward and backward', (k, s, same) => {
    ck.setIsa(isa);
    const N = 2, H = 9, W = 11, C = 19;
    const xd = rnd(N * H * W * C);
    const x = ck.tensor(xd, [N, H, W, C]);
    for (const kind of ['max', 'avg'] as const) {
      const pre = ref2d(xd, N, H, W, C, k, s, same, kind, null);
      const dyd = rnd(N * pre.OH * pre.OW * C);
      const r = ref2d(xd, N, H, W, C, k, s, same, kind, dyd);
      const opts = { poolSize: k, strides: s, padding: same ? ('same' as const) : ('valid' as const) };
      const y = kind === 'max' ? maxPool2d(x, opts) : avgPool2d(x, opts);
      expect(y.shape).toEqual([N, r.OH, r.OW, C]);
      close(y.dataSync(), r.y);
      close(poolBackward(x, ck.tensor(dyd, [N, r.OH, r.OW, C]), kind, opts).dataSync(), r.dx);
    }
  });

  // Max pooling runs whole output rows natively; every channel count 1..17 (all masked-tail widths),
  // odd sizes, window/stride pairs below, equal to and above each other, 'same' and 'valid'.
  it('max 2d, channels 1..17, odd sizes and strides != window, forward and backward', () => {
    ck.setIsa(isa);
    for (let C = 1; C <= 17; C++) {
      for (const [k, s, same] of [[2, 2, true], [3, 2, false], [2, 3, true]] as const) {
        const N = 1, H = 7, W = 9 + (C % 3);
        const xd = rnd(N * H * W * C);
        const pre = ref2d(xd, N, H, W, C, k, s, same, 'max', null);
        const dyd = rnd(N * pre.OH * pre.OW * C);
        const r = ref2d(xd, N, H, W, C, k, s, same, 'max', dyd);
        const opts = { poolSize: k, strides: s, padding: same ? ('same' as const) : ('valid' as const) };
        const x = ck.tensor(xd, [N, H, W, C]);
        close(maxPool2d(x, opts).dataSync(), r.y);
        close(poolBackward(x, ck.tensor(dyd, [N, pre.OH, pre.OW, C]), 'max', opts).dataSync(), r.dx);
      }
    }
  });

  // Max pooling of a ReLU's output with the ReLU's gradient fused (poolBackward relu): bit for bit
  // the two ops (pool gradient, then relu'(x) ⊙), for disjoint windows that tile the input (no
  // zero fill), disjoint ones that do not, and overlapping ones (product after the scatter).
  it('max pool backward with the fused ReLU gradient equals the two ops bit for bit', () => {
    ck.setIsa(isa);
    for (const [k, s, same, H, W, C] of [[2, 2, false, 8, 10, 6], [2, 2, false, 9, 11, 5], [2, 3, true, 9, 10, 17], [3, 2, true, 7, 9, 3]] as const) {
      const N = 2;
      const xd = rnd(N * H * W * C).map((v) => (v < 0.1 ? 0 : Math.round(v * 4) / 4)); // zeros, whole zero windows, ties
      const x = ck.tensor(xd, [N, H, W, C]);
      const opts = { poolSize: k, strides: s, padding: same ? ('same' as const) : ('valid' as const) };
      const pre = ref2d(xd, N, H, W, C, k, s, same, 'max', null);
      const dyd = rnd(N * pre.OH * pre.OW * C);
      const dy = ck.tensor(dyd, [N, pre.OH, pre.OW, C]);
      const two = activationGrad('relu', x, poolBackward(x, dy, 'max', opts)).dataSync();
      const fused = poolBackward(x, dy, 'max', opts, true).dataSync();
      expect(Array.from(fused)).toEqual(Array.from(two));
      const r = ref2d(xd, N, H, W, C, k, s, same, 'max', dyd);
      close(fused, r.dx.map((v, i) => (xd[i]! > 0 ? v : 0)));
    }
    const x = ck.tensor(rnd(16), [1, 4, 4, 1]);
    expect(() => poolBackward(x, ck.ones([1, 2, 2, 1]), 'avg', { poolSize: 2 }, true)).toThrow(/max pooling only/);
  });

  // The tape fuses it when a max pool reads a conv's fused ReLU output: the gradients equal those of
  // the same network with the ReLU as its own op (no fusion).
  it('conv(relu) -> max pool gradients with and without the fusion', () => {
    ck.setIsa(isa);
    const x = ck.tensor(rnd(2 * 9 * 8 * 3), [2, 9, 8, 3]);
    const w = ck.tensor(rnd(3 * 3 * 3 * 5), [3, 3, 3, 5]);
    const b = ck.tensor(rnd(5), [5]);
    const opts = { poolSize: 2, strides: 2 };
    const fusedNet = () => ck.sum(ck.mul(maxPool2d(convForward(x, w, { bias: b, padding: 'same', activation: 'relu' }).output, opts), 1.5));
    const plainNet = () => ck.sum(ck.mul(maxPool2d(ck.relu(convForward(x, w, { bias: b, padding: 'same' }).output), opts), 1.5));
    const a = valueAndGradsOf(fusedNet, [x, w, b]);
    const p = valueAndGradsOf(plainNet, [x, w, b]);
    expect(a.value.dataSync()[0]).toBe(p.value.dataSync()[0]);
    for (let i = 0; i < 3; i++) close(a.grads[i]!.dataSync(), p.grads[i]!.dataSync());
  });

  it('1-D and 3-D shapes, channelsFirst, global pooling, zero padding', () => {
    ck.setIsa(isa);
    expect(maxPool1d(ck.tensor(rnd(2 * 13 * 3), [2, 13, 3]), { poolSize: 3, strides: 2, padding: 'same' }).shape).toEqual([2, 7, 3]);
    expect(avgPool3d(ck.tensor(rnd(5 * 6 * 7 * 2), [1, 5, 6, 7, 2]), { poolSize: 2 }).shape).toEqual([1, 2, 3, 3, 2]);
    // channelsFirst equals channelsLast transposed
    const xd = rnd(1 * 4 * 6 * 6);
    const cf = pool(ck.tensor(xd, [1, 4, 6, 6]), 'max', { poolSize: 2, dataFormat: 'channelsFirst' }).dataSync();
    const cl = maxPool2d(ck.tensor(Array.from({ length: 144 }, (_, i) => xd[(i % 4) * 36 + Math.floor(i / 4)]!), [1, 6, 6, 4]), { poolSize: 2 }).dataSync();
    for (let c = 0; c < 4; c++) for (let p = 0; p < 9; p++) expect(cf[c * 9 + p]).toBe(cl[p * 4 + c]);
    // global
    const gd = rnd(3 * 5 * 7);
    const g = ck.tensor(gd, [3, 5, 7]);
    const gm = globalMaxPool(g).dataSync(), ga = globalAvgPool(g).dataSync();
    for (let n = 0; n < 3; n++) for (let c = 0; c < 7; c++) {
      let m = -Infinity, s = 0;
      for (let p = 0; p < 5; p++) { m = Math.max(m, gd[(n * 5 + p) * 7 + c]!); s += gd[(n * 5 + p) * 7 + c]!; }
      expect(gm[n * 7 + c]).toBe(m);
      expect(ga[n * 7 + c]).toBeCloseTo(s / 5, 6);
    }
    const gdx = globalPoolBackward(g, ck.ones([3, 7]), 'avg').dataSync();
    for (const v of gdx) expect(v).toBeCloseTo(0.2, 6);
    // zero padding and its crop
    const z = ck.tensor(rnd(2 * 3 * 4 * 2), [2, 3, 4, 2]);
    const zp = zeroPad(z, [[1, 0], [2, 1]]);
    expect(zp.shape).toEqual([2, 4, 7, 2]);
    const zv = zp.dataSync();
    expect(zv[0]).toBe(0);
    expect(zv[((0 * 4 + 1) * 7 + 2) * 2]).toBe(z.dataSync()[0]);
    expect(Array.from(zeroPadBackward(zp, [2, 3, 4, 2], [[1, 0], [2, 1]]).dataSync())).toEqual(Array.from(z.dataSync()));
    expect(() => maxPool2d(z, { poolSize: 0 })).toThrow(RangeError);
  });
});
