/**
 * Forward outputs of layers against plain double-precision references written here, independent
 * of the library's kernels (loops over explicit indices, TF padding rules spelled out).
 */
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../lib/tensor/index.js';
import { setSeed } from '../../lib/random/index.js';
import * as L from '../../lib/layers/index.js';
import { randomTensor } from '../helpers/gradcheck.js';

function close(a: Tensor, ref: ArrayLike<number>, tol = 1e-5): void {
  const v = a.dataSync();
  expect(v.length).toBe(ref.length);
  for (let i = 0; i < v.length; i++) {
    if (Math.abs(v[i]! - ref[i]!) > tol * (1 + Math.abs(ref[i]!))) expect.fail(`index ${i}: got ${v[i]}, reference ${ref[i]}`);
  }
}

/** NHWC conv reference with TF 'same'/'valid' padding, dilation and groups. */
function convRef(x: Tensor, w: Tensor, b: Tensor | null, s: [number, number], d: [number, number], padding: 'same' | 'valid', groups = 1): number[] {
  const [n, h, wd, c] = x.shape as number[];
  const [kh, kw, cg, f] = w.shape as number[];
  const X = x.dataSync();
  const W = w.dataSync();
  const out = (len: number, k: number, st: number, dl: number): [number, number] => {
    const eff = (k - 1) * dl + 1;
    if (padding === 'valid') return [Math.floor((len - eff) / st) + 1, 0];
    const o = Math.ceil(len / st);
    return [o, Math.floor(Math.max((o - 1) * st + eff - len, 0) / 2)];
  };
  const [oh, ph] = out(h!, kh!, s[0], d[0]);
  const [ow, pw] = out(wd!, kw!, s[1], d[1]);
  const res: number[] = [];
  const fg = f! / groups;
  for (let b0 = 0; b0 < n!; b0++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let o = 0; o < f!; o++) {
          let acc = b ? b.dataSync()[o]! : 0;
          const g = Math.floor(o / fg);
          for (let p = 0; p < kh!; p++)
            for (let q = 0; q < kw!; q++) {
              const y = i * s[0] - ph + p * d[0];
              const xx = j * s[1] - pw + q * d[1];
              if (y < 0 || y >= h! || xx < 0 || xx >= wd!) continue;
              for (let ci = 0; ci < cg!; ci++) acc += X[((b0 * h! + y) * wd! + xx) * c! + g * cg! + ci]! * W[((p * kw! + q) * cg! + ci) * f! + o]!;
            }
          res.push(acc);
        }
  return res;
}

