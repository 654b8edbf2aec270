// Convolution ops from JavaScript: every algorithm, forward and both gradients, on every ISA,
// against a plain double-precision reference written here (independent of the native code).
// Tolerances (max abs error / max |reference|): direct, im2col 2e-5; winograd-f2 1e-4;
// winograd-f4 5e-4; winograd-s2 1e-4; fft 2e-4 (see docs/CONVOLUTION.md).
import { afterAll, describe, expect, it } from 'vitest';
import * as ck from '../lib/index.js';
import {
  conv1d, conv2d, conv3d, convBackpropFilter, convBackpropInput, convForward, convForwardAsync,
  convAlgorithmFor, convUnsupportedReason, depthwiseConv2d, depthwiseConv2dBackpropFilter, depthwiseConv2dBackpropInput,
  setConvAutotune, convAutotuneCache, type ConvAlgorithm, type ConvOptions,
} from '../lib/ops/conv.js';

const TOL: Record<string, number> = { direct: 2e-5, im2col: 2e-5, 'winograd-f2': 1e-4, 'winograd-f4': 5e-4, 'winograd-s2': 1e-4, fft: 2e-4 };

let seed = 12345;
function rnd(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    a[i] = (seed / 2 ** 32) * 2 - 1;
  }
  return a;
}

interface Geo { N: number; inS: number[]; C: number; K: number; k: number[]; s: number[]; d: number[]; pb: number[]; pa: number[]; g: number; outS: number[] }

// Keras 'same'/'valid' and output sizes, written independently of the library.
function geo(N: number, inS: number[], C: number, K: number, k: number[], o: { s?: number[]; d?: number[]; same?: boolean; g?: number }): Geo {
  const r = inS.length, s = o.s ?? new Array(r).fill(1), d = o.d ?? new Array(r).fill(1);
  const pb: number[] = [], pa: number[] = [], outS: number[] = [];
  for (let i = 0; i < r; i++) {
    const ek = (k[i]! - 1) * d[i]! + 1;
    let tot = 0;
    if (o.same) tot = Math.max((Math.ceil(inS[i]! / s[i]!) - 1) * s[i]! + ek - inS[i]!, 0);
    pb.push(Math.floor(tot / 2));
    pa.push(tot - Math.floor(tot / 2));
    outS.push(Math.floor((inS[i]! + tot - ek) / s[i]!) + 1);
  }
  return { N, inS, C, K, k, s, d, pb, pa, g: o.g ?? 1, outS };
}

const prod = (a: number[]): number => a.reduce((x, y) => x * y, 1);

// Visits every (output position, input position, tap) pair that reads a real input element.
function pairs(G: Geo, f: (op: number, ip: number, t: number) => void): void {
  const r = G.inS.length, P = prod(G.outS), T = prod(G.k);
  for (let n = 0; n < G.N; n++)
    for (let p = 0; p < P; p++) {
      const oc: number[] = [];
      let q = p;
      for (let i = r - 1; i >= 0; i--) { oc[i] = q % G.outS[i]!; q = Math.floor(q / G.outS[i]!); }
      for (let t = 0; t < T; t++) {
        const kc: number[] = [];
        let u = t;
        for (let i = r - 1; i >= 0; i--) { kc[i] = u % G.k[i]!; u = Math.floor(u / G.k[i]!); }
        let ip = 0, ok = true;
        for (let i = 0; i < r; i++) {
          const c = oc[i]! * G.s[i]! + kc[i]! * G.d[i]! - G.pb[i]!;
          if (c < 0 || c >= G.inS[i]!) { ok = false; break; }
          ip = ip * G.inS[i]! + c;
        }
        if (ok) f(n * P + p, n * prod(G.inS) + ip, t);
      }
    }
}

