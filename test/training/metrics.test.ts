// Metrics against plain references, accumulated over several batches, with sample weights and
// edge cases (classes absent, empty state).
import { describe, expect, it } from 'vitest';
import * as T from '../../lib/training/index.js';

const inp = (yTrue: T.Labels, trueShape: number[], yPred: number[], predShape: number[], sw?: number[]): T.MetricInput => ({
  yTrue,
  trueShape,
  yPred: new Float32Array(yPred),
  predShape,
  sampleWeight: sw ? new Float32Array(sw) : null,
});

describe('metrics', () => {
  it('sparse categorical accuracy accumulates across batches with weights', () => {
    const m = new T.SparseCategoricalAccuracy();
    m.updateState(inp(new Int32Array([0, 1]), [2], [0.9, 0.1, 0.8, 0.2], [2, 2])); // 1, 0
    m.updateState(inp(new Int32Array([1]), [1], [0.3, 0.7], [1, 2], [3])); // 1 (weight 3)
    expect(m.result()).toBeCloseTo(4 / 5, 12);
    m.resetState();
    expect(m.result()).toBe(0);
  });
  it('accuracy resolves like Keras from the shapes', () => {
    expect(T.getMetric('accuracy', [8, 10], [8])).toBeInstanceOf(T.SparseCategoricalAccuracy);
    expect(T.getMetric('accuracy', [8, 10], [8, 1])).toBeInstanceOf(T.SparseCategoricalAccuracy);
    expect(T.getMetric('accuracy', [8, 10], [8, 10])).toBeInstanceOf(T.CategoricalAccuracy);
    expect(T.getMetric('acc', [8, 1], [8, 1])).toBeInstanceOf(T.BinaryAccuracy);
    expect(T.getMetric('sparseCategoricalAccuracy', [8, 10], [8]).name).toBe('sparse_categorical_accuracy');
    expect(T.getMetric('accuracy', [8, 10], [8]).name).toBe('accuracy');
  });
  it('categorical, binary, top-k', () => {
    const c = new T.CategoricalAccuracy();
    c.updateState(inp(new Float32Array([0, 1, 1, 0]), [2, 2], [0.4, 0.6, 0.4, 0.6], [2, 2]));
    expect(c.result()).toBe(0.5);
    const b = new T.BinaryAccuracy();
    b.updateState(inp(new Float32Array([1, 0, 1, 0]), [4, 1], [0.7, 0.6, 0.2, 0.1], [4, 1]));
    expect(b.result()).toBe(0.5);
    const k = new T.TopKCategoricalAccuracy(2);
    k.updateState(inp(new Float32Array([0, 0, 1, 0, 0, 1]), [2, 3], [0.5, 0.3, 0.2, 0.1, 0.6, 0.3], [2, 3]));
    expect(k.result()).toBe(0.5);
  });
  it('precision and recall with a class absent', () => {
    const p = new T.Precision(), r = new T.Recall();
    const x = inp(new Float32Array([1, 0, 1, 0]), [4, 1], [0.9, 0.8, 0.3, 0.1], [4, 1]);
    p.updateState(x);
    r.updateState(x);
    expect(p.result()).toBe(0.5);
    expect(r.result()).toBe(0.5);
    const none = new T.Precision();
    none.updateState(inp(new Float32Array([0, 0]), [2, 1], [0.1, 0.2], [2, 1]));
    expect(none.result()).toBe(0); // no positive predictions: 0, not NaN
  });
  it('AUC (ROC, 200 thresholds) against the exact rank AUC on well-separated scores', () => {
    // Scores on distinct buckets: the thresholded ROC AUC equals the exact Mann-Whitney AUC.
    const yt = [1, 0, 1, 1, 0, 0, 1, 0];
    const yp = [0.91, 0.12, 0.73, 0.35, 0.55, 0.05, 0.66, 0.44];
    let pairs = 0, wins = 0;
    yt.forEach((a, i) => yt.forEach((b, j) => { if (a === 1 && b === 0) { pairs++; wins += yp[i]! > yp[j]! ? 1 : 0; } }));
    const m = new T.AUC();
    m.updateState(inp(new Float32Array(yt.slice(0, 4)), [4, 1], yp.slice(0, 4), [4, 1]));
    m.updateState(inp(new Float32Array(yt.slice(4)), [4, 1], yp.slice(4), [4, 1]));
    expect(m.result()).toBeCloseTo(wins / pairs, 6);
    const perfect = new T.AUC({ curve: 'PR' });
    perfect.updateState(inp(new Float32Array([1, 0, 1, 0]), [4, 1], [0.9, 0.1, 0.8, 0.2], [4, 1]));
    expect(perfect.result()).toBeCloseTo(1, 6);
    const empty = new T.AUC();
    expect(empty.result()).toBe(0);
  });
  it('mse / mae metrics', () => {
    const m = T.getMetric('mse', [2, 2], [2, 2]);
    m.updateState(inp(new Float32Array([0, 0, 1, 1]), [2, 2], [1, 1, 1, 3], [2, 2]));
    expect(m.result()).toBeCloseTo((1 + 2) / 2, 12);
    const a = T.getMetric('mae', [2, 2], [2, 2]);
    a.updateState(inp(new Float32Array([0, 0, 1, 1]), [2, 2], [1, 1, 1, 3], [2, 2]));
    expect(a.result()).toBeCloseTo((1 + 1) / 2, 12);
  });
});
