// fit's data options against independent references: sampleWeight and classWeight against a
// double-precision cross-entropy of the model's own predictions and against an unweighted fit on
// the kept samples; validationSplit takes the LAST fraction before shuffling (Keras); shuffle
// false visits the rows in order (= trainOnBatch on consecutive slices), shuffle true does not;
// verbose 0 writes nothing and verbose 2 writes plain per-epoch lines even on a TTY.
import { describe, expect, it } from 'vitest';
import { setSeed } from '../../lib/random/index.js';
import { resetNames } from '../../lib/layers/index.js';
import { tensor, type Tensor } from '../../lib/tensor/index.js';
import { allocTensor, f32 } from '../../lib/tensor/internal.js';
import { sliceRows } from '../../lib/training/data.js';
import * as T from '../../lib/training/index.js';
import { blobs, mlp, sink, weightsOf } from './helpers.js';

/** A fresh, identically initialised model (same layer names, same seed). */
function fresh(seed: number, lr = 0.1) {
  resetNames();
  setSeed(seed);
  const m = mlp();
  m.compile({ optimizer: new T.SGD({ learningRate: lr }), loss: 'sparse_categorical_crossentropy' });
  return m;
}

/** sum_i w_i * -log(p_i[y_i]) / n in double precision, from the model's softmax outputs. */
function refWeightedCE(probs: Float32Array, labels: Int32Array, w: number[]): number {
  const n = labels.length, c = probs.length / n;
  let s = 0;
  for (let i = 0; i < n; i++) s += w[i]! * -Math.log(Math.min(Math.max(probs[i * c + labels[i]!]!, 1e-7), 1 - 1e-7));
  return s / n;
}

function predictArray(m: ReturnType<typeof fresh>, x: Tensor): Float32Array {
  const p = m.predictSync(x) as Tensor;
  const a = Float32Array.from(p.dataSync() as Float32Array);
  p.dispose();
  return a;
}

function expectAllClose(a: number[][], b: number[][], tol: number): void {
  expect(a.length).toBe(b.length);
  a.forEach((t, k) => t.forEach((v, i) => expect(Math.abs(v - b[k]![i]!)).toBeLessThanOrEqual(tol * (1 + Math.abs(b[k]![i]!)))));
}

