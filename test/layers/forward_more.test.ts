// More forward references (plain double loops written here, independent of the kernels): conv1d
// (valid/same/causal, dilation, strides), conv3d, separableConv2d, depthwise stride/dilation,
// global pooling, merges, PReLU, RReLU at inference, ReLU options, Flatten channelsFirst (Keras
// moves channels last before flattening), Permute, LayerNormalization over two axes.
import { describe, expect, it } from 'vitest';
import { type Tensor, tensor } from '../../lib/tensor/index.js';
import * as L from '../../lib/layers/index.js';
import { randomTensor } from '../helpers/gradcheck.js';

function close(a: Tensor, ref: ArrayLike<number>, tol = 1e-5): void {
  const v = a.dataSync();
  expect(v.length).toBe(ref.length);
  for (let i = 0; i < v.length; i++) if (Math.abs(v[i]! - ref[i]!) > tol * (1 + Math.abs(ref[i]!))) expect.fail(`index ${i}: got ${v[i]}, reference ${ref[i]}`);
}

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const unravel = (i: number, s: readonly number[]): number[] => s.map((d, k) => Math.floor(i / prod(s.slice(k + 1))) % d);
const ravel = (idx: readonly number[], s: readonly number[]): number => idx.reduce((a, v, k) => a * s[k]! + v, 0);

/**
 * Channels-last N-d convolution: y[n, o..., f] = b[f] + Σ x[n, o·s − before + k·d, c]·w[k..., c, f],
 * 'same' pads with TF's rule (smaller half before), 'causal' pads (k − 1)·d before (1-D).
 */
function convNdRef(x: Tensor, w: Tensor, b: Tensor | null, s: number[], d: number[], padding: 'valid' | 'same' | 'causal'): { data: number[]; shape: number[] } {
  const xs = x.shape as number[];
  const ws = w.shape as number[];
  const r = xs.length - 2;
  const [n, C, F] = [xs[0]!, xs[r + 1]!, ws[r + 1]!];
  const sp = xs.slice(1, r + 1);
  const k = ws.slice(0, r);
  const geo = sp.map((len, a) => {
    const eff = (k[a]! - 1) * d[a]! + 1;
    if (padding === 'valid') return [Math.floor((len - eff) / s[a]!) + 1, 0];
    if (padding === 'causal') return [Math.floor((len + eff - 1 - eff) / s[a]!) + 1, eff - 1];
    const o = Math.ceil(len / s[a]!);
    return [o, Math.floor(Math.max((o - 1) * s[a]! + eff - len, 0) / 2)];
  });
  const os = geo.map((g) => g[0]!);
  const X = x.dataSync();
  const W = w.dataSync();
  const B = b?.dataSync();
  const data: number[] = [];
  for (let bi = 0; bi < n; bi++)
    for (let oi = 0; oi < prod(os); oi++) {
      const o = unravel(oi, os);
      for (let f = 0; f < F; f++) {
        let acc = B ? B[f]! : 0;
        for (let ki = 0; ki < prod(k); ki++) {
          const kk = unravel(ki, k);
          const pos = o.map((v, a) => v * s[a]! - geo[a]![1]! + kk[a]! * d[a]!);
          if (pos.some((p, a) => p < 0 || p >= sp[a]!)) continue;
          for (let c = 0; c < C; c++) acc += X[(bi * prod(sp) + ravel(pos, sp)) * C + c]! * W[(ki * C + c) * F + f]!;
        }
        data.push(acc);
      }
    }
  return { data, shape: [n, ...os, F] };
}

