// Every metric is stateful like Keras's: feeding a data set in uneven batches (with sample weights)
// gives the value of a plain double-precision reference computed once over all the rows, written
// here from Keras's definitions (weighted means are sum(w v) / sum(w); precision and recall count
// weighted true/false positives over all elements). Also an all-zero-weight batch changes nothing.
import { describe, expect, it } from 'vitest';
import * as T from '../../lib/training/index.js';

function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

const N = 23, C = 4, SPLITS = [0, 7, 8, 8, 23]; // batches of 7, 1, 0 and 15 rows
const rnd = lcg(5);
const probs = Float32Array.from({ length: N * C }, () => rnd());
const labels = Int32Array.from({ length: N }, () => Math.floor(rnd() * C));
const oneHot = Float32Array.from({ length: N * C }, (_, i) => (labels[Math.floor(i / C)] === i % C ? 1 : 0));
const weights = Float32Array.from({ length: N }, () => Math.round(rnd() * 3)); // 0..3, some zero
const bin = Float32Array.from({ length: N }, () => (rnd() < 0.5 ? 1 : 0));
const binPred = Float32Array.from({ length: N }, () => rnd());
const reg = Float32Array.from({ length: N * C }, () => rnd() * 2 - 1);

type Data = { yTrue: T.Labels; trueCols: number; yPred: Float32Array; predCols: number };

function feed(m: T.Metric, d: Data): number {
  for (let k = 0; k + 1 < SPLITS.length; k++) {
    const [a, b] = [SPLITS[k]!, SPLITS[k + 1]!];
    m.updateState({
      yTrue: d.yTrue.slice(a * d.trueCols, b * d.trueCols) as T.Labels,
      trueShape: d.trueCols === 1 && d.yTrue instanceof Int32Array ? [b - a] : [b - a, d.trueCols],
      yPred: d.yPred.slice(a * d.predCols, b * d.predCols),
      predShape: [b - a, d.predCols],
      sampleWeight: weights.slice(a, b),
    });
  }
  return m.result();
}

const wmean = (v: (r: number) => number) => {
  let s = 0, w = 0;
  for (let r = 0; r < N; r++) {
    s += weights[r]! * v(r);
    w += weights[r]!;
  }
  return s / w;
};
const argmax = (a: ArrayLike<number>, r: number, c: number) => {
  let k = 0;
  for (let j = 1; j < c; j++) if (a[r * c + j]! > a[r * c + k]!) k = j;
  return k;
};
const rankOf = (r: number) => {
  let better = 0;
  for (let j = 0; j < C; j++) if (probs[r * C + j]! > probs[r * C + labels[r]!]!) better++;
  return better;
};

describe('metrics accumulate across uneven weighted batches like one pass over all rows', () => {
  const sparse: Data = { yTrue: labels, trueCols: 1, yPred: probs, predCols: C };
  const dense: Data = { yTrue: oneHot, trueCols: C, yPred: probs, predCols: C };
  const binary: Data = { yTrue: bin, trueCols: 1, yPred: binPred, predCols: 1 };
  const regression: Data = { yTrue: reg.map((v) => v * 0.5 + 0.1), trueCols: C, yPred: reg, predCols: C };
  const cases: [string, () => T.Metric, Data, number][] = [
    ['sparse categorical accuracy', () => new T.SparseCategoricalAccuracy(), sparse, wmean((r) => (argmax(probs, r, C) === labels[r] ? 1 : 0))],
    ['categorical accuracy', () => new T.CategoricalAccuracy(), dense, wmean((r) => (argmax(probs, r, C) === argmax(oneHot, r, C) ? 1 : 0))],
    ['accuracy (sparse labels)', () => T.getMetric('accuracy', [N, C], [N]), sparse, wmean((r) => (argmax(probs, r, C) === labels[r] ? 1 : 0))],
    ['binary accuracy', () => new T.BinaryAccuracy(), binary, wmean((r) => ((binPred[r]! > 0.5 ? 1 : 0) === bin[r] ? 1 : 0))],
    ['top-2 categorical accuracy', () => new T.TopKCategoricalAccuracy(2), dense, wmean((r) => (rankOf(r) < 2 ? 1 : 0))],
    ['mse', () => T.getMetric('mse', [N, C], [N, C]), regression, wmean((r) => Array.from({ length: C }, (_, j) => (reg[r * C + j]! * 0.5 - 0.1) ** 2).reduce((a, b) => a + b) / C)],
    ['mae', () => T.getMetric('mae', [N, C], [N, C]), regression, wmean((r) => Array.from({ length: C }, (_, j) => Math.abs(reg[r * C + j]! * 0.5 - 0.1)).reduce((a, b) => a + b) / C)],
  ];
  for (const [name, make, data, want] of cases) {
    it(name, () => {
      expect(feed(make(), data)).toBeCloseTo(want, 6);
    });
  }
  it('precision and recall (weighted counts over all elements)', () => {
    let tp = 0, fp = 0, fn = 0;
    for (let r = 0; r < N; r++) {
      const pos = binPred[r]! > 0.5, t = bin[r]! > 0.5;
      if (pos && t) tp += weights[r]!;
      else if (pos) fp += weights[r]!;
      else if (t) fn += weights[r]!;
    }
    expect(feed(new T.Precision(), binary)).toBeCloseTo(tp / (tp + fp), 6);
    expect(feed(new T.Recall(), binary)).toBeCloseTo(tp / (tp + fn), 6);
  });
  it('resetState starts a new accumulation (per epoch in fit)', () => {
    const m = new T.SparseCategoricalAccuracy();
    feed(m, sparse);
    m.resetState();
    m.updateState({ yTrue: new Int32Array([1]), trueShape: [1], yPred: new Float32Array([0.2, 0.8]), predShape: [1, 2], sampleWeight: null });
    expect(m.result()).toBe(1);
  });
});