describe('fit data options', () => {
  it('sampleWeight: the epoch loss is the weighted mean; zero weights remove samples from the gradient', async () => {
    const { x, y } = blobs(30);
    const labels = Int32Array.from(y.dataSync() as Int32Array);
    const w = Array.from({ length: 30 }, (_, i) => (i < 15 ? 2 : 0));
    const a = fresh(41);
    const probs = predictArray(a, x);
    // One batch of all 30 rows: the logged loss is that batch's loss, computed before the update.
    const h = await a.fit(x, y, { epochs: 1, batchSize: 30, shuffle: false, sampleWeight: tensor(w), verbose: 0 });
    expect(h.history['loss']![0]!).toBeCloseTo(refWeightedCE(probs, labels, w), 5);
    // sum_over_batch_size: sum(w l) / 30 with w = 2 on the first 15 rows is the plain mean over
    // those 15, so the SGD step equals an unweighted step on the first half alone.
    const b = fresh(41);
    await b.fit(sliceRows(x, 0, 15), sliceRows(y, 0, 15), { epochs: 1, batchSize: 15, shuffle: false, verbose: 0 });
    expectAllClose(weightsOf(a), weightsOf(b), 1e-5);
    const c = fresh(41);
    await c.fit(x, y, { epochs: 1, batchSize: 30, shuffle: false, verbose: 0 });
    expect(weightsOf(c)).not.toEqual(weightsOf(b));
    await expect(a.fit(x, y, { sampleWeight: tensor([1, 2]), verbose: 0 })).rejects.toThrow(RangeError);
  });

  it('classWeight: each sample weighted by its class, as a per-sample weight', async () => {
    const { x, y } = blobs(30);
    const labels = Int32Array.from(y.dataSync() as Int32Array);
    const cw = { 0: 2, 1: 0.5, 2: 0 };
    const w = Array.from(labels, (k) => cw[k as 0 | 1 | 2]);
    const a = fresh(42);
    const probs = predictArray(a, x);
    const h = await a.fit(x, y, { epochs: 1, batchSize: 30, shuffle: false, classWeight: cw, verbose: 0 });
    expect(h.history['loss']![0]!).toBeCloseTo(refWeightedCE(probs, labels, w), 5);
    const b = fresh(42);
    await b.fit(x, y, { epochs: 1, batchSize: 30, shuffle: false, sampleWeight: tensor(w), verbose: 0 });
    expectAllClose(weightsOf(a), weightsOf(b), 1e-6);
  });

  it('validationSplit holds out the last fraction of the rows, before shuffling', async () => {
    const { x, y } = blobs(50);
    const a = fresh(43);
    const h = await a.fit(x, y, { epochs: 1, batchSize: 8, validationSplit: 0.2, shuffle: false, verbose: 0 });
    // Trained on rows 0..39 only: the same weights as a fit on exactly those rows.
    const b = fresh(43);
    await b.fit(sliceRows(x, 0, 40), sliceRows(y, 0, 40), { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
    expect(weightsOf(a)).toEqual(weightsOf(b));
    // Validated on rows 40..49 with the end-of-epoch weights.
    const probs = predictArray(a, sliceRows(x, 40, 50));
    const labels = Int32Array.from(sliceRows(y, 40, 50).dataSync() as Int32Array);
    expect(h.history['val_loss']![0]!).toBeCloseTo(refWeightedCE(probs, labels, new Array(10).fill(1)), 5);
  });

  it('shuffle false visits rows in order (= trainOnBatch on consecutive slices); shuffle true reorders', async () => {
    const { x, y } = blobs(48);
    const a = fresh(44);
    await a.fit(x, y, { epochs: 2, batchSize: 16, shuffle: false, verbose: 0 });
    const b = fresh(44);
    for (let e = 0; e < 2; e++) for (let k = 0; k < 3; k++) b.trainOnBatch(sliceRows(x, 16 * k, 16 * k + 16), sliceRows(y, 16 * k, 16 * k + 16));
    expectAllClose(weightsOf(a), weightsOf(b), 1e-6);
    const c = fresh(44);
    await c.fit(x, y, { epochs: 2, batchSize: 16, shuffle: true, verbose: 0 });
    const diff = weightsOf(c).flat().reduce((s, v, i) => s + Math.abs(v - weightsOf(a).flat()[i]!), 0);
    expect(diff).toBeGreaterThan(1e-4);
  });

  it('evaluate / testOnBatch / trainOnBatch report the loss and accuracy of the predictions', async () => {
    const { x, y } = blobs(45);
    const labels = Int32Array.from(y.dataSync() as Int32Array);
    const m = fresh(46);
    m.compile({ optimizer: new T.SGD({ learningRate: 0.1 }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    const probs = predictArray(m, x);
    const ce = refWeightedCE(probs, labels, new Array(45).fill(1));
    let hits = 0;
    for (let i = 0; i < 45; i++) {
      let k = 0;
      for (let j = 1; j < 3; j++) if (probs[i * 3 + j]! > probs[i * 3 + k]!) k = j;
      hits += k === labels[i] ? 1 : 0;
    }
    // evaluate in uneven batches (16, 16, 13): Keras averages the loss over samples, not batches.
    const [el, ea] = (await m.evaluate(x, y, { batchSize: 16 })) as number[];
    expect(el!).toBeCloseTo(ce, 5);
    expect(ea!).toBeCloseTo(hits / 45, 10);
    const [tl, ta] = m.testOnBatch(x, y) as number[];
    expect(tl!).toBeCloseTo(ce, 5);
    expect(ta!).toBeCloseTo(hits / 45, 10);
    // trainOnBatch returns the loss of the batch before its update, then the weights move.
    const before = weightsOf(m);
    const [bl] = m.trainOnBatch(x, y) as number[];
    expect(bl!).toBeCloseTo(ce, 5);
    expect(weightsOf(m)).not.toEqual(before);
  });

  it('validationFreq as a list of 1-based epochs validates on exactly those epochs', async () => {
    const { x, y } = blobs(32);
    const m = fresh(47);
    const at: number[] = [];
    const h = await m.fit(x, y, {
      epochs: 5, batchSize: 16, verbose: 0, validationData: [x, y], validationFreq: [1, 4],
      callbacks: { onEpochEnd: (e, logs) => void ('val_loss' in logs! && at.push(e + 1)) },
    });
    expect(at).toEqual([1, 4]);
    expect(h.history['val_loss']).toHaveLength(2);
  });

  it('TerminateOnNaN in a real fit: a NaN batch loss ends training after that batch', async () => {
    const { x, y } = blobs(48);
    const bad = allocTensor(x.shape);
    f32(bad).fill(NaN);
    const m = fresh(48);
    const h = await m.fit(bad, y, { epochs: 3, batchSize: 16, shuffle: false, verbose: 0, callbacks: [new T.TerminateOnNaN()] });
    expect(m.optimizer!.iterations).toBe(1);
    expect(h.epoch.length).toBeLessThanOrEqual(1);
  });

  it("History keys follow Keras's metric names (sparse_categorical_accuracy, val_ prefix)", async () => {
    const { x, y } = blobs(32);
    const m = fresh(49);
    m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['sparse_categorical_accuracy'] });
    const h = await m.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0, validationData: [x, y] });
    expect(Object.keys(h.history)).toEqual(['loss', 'sparse_categorical_accuracy', 'val_loss', 'val_sparse_categorical_accuracy']);
    expect(h.history['sparse_categorical_accuracy']).toHaveLength(2);
  });

  it('verbose 0 writes nothing; verbose 2 writes one plain line per epoch even on a TTY', async () => {
    const { x, y } = blobs(32);
    const m = fresh(45);
    const quiet = sink(true);
    await m.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0, progressStream: quiet });
    expect(quiet.text).toBe('');
    const two = sink(true);
    await m.fit(x, y, { epochs: 2, batchSize: 16, verbose: 2, progressStream: two });
    expect(two.text).not.toContain('\r');
    expect(two.text).not.toContain('[');
    const lines = two.text.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toBe('Epoch 2/2');
    expect(lines[3]).toMatch(/^2\/2 - \d+s - \d+(ms|us)\/step - loss: \d\.\d{4}$/);
    await expect(m.fit(x, y, { verbose: 3 as unknown as 0 })).rejects.toThrow(/verbose/);
  });
});