function refForward(G: Geo, x: Float32Array, w: Float32Array): Float64Array {
  const y = new Float64Array(G.N * prod(G.outS) * G.K), cg = G.C / G.g, og = G.K / G.g;
  pairs(G, (op, ip, t) => {
    for (let o = 0; o < G.K; o++) {
      const g = Math.floor(o / og);
      let s = 0;
      for (let c = 0; c < cg; c++) s += x[ip * G.C + g * cg + c]! * w[(t * cg + c) * G.K + o]!;
      y[op * G.K + o]! += s;
    }
  });
  return y;
}
function refDgrad(G: Geo, dy: Float32Array, w: Float32Array): Float64Array {
  const dx = new Float64Array(G.N * prod(G.inS) * G.C), cg = G.C / G.g, og = G.K / G.g;
  pairs(G, (op, ip, t) => {
    for (let o = 0; o < G.K; o++) {
      const g = Math.floor(o / og), v = dy[op * G.K + o]!;
      for (let c = 0; c < cg; c++) dx[ip * G.C + g * cg + c]! += v * w[(t * cg + c) * G.K + o]!;
    }
  });
  return dx;
}
function refWgrad(G: Geo, x: Float32Array, dy: Float32Array): Float64Array {
  const cg = G.C / G.g, og = G.K / G.g, dw = new Float64Array(prod(G.k) * cg * G.K);
  pairs(G, (op, ip, t) => {
    for (let o = 0; o < G.K; o++) {
      const g = Math.floor(o / og), v = dy[op * G.K + o]!;
      for (let c = 0; c < cg; c++) dw[(t * cg + c) * G.K + o]! += v * x[ip * G.C + g * cg + c]!;
    }
  });
  return dw;
}

function scaledErr(got: ArrayLike<number>, want: Float64Array): number {
  expect(got.length).toBe(want.length);
  let m = 0, e = 0;
  for (let i = 0; i < want.length; i++) {
    m = Math.max(m, Math.abs(want[i]!));
    const d = Math.abs(got[i]! - want[i]!);
    if (!(d <= e)) e = d;
  }
  return e / (m + 1e-30);
}

const CASES: Array<{ name: string; G: Geo }> = [
  { name: '2d 3x3 same odd', G: geo(2, [9, 11], 5, 18, [3, 3], { same: true }) },
  { name: '2d 3x3 stride 2 same (asymmetric)', G: geo(1, [10, 9], 7, 9, [3, 3], { s: [2, 2], same: true }) },
  { name: '2d 5x5 dilated valid', G: geo(2, [13, 12], 4, 6, [3, 3], { d: [2, 2] }) },
  { name: '2d groups 2', G: geo(1, [8, 9], 6, 8, [3, 3], { g: 2, same: true }) },
  { name: '2d 3x3 many channels', G: geo(2, [10, 9], 20, 17, [3, 3], { same: true }) },
  { name: '2d 9x9 same', G: geo(1, [16, 14], 3, 5, [9, 9], { same: true }) },
  { name: '1d k5 stride 2', G: geo(3, [17], 4, 6, [5], { s: [2], same: true }) },
  { name: '3d 3x3x3', G: geo(1, [4, 5, 6], 3, 4, [3, 3, 3], { same: true }) },
  // 7x7 stride 2 on RGB (the stem shape, small): winograd-s2 forward; 'auto' picks it at >= 12x12 outputs.
  { name: '2d 7x7 stride 2 same, odd 27x25, 3 -> 32', G: geo(2, [27, 25], 3, 32, [7, 7], { s: [2, 2], same: true }) },
  // Depthwise (multiplier 1: the depthwise row kernels, forward and both gradients).
  { name: '2d depthwise 3x3 same, 37 channels', G: geo(2, [9, 23], 37, 37, [3, 3], { g: 37, same: true }) },
  { name: '2d depthwise 5x5 stride 2 dilated', G: geo(1, [13, 21], 19, 19, [5, 5], { g: 19, s: [2, 2], d: [1, 2], same: true }) },
];
const ALGOS: ConvAlgorithm[] = ['direct', 'im2col', 'winograd-f2', 'winograd-f4', 'winograd-s2', 'fft', 'auto'];
const isas = ck.backendInfo().availableIsas;

function t(data: Float32Array, shape: number[]): ck.Tensor {
  return ck.tensor(data, shape);
}
function optsOf(G: Geo, algorithm: ConvAlgorithm): ConvOptions {
  return { strides: G.s, dilationRate: G.d, padding: G.pb.map((b, i) => [b, G.pa[i]!] as [number, number]), groups: G.g, algorithm };
}

afterAll(() => ck.setIsa(null));