describe('forward references', () => {
  it('dense', () => {
    const l = L.dense({ units: 3, biasInitializer: 'randomNormal' });
    const x = randomTensor([2, 4], 1);
    const y = l.apply(x);
    const [W, B] = l.getWeights().map((t) => t.dataSync());
    const ref: number[] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) {
      let s = B![j]!;
      for (let k = 0; k < 4; k++) s += x.dataSync()[i * 4 + k]! * W![k * 3 + j]!;
      ref.push(s);
    }
    close(y, ref);
  });

  for (const c of [
    { s: [1, 1], d: [1, 1], p: 'valid', g: 1 }, { s: [2, 2], d: [1, 1], p: 'same', g: 1 }, { s: [2, 1], d: [1, 1], p: 'same', g: 1 },
    { s: [1, 1], d: [2, 2], p: 'same', g: 1 }, { s: [1, 1], d: [1, 1], p: 'same', g: 2 },
  ] as const) {
    it(`conv2d strides ${c.s} dilation ${c.d} ${c.p} groups ${c.g}`, () => {
      const l = L.conv2d({ filters: 4, kernelSize: 3, strides: [...c.s], dilationRate: [...c.d], padding: c.p, groups: c.g, biasInitializer: 'randomUniform' });
      const x = randomTensor([2, 7, 6, 4], 3);
      const y = l.apply(x);
      close(y, convRef(x, l.getWeights()[0]!, l.getWeights()[1]!, [...c.s] as [number, number], [...c.d] as [number, number], c.p, c.g));
    });
  }

  it('depthwiseConv2d equals a grouped conv with the reshaped kernel', () => {
    const l = L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', useBias: false });
    const x = randomTensor([1, 5, 5, 3], 4);
    const y = l.apply(x);
    const w = l.getWeights()[0]!.reshape([3, 3, 1, 6]);
    close(y, convRef(x, w, null, [1, 1], [1, 1], 'same', 3));
  });

  it('conv2dTranspose scatters each input pixel times the kernel (valid, stride 2)', () => {
    const l = L.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, useBias: false });
    const x = randomTensor([1, 2, 3, 2], 5);
    const y = l.apply(x);
    const W = l.getWeights()[0]!.dataSync(); // [3, 3, 2(out), 2(in)]
    const X = x.dataSync();
    const ref = new Float64Array(1 * 5 * 7 * 2);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let ci = 0; ci < 2; ci++)
      for (let p = 0; p < 3; p++) for (let q = 0; q < 3; q++) for (let o = 0; o < 2; o++)
        ref[((i * 2 + p) * 7 + (j * 2 + q)) * 2 + o] += X[(i * 3 + j) * 2 + ci]! * W[((p * 3 + q) * 2 + o) * 2 + ci]!;
    close(y, ref);
  });

  it('max and average pooling (same: average over in-bounds taps only)', () => {
    const x = randomTensor([1, 5, 5, 1], 6);
    const X = x.dataSync();
    const mx = L.maxPooling2d({ poolSize: 2, strides: 2, padding: 'same' }).apply(x);
    const av = L.averagePooling2d({ poolSize: 2, strides: 2, padding: 'same' }).apply(x);
    const refMax: number[] = [];
    const refAvg: number[] = [];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
      const vals: number[] = [];
      for (let p = 0; p < 2; p++) for (let q = 0; q < 2; q++) if (2 * i + p < 5 && 2 * j + q < 5) vals.push(X[(2 * i + p) * 5 + 2 * j + q]!);
      refMax.push(Math.max(...vals));
      refAvg.push(vals.reduce((a, b) => a + b, 0) / vals.length);
    }
    close(mx, refMax);
    close(av, refAvg);
  });

  it('batchNormalization: inference uses moving stats, training uses batch stats and updates them', () => {
    const l = L.batchNormalization({ momentum: 0.9, epsilon: 1e-3 });
    const x = randomTensor([4, 3], 7);
    const X = x.dataSync();
    close(l.apply(x, { training: false }), Array.from(X, (v) => v / Math.sqrt(1 + 1e-3)));
    const y = l.apply(x, { training: true });
    const mean = [0, 1, 2].map((c) => [0, 1, 2, 3].reduce((s, r) => s + X[r * 3 + c]!, 0) / 4);
    const vr = [0, 1, 2].map((c) => [0, 1, 2, 3].reduce((s, r) => s + (X[r * 3 + c]! - mean[c]!) ** 2, 0) / 4);
    close(y, Array.from(X, (v, i) => (v - mean[i % 3]!) / Math.sqrt(vr[i % 3]! + 1e-3)), 1e-4);
    const [, , mm, mv] = l.getWeights();
    close(mm!, mean.map((m) => 0.1 * m));
    close(mv!, vr.map((v) => 0.9 + 0.1 * v));
  });

  it('layerNormalization', () => {
    const x = randomTensor([2, 5], 8);
    const X = x.dataSync();
    const ref: number[] = [];
    for (let r = 0; r < 2; r++) {
      const row = Array.from(X.slice(r * 5, r * 5 + 5));
      const m = row.reduce((a, b) => a + b) / 5;
      const v = row.reduce((a, b) => a + (b - m) ** 2, 0) / 5;
      ref.push(...row.map((e) => (e - m) / Math.sqrt(v + 1e-3)));
    }
    close(L.layerNormalization().apply(x), ref, 1e-4);
  });

  it('dropout: identity at inference; in training zeros about `rate` and scales the rest by 1/(1-rate)', () => {
    setSeed(9);
    const l = L.dropout({ rate: 0.25 });
    const x = randomTensor([100, 40], 9, 1, 0.1);
    expect(l.apply(x, { training: false })).toBe(x);
    const y = l.apply(x, { training: true }).dataSync();
    const X = x.dataSync();
    let zeros = 0;
    for (let i = 0; i < y.length; i++) {
      if (y[i] === 0) zeros++;
      else expect(Math.abs(y[i]! - X[i]! / 0.75)).toBeLessThan(1e-5);
    }
    expect(zeros / y.length).toBeGreaterThan(0.22);
    expect(zeros / y.length).toBeLessThan(0.28);
  });

  it('activations match their formulas', () => {
    const x = randomTensor([1, 50], 10, 3);
    const X = Array.from(x.dataSync());
    const erf = (z: number): number => {
      // Reference erf by its Maclaurin series (converges for |z| ≤ 3 with 60 terms).
      let sum = 0;
      let term = z;
      for (let n = 0; n < 60; n++) {
        sum += term / (2 * n + 1);
        term *= (-z * z) / (n + 1);
      }
      return (2 / Math.sqrt(Math.PI)) * sum;
    };
    const sig = (v: number): number => 1 / (1 + Math.exp(-v));
    const refs: Record<string, (v: number) => number> = {
      relu: (v) => Math.max(v, 0),
      relu6: (v) => Math.min(Math.max(v, 0), 6),
      sigmoid: sig,
      hardSigmoid: (v) => Math.min(Math.max(v / 6 + 0.5, 0), 1),
      tanh: Math.tanh,
      elu: (v) => (v > 0 ? v : Math.exp(v) - 1),
      selu: (v) => 1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * (Math.exp(v) - 1)),
      gelu: (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)),
      swish: (v) => v * sig(v),
      softplus: (v) => Math.log1p(Math.exp(v)),
      softsign: (v) => v / (1 + Math.abs(v)),
      linear: (v) => v,
    };
    for (const [name, f] of Object.entries(refs)) {
      close(L.activation({ activation: name as 'relu' }).apply(x), X.map(f), 1e-5);
    }
    const sm = L.activation({ activation: 'softmax' }).apply(x);
    const mx = Math.max(...X);
    const z = X.reduce((a, v) => a + Math.exp(v - mx), 0);
    close(sm, X.map((v) => Math.exp(v - mx) / z));
    close(L.leakyReLU({ alpha: 0.3 }).apply(x), X.map((v) => (v > 0 ? v : 0.3 * v)));
    close(L.relu({ maxValue: 2, threshold: 0.5 }).apply(x), X.map((v) => (v >= 0.5 ? Math.min(v, 2) : 0)));
    close(L.rrelu({ lower: 0.1, upper: 0.3 }).apply(x, { training: false }), X.map((v) => (v > 0 ? v : 0.2 * v)));
  });

  it('upSampling2d nearest repeats pixels; zeroPadding2d and cropping2d move boxes', () => {
    const x = randomTensor([1, 2, 2, 1], 11);
    const X = x.dataSync();
    close(L.upSampling2d({ size: 2 }).apply(x), [X[0], X[0], X[1], X[1], X[0], X[0], X[1], X[1], X[2], X[2], X[3], X[3], X[2], X[2], X[3], X[3]] as number[]);
    close(L.zeroPadding2d({ padding: [[1, 0], [0, 1]] }).apply(x), [0, 0, 0, X[0]!, X[1]!, 0, X[2]!, X[3]!, 0]);
    close(L.cropping2d({ cropping: [[1, 0], [0, 1]] }).apply(x), [X[2]!]);
  });
});
