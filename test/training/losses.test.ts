// Losses against plain references written here (Keras 3 definitions), gradients against central
// finite differences, reductions and sample weights, and the edge cases: logits of +-1e4,
// all-zero probabilities, classes absent from the batch.
import { describe, expect, it } from 'vitest';
import * as T from '../../lib/training/index.js';

const EPS = 1e-7;
const clip = (x: number, lo: number, hi: number) => Math.min(Math.max(x, lo), hi);
const rowsOf = (a: ArrayLike<number>, c: number) => Array.from({ length: a.length / c }, (_, r) => Array.from(a).slice(r * c, r * c + c));

function refSoftmaxCE(logits: number[], t: number[]): number {
  const m = Math.max(...logits);
  const lse = m + Math.log(logits.reduce((s, x) => s + Math.exp(x - m), 0));
  return t.reduce((s, tj, j) => s - tj * (logits[j]! - lse), 0);
}
function refProbCE(p: number[], t: number[]): number {
  const s = p.reduce((a, b) => a + b, 0);
  return t.reduce((acc, tj, j) => acc - tj * Math.log(clip(p[j]! / s, EPS, 1 - EPS)), 0);
}
const oneHot = (k: number, c: number) => Array.from({ length: c }, (_, j) => (j === k ? 1 : 0));

function fdGrad(loss: T.Loss, yTrue: T.Labels, ts: number[], yPred: Float32Array, ps: number[], sw?: Float32Array): Float64Array {
  const g = new Float64Array(yPred.length);
  for (let i = 0; i < yPred.length; i++) {
    const h = 1e-3 * Math.max(1, Math.abs(yPred[i]!));
    const up = yPred.slice(), dn = yPred.slice();
    up[i] = yPred[i]! + h;
    dn[i] = yPred[i]! - h;
    g[i] = (loss.compute(yTrue, ts, up, ps, { sampleWeight: sw }).value - loss.compute(yTrue, ts, dn, ps, { sampleWeight: sw }).value) / (up[i]! - dn[i]!);
  }
  return g;
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol = atol): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(atol + rtol * Math.abs(want[i]!));
}

const logits = new Float32Array([1.5, -0.3, 0.2, 0.1, 2.2, -1.0, -0.5, 0.0, 0.4, 3.0, 1.0, -2.0]); // [4, 3]
const probs = new Float32Array([0.7, 0.2, 0.1, 0.1, 0.8, 0.1, 0.3, 0.3, 0.4, 0.05, 0.9, 0.05]);
const labels = new Int32Array([0, 1, 2, 1]);
const dense = new Float32Array(Array.from(labels).flatMap((k) => oneHot(k, 3)));
const sw = new Float32Array([1, 0.5, 2, 0]);