describe.each(isas)('conv on %s', (isa) => {
  for (const { name, G } of CASES) {
    it(`every algorithm, forward and gradients: ${name}`, () => {
      ck.setIsa(isa);
      const xs = [G.N, ...G.inS, G.C], ws = [...G.k, G.C / G.g, G.K], ys = [G.N, ...G.outS, G.K];
      const xd = rnd(prod(xs)), wd = rnd(prod(ws)), dyd = rnd(prod(ys));
      const x = t(xd, xs), w = t(wd, ws), dy = t(dyd, ys);
      const ry = refForward(G, xd, wd), rdx = refDgrad(G, dyd, wd), rdw = refWgrad(G, xd, dyd);
      let ran = 0;
      for (const a of ALGOS) {
        const o = optsOf(G, a);
        for (const pass of ['forward', 'backwardInput', 'backwardFilter'] as const) {
          const why = convUnsupportedReason(xs, ws, a, o, pass);
          const run = (): { out: ck.Tensor; algorithm: string } => {
            if (pass === 'forward') { const r = convForward(x, w, o); return { out: r.output, algorithm: r.algorithm }; }
            if (pass === 'backwardInput') { const r = convBackpropInput(dy, w, xs, o); return { out: r.output, algorithm: r.algorithm }; }
            const r = convBackpropFilter(x, dy, ws, o);
            return { out: r.dFilter, algorithm: r.algorithm };
          };
          if (why !== '') {
            expect(run).toThrow(/cannot run/);
            try { run(); } catch (e) { expect((e as { code?: string }).code).toBe('ERR_CONVKIT_UNSUPPORTED'); }
            continue;
          }
          const { out, algorithm } = run();
          if (a !== 'auto') expect(algorithm).toBe(a);
          const want = pass === 'forward' ? ry : pass === 'backwardInput' ? rdx : rdw;
          expect(scaledErr(out.dataSync(), want), `${a} ${pass}`).toBeLessThan(TOL[algorithm]!);
          out.dispose();
          ran++;
        }
      }
      expect(ran).toBeGreaterThanOrEqual(9);
      for (const z of [x, w, dy]) z.dispose();
    });
  }
});