describe('forward references (more layers)', () => {
  for (const [padding, s, d] of [['valid', 2, 1], ['same', 2, 1], ['same', 1, 3], ['causal', 1, 2], ['causal', 1, 1]] as const) {
    it(`conv1d ${padding} stride ${s} dilation ${d}`, () => {
      const l = L.conv1d({ filters: 3, kernelSize: 3, strides: s, dilationRate: d, padding, biasInitializer: 'randomNormal' });
      const x = randomTensor([2, 11, 4], 1);
      const y = l.apply(x) as Tensor;
      const [w, b] = l.getWeights();
      const ref = convNdRef(x, w!, b!, [s], [d], padding);
      expect(y.shape).toEqual(ref.shape);
      close(y, ref.data);
    });
  }
  for (const [padding, s, d] of [['valid', [1, 2, 1], [1, 1, 1]], ['same', [2, 1, 2], [1, 1, 1]], ['same', [1, 1, 1], [2, 1, 2]]] as const) {
    it(`conv3d ${padding} strides ${s} dilation ${d}`, () => {
      const l = L.conv3d({ filters: 2, kernelSize: [2, 3, 2], strides: [...s], dilationRate: [...d], padding, biasInitializer: 'randomNormal' });
      const x = randomTensor([1, 5, 6, 5, 3], 2);
      const y = l.apply(x) as Tensor;
      const [w, b] = l.getWeights();
      const ref = convNdRef(x, w!, b!, [...s], [...d], padding);
      expect(y.shape).toEqual(ref.shape);
      close(y, ref.data);
    });
  }

  it('separableConv2d = depthwise (per channel, multiplier) then pointwise 1×1, plus bias', () => {
    const l = L.separableConv2d({ filters: 3, kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same', biasInitializer: 'randomNormal' });
    const x = randomTensor([1, 7, 6, 2], 3);
    const y = l.apply(x) as Tensor;
    const [dw, pw, b] = l.getWeights(); // [3,3,2,2], [1,1,4,3], [3]
    const D = dw!.dataSync();
    // Depthwise as a dense conv whose kernel is zero off the diagonal channel blocks.
    const full = new Float32Array(3 * 3 * 2 * 4);
    for (let p = 0; p < 9; p++) for (let c = 0; c < 2; c++) for (let m = 0; m < 2; m++) full[(p * 2 + c) * 4 + c * 2 + m] = D[(p * 2 + c) * 2 + m]!;
    const mid = convNdRef(x, tensor(full, [3, 3, 2, 4]), null, [2, 2], [1, 1], 'same');
    const ref = convNdRef(tensor(Float32Array.from(mid.data), mid.shape), pw!, b!, [1, 1], [1, 1], 'valid');
    expect(y.shape).toEqual(ref.shape);
    close(y, ref.data);
  });

  it('global max/average pooling 1d/2d/3d, keepdims', () => {
    for (const [rank, make] of [[1, L.globalMaxPooling1d], [2, L.globalMaxPooling2d], [3, L.globalMaxPooling3d], [1, L.globalAveragePooling1d], [2, L.globalAveragePooling2d], [3, L.globalAveragePooling3d]] as const) {
      const shape = [2, ...[3, 4, 2].slice(0, rank), 3];
      const x = randomTensor(shape, 4 + rank);
      const X = x.dataSync();
      const P = prod(shape.slice(1, -1));
      const isMax = make === L.globalMaxPooling1d || make === L.globalMaxPooling2d || make === L.globalMaxPooling3d;
      const ref: number[] = [];
      for (let n = 0; n < 2; n++) for (let c = 0; c < 3; c++) {
        let acc = isMax ? -Infinity : 0;
        for (let p = 0; p < P; p++) acc = isMax ? Math.max(acc, X[(n * P + p) * 3 + c]!) : acc + X[(n * P + p) * 3 + c]! / P;
        ref.push(acc);
      }
      close(make().apply(x) as Tensor, ref);
      const kept = make({ keepdims: true }).apply(x) as Tensor;
      expect(kept.shape).toEqual([2, ...new Array(rank).fill(1), 3]);
      close(kept, ref);
    }
  });

  it('merges', () => {
    const a = randomTensor([2, 3], 1);
    const b = randomTensor([2, 3], 2);
    const c = randomTensor([2, 3], 3);
    const A = a.dataSync(), B = b.dataSync(), Cv = c.dataSync();
    const each = (f: (x: number, y: number, z: number) => number): number[] => Array.from(A, (v, i) => f(v, B[i]!, Cv[i]!));
    close(L.add().apply([a, b, c]) as Tensor, each((x, y, z) => x + y + z));
    close(L.subtract().apply([a, b]) as Tensor, each((x, y) => x - y));
    close(L.multiply().apply([a, b, c]) as Tensor, each((x, y, z) => x * y * z));
    close(L.average().apply([a, b, c]) as Tensor, each((x, y, z) => (x + y + z) / 3));
    close(L.maximum().apply([a, b, c]) as Tensor, each((x, y, z) => Math.max(x, y, z)));
    close(L.minimum().apply([a, b, c]) as Tensor, each((x, y, z) => Math.min(x, y, z)));
    const cat = L.concatenate({ axis: 1 }).apply([a, b]) as Tensor;
    close(cat, [...A.slice(0, 3), ...B.slice(0, 3), ...A.slice(3), ...B.slice(3)]);
    expect(() => L.subtract().apply([a, b, c])).toThrow(/Subtract/);
  });

  it('PReLU, RReLU at inference, ReLU options', () => {
    const x = randomTensor([2, 5], 9, 2);
    const X = Array.from(x.dataSync());
    const pr = L.prelu({ alphaInitializer: { className: 'RandomUniform', config: { minval: 0, maxval: 1, seed: 1 } } });
    const y = pr.apply(x) as Tensor;
    const al = pr.getWeights()[0]!.dataSync();
    close(y, X.map((v, i) => (v >= 0 ? v : al[i % 5]! * v)));
    close(L.rrelu({ lower: 0.1, upper: 0.5 }).apply(x) as Tensor, X.map((v) => (v >= 0 ? v : 0.3 * v)));
    // Keras ReLU: x ≥ threshold → min(x, maxValue); else negativeSlope·(x − threshold).
    const kerasRelu = (v: number, maxValue: number | null, slope: number, th: number): number => {
      const r = v >= th ? v : slope * (v - th);
      return maxValue === null ? r : Math.min(r, maxValue);
    };
    for (const [mv, sl, th] of [[null, 0, 0], [1, 0, 0], [null, 0.1, 0.5], [1.5, 0.2, -0.5]] as const) {
      close(L.relu({ maxValue: mv, negativeSlope: sl, threshold: th }).apply(x) as Tensor, X.map((v) => kerasRelu(v, mv, sl, th)));
    }
  });

  it('Flatten channelsFirst moves channels last first (Keras); Permute', () => {
    const x = randomTensor([2, 3, 2, 2], 10); // N, C, H, W
    const X = x.dataSync();
    const ref: number[] = [];
    for (let n = 0; n < 2; n++) for (let h = 0; h < 2; h++) for (let w = 0; w < 2; w++) for (let c = 0; c < 3; c++) ref.push(X[((n * 3 + c) * 2 + h) * 2 + w]!);
    close(L.flatten({ dataFormat: 'channelsFirst' }).apply(x) as Tensor, ref);
    const p = L.permute({ dims: [2, 3, 1] }).apply(x) as Tensor; // → N, H, W, C
    expect(p.shape).toEqual([2, 2, 2, 3]);
    close(p, ref);
  });

  it('LayerNormalization over axes [1, 2]', () => {
    const l = L.layerNormalization({ axis: [1, 2], epsilon: 1e-3, betaInitializer: 'randomNormal', gammaInitializer: 'randomNormal' });
    const x = randomTensor([2, 3, 4], 11);
    const y = l.apply(x) as Tensor;
    const [g, b] = l.getWeights().map((t) => t.dataSync());
    const X = x.dataSync();
    const ref: number[] = [];
    for (let n = 0; n < 2; n++) {
      const v = Array.from(X.slice(n * 12, n * 12 + 12));
      const m = v.reduce((a, q) => a + q, 0) / 12;
      const vr = v.reduce((a, q) => a + (q - m) ** 2, 0) / 12;
      v.forEach((q, i) => ref.push(((q - m) / Math.sqrt(vr + 1e-3)) * g![i]! + b![i]!));
    }
    close(y, ref, 1e-4);
  });
});