describe('cross-entropies (native, fused gradient)', () => {
  it('sparse/categorical, from logits/probabilities, against the definitions', () => {
    const cases: [T.Loss, T.Labels, number[], Float32Array, (r: number[], k: number) => number][] = [
      [new T.SparseCategoricalCrossentropy({ fromLogits: true }), labels, [4], logits, (r, k) => refSoftmaxCE(r, oneHot(k, 3))],
      [new T.SparseCategoricalCrossentropy(), labels, [4], probs, (r, k) => refProbCE(r, oneHot(k, 3))],
      [new T.CategoricalCrossentropy({ fromLogits: true }), dense, [4, 3], logits, (r, k) => refSoftmaxCE(r, oneHot(k, 3))],
      [new T.CategoricalCrossentropy(), dense, [4, 3], probs, (r, k) => refProbCE(r, oneHot(k, 3))],
    ];
    for (const [loss, yt, ts, yp, ref] of cases) {
      const want = rowsOf(yp, 3).map((r, i) => ref(r, labels[i]!));
      const out = loss.compute(yt, ts, yp, [4, 3]);
      expectClose(out.perRow, want, 1e-6, 1e-5);
      expect(out.value).toBeCloseTo(want.reduce((a, b) => a + b, 0) / 4, 5);
      expectClose(out.grad!, fdGrad(loss, yt, ts, yp, [4, 3]), 2e-3);
      // sample weights, sum_over_batch_size divides by the batch size (not by the weights' sum)
      const wout = loss.compute(yt, ts, yp, [4, 3], { sampleWeight: sw });
      expect(wout.value).toBeCloseTo(want.reduce((a, b, i) => a + b * sw[i]!, 0) / 4, 5);
      expectClose(wout.grad!, fdGrad(loss, yt, ts, yp, [4, 3], sw), 2e-3);
    }
  });
  it('label smoothing: t = t (1 - ls) + ls / C', () => {
    const loss = new T.CategoricalCrossentropy({ fromLogits: true, labelSmoothing: 0.2 });
    const out = loss.compute(dense, [4, 3], logits, [4, 3]);
    const want = rowsOf(logits, 3).map((r, i) => refSoftmaxCE(r, oneHot(labels[i]!, 3).map((t) => t * 0.8 + 0.2 / 3)));
    expectClose(out.perRow, want, 1e-6, 1e-5);
  });
  it('logits of +-1e4 stay finite; all-zero probabilities give -log(eps), not NaN', () => {
    const l = new T.SparseCategoricalCrossentropy({ fromLogits: true });
    const out = l.compute(new Int32Array([0, 1]), [2], new Float32Array([1e4, -1e4, 1e4, -1e4]), [2, 2]);
    expect(out.perRow[0]).toBe(0);
    expect(out.perRow[1]).toBeCloseTo(2e4, 0);
    expect(Array.from(out.grad!)).toEqual([0, 0, 0.5, -0.5]);
    const p = new T.SparseCategoricalCrossentropy();
    const z = p.compute(new Int32Array([1]), [1], new Float32Array([0, 0, 0]), [1, 3]);
    expect(z.value).toBeCloseTo(-Math.log(EPS), 4);
    expect(Array.from(z.grad!)).toEqual([0, 0, 0]);
  });
  it('a class absent from the batch (empty class), and label smoothing on probabilities', () => {
    const absent = new Int32Array([0, 0, 1, 1]); // class 2 never occurs
    for (const loss of [new T.SparseCategoricalCrossentropy({ fromLogits: true }), new T.SparseCategoricalCrossentropy()]) {
      const yp = loss.fromLogits ? logits : probs;
      const out = loss.compute(absent, [4], yp, [4, 3]);
      const want = rowsOf(yp, 3).map((r, i) => (loss.fromLogits ? refSoftmaxCE : refProbCE)(r, oneHot(absent[i]!, 3)));
      expectClose(out.perRow, want, 1e-6, 1e-5);
      expectClose(out.grad!, fdGrad(loss, absent, [4], yp, [4, 3]), 2e-3);
    }
    const ls = new T.CategoricalCrossentropy({ labelSmoothing: 0.1 });
    const out = ls.compute(dense, [4, 3], probs, [4, 3]);
    const want = rowsOf(probs, 3).map((r, i) => refProbCE(r, oneHot(labels[i]!, 3).map((t) => t * 0.9 + 0.1 / 3)));
    expectClose(out.perRow, want, 1e-6, 1e-5);
    expectClose(out.grad!, fdGrad(ls, dense, [4, 3], probs, [4, 3]), 2e-3);
  });
  it('a NaN prediction gives a NaN loss (Keras: clip(NaN) is NaN), not the clipped -log(eps)', () => {
    const p = new Float32Array([0.2, NaN, 0.7, 0.1, 0.3, 0.6]);
    const out = new T.SparseCategoricalCrossentropy().compute(new Int32Array([0, 2]), [2], p, [2, 3]);
    expect(Number.isNaN(out.perRow[0])).toBe(true);
    expect(out.perRow[1]).toBeCloseTo(-Math.log(0.6), 5);
    expect(Number.isNaN(out.value)).toBe(true);
    for (const l of [new T.BinaryCrossentropy(), new T.MeanSquaredError(), new T.KLDivergence()])
      expect(Number.isNaN(l.compute(new Float32Array([0, 1, 0, 0, 1, 0]), [2, 3], p, [2, 3]).value)).toBe(true);
  });
  it('float labels [N, 1] are accepted; bad labels are RangeErrors naming the value', () => {
    const l = new T.SparseCategoricalCrossentropy({ fromLogits: true });
    const a = l.compute(new Float32Array([0, 1, 2, 1]), [4, 1], logits, [4, 3]).value;
    expect(a).toBeCloseTo(l.compute(labels, [4], logits, [4, 3]).value, 6);
    expect(() => l.compute(new Float32Array([0, 1, 3, 1]), [4], logits, [4, 3])).toThrow(/label 3/);
    expect(() => l.compute(new Int32Array([0, 1]), [2], logits, [4, 3])).toThrow(RangeError);
  });
});