describe('conv API', () => {
  it('conv1d/conv2d/conv3d with bias + relu, channelsFirst, depthwise with multiplier', () => {
    const G = geo(2, [7, 8], 3, 4, [3, 3], { same: true });
    const xd = rnd(2 * 7 * 8 * 3), wd = rnd(3 * 3 * 3 * 4), bd = rnd(4);
    const x = t(xd, [2, 7, 8, 3]), w = t(wd, [3, 3, 3, 4]), b = t(bd, [4]);
    const ry = refForward(G, xd, wd).map((v, i) => Math.max(0, v + bd[i % 4]!));
    const y = conv2d(x, w, { padding: 'same', bias: b, activation: 'relu' });
    expect(y.shape).toEqual([2, 7, 8, 4]);
    expect(scaledErr(y.dataSync(), ry)).toBeLessThan(2e-5);
    // channelsFirst: same numbers, transposed
    const xcf = ck.tensor(Array.from({ length: 2 * 3 * 7 * 8 }, (_, i) => {
      const n = Math.floor(i / (3 * 56)), c = Math.floor(i / 56) % 3, p = i % 56;
      return xd[(n * 56 + p) * 3 + c]!;
    }), [2, 3, 7, 8]);
    const ycf = conv2d(xcf, w, { padding: 'same', bias: b, activation: 'relu', dataFormat: 'channelsFirst' });
    expect(ycf.shape).toEqual([2, 4, 7, 8]);
    const back = ycf.dataSync(), ycl = y.dataSync();
    for (let n = 0; n < 2; n++) for (let c = 0; c < 4; c++) for (let p = 0; p < 56; p++)
      expect(back[(n * 4 + c) * 56 + p]).toBeCloseTo(ycl[(n * 56 + p) * 4 + c]!, 5);
    const y1 = conv1d(t(rnd(2 * 9 * 3), [2, 9, 3]), t(rnd(3 * 3 * 5), [3, 3, 5]), { padding: 'same' });
    expect(y1.shape).toEqual([2, 9, 5]);
    const y3 = conv3d(t(rnd(4 * 5 * 6 * 2), [1, 4, 5, 6, 2]), t(rnd(27 * 2 * 3), [3, 3, 3, 2, 3]), { strides: 2, padding: 'same' });
    expect(y3.shape).toEqual([1, 2, 3, 3, 3]);
    // depthwise: Keras filter [kh, kw, C, mult]; output channel c*mult + m
    const Gd = geo(1, [6, 7], 3, 6, [3, 3], { same: true, g: 3 });
    const xd2 = rnd(6 * 7 * 3), wd2 = rnd(9 * 3 * 2), dyd2 = rnd(6 * 7 * 6);
    const yd = depthwiseConv2d(t(xd2, [1, 6, 7, 3]), t(wd2, [3, 3, 3, 2]), { padding: 'same' });
    expect(yd.shape).toEqual([1, 6, 7, 6]);
    expect(scaledErr(yd.dataSync(), refForward(Gd, xd2, wd2))).toBeLessThan(2e-5);
    const dxd = depthwiseConv2dBackpropInput(t(dyd2, [1, 6, 7, 6]), t(wd2, [3, 3, 3, 2]), [1, 6, 7, 3], { padding: 'same' });
    expect(scaledErr(dxd.output.dataSync(), refDgrad(Gd, dyd2, wd2))).toBeLessThan(2e-5);
    const dwd = depthwiseConv2dBackpropFilter(t(xd2, [1, 6, 7, 3]), t(dyd2, [1, 6, 7, 6]), [3, 3, 3, 2], { padding: 'same', computeBias: true });
    expect(dwd.dFilter.shape).toEqual([3, 3, 3, 2]);
    expect(scaledErr(dwd.dFilter.dataSync(), refWgrad(Gd, xd2, dyd2))).toBeLessThan(2e-5);
    expect(dwd.dBias!.shape).toEqual([6]);
  });

  it('async forward gives the same result and the algorithm', async () => {
    const x = t(rnd(2 * 10 * 10 * 16), [2, 10, 10, 16]), w = t(rnd(9 * 16 * 16), [3, 3, 16, 16]);
    const a = convForward(x, w, { padding: 'same', algorithm: 'winograd-f2' });
    const b = await convForwardAsync(x, w, { padding: 'same', algorithm: 'winograd-f2' });
    expect(b.algorithm).toBe('winograd-f2');
    expect(Array.from(b.output.dataSync())).toEqual(Array.from(a.output.dataSync()));
    const ac = new AbortController();
    ac.abort();
    await expect(convForwardAsync(x, w, { signal: ac.signal })).rejects.toThrow(/abort/i);
  });

  it('clear errors: bad shapes, bad options, unsupported algorithm', () => {
    const x = t(rnd(1 * 8 * 8 * 4), [1, 8, 8, 4]), w = t(rnd(9 * 4 * 5), [3, 3, 4, 5]);
    expect(() => conv2d(x, t(rnd(9 * 3 * 5), [3, 3, 3, 5]))).toThrow(RangeError);
    expect(() => conv2d(x, w, { strides: 0 })).toThrow(/strides/);
    expect(() => conv2d(x, w, { algorithm: 'magic' as ConvAlgorithm })).toThrow(/algorithm/);
    expect(() => conv2d(x, w, { strides: 2, algorithm: 'winograd' })).toThrow(/winograd.*stride/);
    expect(() => conv2d(x, t(rnd(25 * 4 * 5), [5, 5, 4, 5]), { padding: 'valid', dilationRate: 3 })).toThrow(/kernel larger/);
    expect(convAlgorithmFor([8, 56, 56, 64], [3, 3, 64, 64], { padding: 'same' })).toBe('winograd-f4');
    expect(convAlgorithmFor([8, 56, 56, 128], [3, 3, 1, 128], { padding: 'same', groups: 128 })).toBe('direct');
    // The ImageNet stem: the polyphase Winograd form forward, the staged direct kernel for the weight gradient.
    expect(convAlgorithmFor([8, 224, 224, 3], [7, 7, 3, 64], { strides: 2, padding: [[3, 3], [3, 3]] })).toBe('winograd-s2');
    expect(convAlgorithmFor([8, 224, 224, 3], [7, 7, 3, 64], { strides: 2, padding: [[3, 3], [3, 3]] }, 'backwardFilter')).toBe('direct');
  });

  it('autotune caches one choice per shape', () => {
    convAutotuneCache.clear();
    setConvAutotune(true);
    try {
      const x = t(rnd(1 * 12 * 12 * 16), [1, 12, 12, 16]), w = t(rnd(9 * 16 * 16), [3, 3, 16, 16]);
      const r1 = convForward(x, w, { padding: 'same' });
      expect(convAutotuneCache.size()).toBe(1);
      const r2 = convForward(x, w, { padding: 'same' });
      expect(r2.algorithm).toBe(r1.algorithm);
    } finally {
      setConvAutotune(false);
      convAutotuneCache.clear();
    }
  });
});