describe('elementwise losses', () => {
  const yt = new Float32Array([0, 1, 1, 0, 0.5, 0.2]);
  const yp = new Float32Array([0.1, 0.8, 0.6, 0.3, 0.5, 0.9]);
  const mean = (f: (t: number, p: number) => number) => [0, 1].map((r) => [0, 1, 2].reduce((s, j) => s + f(yt[r * 3 + j]!, yp[r * 3 + j]!), 0) / 3);
  const cases: [T.Loss, number[]][] = [
    [new T.MeanSquaredError(), mean((t, p) => (p - t) ** 2)],
    [new T.MeanAbsoluteError(), mean((t, p) => Math.abs(p - t))],
    [new T.Huber({ delta: 0.25 }), mean((t, p) => (Math.abs(p - t) <= 0.25 ? 0.5 * (p - t) ** 2 : 0.25 * Math.abs(p - t) - 0.5 * 0.0625))],
    [new T.BinaryCrossentropy(), mean((t, p) => -(t * Math.log(clip(p, EPS, 1 - EPS)) + (1 - t) * Math.log(1 - clip(p, EPS, 1 - EPS))))],
    [new T.BinaryCrossentropy({ fromLogits: true }), mean((t, x) => -(t * Math.log(1 / (1 + Math.exp(-x))) + (1 - t) * Math.log(1 - 1 / (1 + Math.exp(-x)))))],
    [new T.KLDivergence(), [0, 1].map((r) => [0, 1, 2].reduce((s, j) => { const t = clip(yt[r * 3 + j]!, EPS, 1); return s + t * Math.log(t / clip(yp[r * 3 + j]!, EPS, 1)); }, 0))],
  ];
  it('values and gradients against the definitions', () => {
    for (const [loss, want] of cases) {
      const out = loss.compute(yt, [2, 3], yp, [2, 3]);
      expectClose(out.perRow, want, 1e-6, 1e-5);
      expectClose(out.grad!, fdGrad(loss, yt, [2, 3], yp, [2, 3]), 2e-3);
    }
  });
  it('hinge maps {0,1} labels to {-1,1}', () => {
    const h = new T.Hinge().compute(new Float32Array([0, 1]), [1, 2], new Float32Array([0.3, 0.4]), [1, 2]);
    expect(h.value).toBeCloseTo((1.3 + 0.6) / 2, 6);
  });
  it('reductions sum and none', () => {
    const s = new T.MeanSquaredError({ reduction: 'sum' }).compute(yt, [2, 3], yp, [2, 3]);
    expect(s.value).toBeCloseTo(cases[0]![1][0]! + cases[0]![1][1]!, 6);
    expect(() => new T.MeanSquaredError({ reduction: 'mean' as T.Reduction })).toThrow(RangeError);
  });
  it("reduction 'none': per-sample losses, value = their weighted sum, gradient of that sum", () => {
    const l = new T.MeanSquaredError({ reduction: 'none' });
    const w = new Float32Array([0.5, 3]);
    const out = l.compute(yt, [2, 3], yp, [2, 3], { sampleWeight: w });
    expectClose(out.perRow, cases[0]![1], 1e-6, 1e-5);
    expect(out.value).toBeCloseTo(0.5 * cases[0]![1][0]! + 3 * cases[0]![1][1]!, 6);
    expectClose(out.grad!, fdGrad(l, yt, [2, 3], yp, [2, 3], w), 2e-3);
  });
  it('binary cross-entropy: logits of +-1e4 stay finite; label smoothing t (1 - ls) + ls / 2', () => {
    const l = new T.BinaryCrossentropy({ fromLogits: true });
    const out = l.compute(new Float32Array([1, 0, 1, 0]), [4, 1], new Float32Array([1e4, -1e4, -1e4, 1e4]), [4, 1]);
    expect(Array.from(out.perRow)).toEqual([0, 0, 1e4, 1e4]);
    expect(out.value).toBeCloseTo(5e3, 2);
    expect(Array.from(out.grad!)).toEqual([0, 0, -0.25, 0.25]);
    const s = new T.BinaryCrossentropy({ labelSmoothing: 0.2 }).compute(yt, [2, 3], yp, [2, 3]);
    const want = mean((t0, p) => {
      const t = t0 * 0.8 + 0.1, q = clip(p, EPS, 1 - EPS);
      return -(t * Math.log(q) + (1 - t) * Math.log(1 - q));
    });
    expectClose(s.perRow, want, 1e-6, 1e-5);
  });
  it('hinge gradient against finite differences (labels in {0, 1} and in {-1, 1})', () => {
    const p = new Float32Array([0.3, -0.4, 1.7, 0.2, -2.5, 0.6]);
    for (const t of [new Float32Array([0, 1, 1, 0, 0, 1]), new Float32Array([-1, 1, 1, -1, -1, 1])]) {
      const h = new T.Hinge();
      const out = h.compute(t, [2, 3], p, [2, 3]);
      const want = [0, 1].map((r) => [0, 1, 2].reduce((acc, j) => { const tt = t[r * 3 + j]! === 0 ? -1 : t[r * 3 + j]!; return acc + Math.max(0, 1 - tt * p[r * 3 + j]!); }, 0) / 3);
      expectClose(out.perRow, want, 1e-6, 1e-5);
      expectClose(out.grad!, fdGrad(h, t, [2, 3], p, [2, 3]), 2e-3);
    }
  });
  it('lookup by Keras and camelCase names', () => {
    expect(T.getLoss('sparse_categorical_crossentropy')).toBeInstanceOf(T.SparseCategoricalCrossentropy);
    expect(T.getLoss('categoricalCrossentropy')).toBeInstanceOf(T.CategoricalCrossentropy);
    expect(T.getLoss('mse')).toBeInstanceOf(T.MeanSquaredError);
    expect(() => T.getLoss('nope')).toThrow(/unknown loss/);
  });
});
