// fit / evaluate / trainOnBatch end to end on a small model: learning, Keras log keys, sample and
// class weights, validation, datasets, the event loop, AbortSignal, reproducibility, resuming.
import { describe, expect, it } from 'vitest';
import { setSeed } from '../../lib/random/index.js';
import { resetNames } from '../../lib/layers/index.js';
import * as T from '../../lib/training/index.js';
import { blobs, mlp, sink, weightsOf } from './helpers.js';

describe('fit', () => {
  it('learns a separable problem; History has Keras keys (loss, metrics, val_*)', async () => {
    setSeed(7);
    const { x, y } = blobs(300);
    const m = mlp();
    m.compile({ optimizer: T.optimizers.adam({ learningRate: 0.01 }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    const h = await m.fit(x, y, { epochs: 8, batchSize: 32, validationSplit: 0.2, verbose: 0 });
    expect(Object.keys(h.history)).toEqual(['loss', 'accuracy', 'val_loss', 'val_accuracy']);
    expect(h.epoch).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const loss = h.history['loss']!;
    expect(loss[7]!).toBeLessThan(loss[0]! * 0.5);
    expect(h.history['val_accuracy']![7]!).toBeGreaterThan(0.9);
    const ev = (await m.evaluate(x, y, { returnDict: true })) as T.Logs;
    expect(Object.keys(ev)).toEqual(['loss', 'accuracy']);
    expect(ev['accuracy']!).toBeGreaterThan(0.9);
    expect(m.metricsNames).toEqual(['loss', 'accuracy']);
    expect(m.history).toBe(h);
  });

  it('categorical crossentropy from logits, SGD with momentum, metric objects', async () => {
    setSeed(8);
    const { x, yOneHot } = blobs(240);
    const m = mlp({ activation: 'linear' });
    m.compile({
      optimizer: new T.SGD({ learningRate: 0.05, momentum: 0.9 }),
      loss: new T.CategoricalCrossentropy({ fromLogits: true }),
      metrics: [new T.CategoricalAccuracy()],
    });
    const h = await m.fit(x, yOneHot, { epochs: 6, batchSize: 16, verbose: 0 });
    expect(h.history['categorical_accuracy']![5]!).toBeGreaterThan(0.9);
  });

  it('trainOnBatch / testOnBatch return Keras-style values', () => {
    setSeed(9);
    const { x, y } = blobs(32);
    const m = mlp();
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['acc'] });
    const r = m.trainOnBatch(x, y) as number[];
    expect(r).toHaveLength(2);
    expect(m.optimizer!.iterations).toBe(1);
    const d = m.testOnBatch(x, y, { returnDict: true }) as T.Logs;
    expect(Object.keys(d)).toEqual(['loss', 'acc']);
    m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
    expect(typeof m.trainOnBatch(x, y)).toBe('number');
  });

  it('sample weights of zero remove samples; class weights scale the loss', async () => {
    setSeed(10);
    const { x, y } = blobs(30);
    const m = mlp();
    m.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy' });
    const { tensor } = await import('../../lib/tensor/index.js');
    const full = (await m.evaluate(x, y)) as number;
    const w = tensor(Array.from({ length: 30 }, (_, i) => (i < 15 ? 2 : 0)));
    const half = (await m.evaluate(x, y, { sampleWeight: w })) as number;
    const { sliceRows } = await import('../../lib/training/data.js');
    const first = (await m.evaluate(sliceRows(x, 0, 15), sliceRows(y, 0, 15))) as number;
    // sum_over_batch_size: sum(w l) / N, so weights 2 on half the samples give the mean of that half.
    expect(half).toBeCloseTo(first, 5);
    expect(full).not.toBeCloseTo(half, 3);
    const h = await m.fit(x, y, { epochs: 1, batchSize: 30, classWeight: { 0: 0, 1: 0, 2: 0 }, verbose: 0, shuffle: false });
    expect(h.history['loss']![0]).toBe(0);
  });

  it('fits from an async iterator of batches and from a re-iterable dataset', async () => {
    setSeed(11);
    const { x, y } = blobs(96);
    const { sliceRows } = await import('../../lib/training/data.js');
    const batches = [0, 1, 2].map((k) => [sliceRows(x, k * 32, k * 32 + 32), sliceRows(y, k * 32, k * 32 + 32)] as const);
    const m = mlp();
    m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    const h = await m.fit(batches, { epochs: 3, verbose: 0 }); // array: re-iterated each epoch
    expect(m.optimizer!.iterations).toBe(9);
    async function* gen() {
      for (let e = 0; ; e++) for (const b of batches) yield { xs: b[0], ys: b[1] };
    }
    const h2 = await m.fit(gen(), { epochs: 2, stepsPerEpoch: 3, verbose: 0, validationData: batches });
    expect(m.optimizer!.iterations).toBe(15);
    expect(h.history['loss']).toHaveLength(3);
    // A re-iterable async dataset with stepsPerEpoch = its length: every epoch gets all its batches.
    const reiterable = {
      async *[Symbol.asyncIterator]() {
        for (const b of batches) yield b;
      },
    };
    const before = m.optimizer!.iterations;
    await m.fit(reiterable, { epochs: 3, stepsPerEpoch: 3, verbose: 0 });
    expect(m.optimizer!.iterations - before).toBe(9);
    expect(Object.keys(h2.history)).toContain('val_accuracy');
  });

  it('does not block the event loop: a timer keeps ticking during fit', async () => {
    setSeed(12);
    const { x, y } = blobs(640);
    const m = mlp();
    m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const t0 = performance.now();
    await m.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
    const ms = performance.now() - t0;
    clearInterval(timer);
    // 160 batches; a blocking loop would let the timer fire at most once.
    expect(ticks).toBeGreaterThan(Math.min(20, ms / 10));
  });

  it('an AbortSignal stops fit cleanly after the current batch', async () => {
    setSeed(13);
    const { x, y } = blobs(320);
    const m = mlp();
    m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
    const ac = new AbortController();
    let batches = 0;
    const h = await m.fit(x, y, {
      epochs: 5,
      batchSize: 8,
      verbose: 0,
      signal: ac.signal,
      callbacks: { onBatchEnd: (b) => { batches++; if (b === 4) ac.abort(); } },
    });
    expect(batches).toBe(5);
    expect(m.optimizer!.iterations).toBe(5);
    expect(h.aborted).toBe(true);
    expect(h.epoch).toEqual([]);
  });

  it('seeded runs are bit-for-bit reproducible (shuffle, dropout, init)', async () => {
    const run = async () => {
      resetNames();
      setSeed(42);
      const { x, y } = blobs(200);
      const m = mlp({ dropout: 0.3, bn: true });
      m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
      await m.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
      return weightsOf(m);
    };
    const a = await run();
    const b = await run();
    expect(b).toEqual(a);
  });

  it('initialEpoch continues the same curve as one uninterrupted run', async () => {
    const setup = () => {
      resetNames();
      setSeed(5);
      const d = blobs(120);
      const m = mlp();
      m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
      return { m, ...d };
    };
    const a = setup();
    const full = await a.m.fit(a.x, a.y, { epochs: 4, batchSize: 16, verbose: 0 });
    const b = setup();
    const first = await b.m.fit(b.x, b.y, { epochs: 2, batchSize: 16, verbose: 0 });
    const rest = await b.m.fit(b.x, b.y, { epochs: 4, initialEpoch: 2, batchSize: 16, verbose: 0 });
    expect(rest.epoch).toEqual([2, 3]);
    expect([...first.history['loss']!, ...rest.history['loss']!]).toEqual(full.history['loss']);
    expect(weightsOf(b.m)).toEqual(weightsOf(a.m));
  });

  it('validationFreq, bad arguments', async () => {
    setSeed(14);
    const { x, y } = blobs(60);
    const m = mlp();
    await expect(m.fit(x, y)).rejects.toThrow(/compile/);
    m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
    const h = await m.fit(x, y, { epochs: 4, validationData: [x, y], validationFreq: 2, verbose: 0 });
    expect(h.history['val_loss']).toHaveLength(2);
    await expect(m.fit(x, y, { batchSize: 0 })).rejects.toThrow(RangeError);
    await expect(m.fit(x, y, { validationSplit: 1.5 })).rejects.toThrow(/validationSplit/);
    expect(() => m.compile({ optimizer: 'adam', loss: 'nope' })).toThrow(/unknown loss/);
  });

  it('progress: one line per epoch off a TTY, a redrawn bar on a TTY, JSON lines', async () => {
    setSeed(15);
    const { x, y } = blobs(64);
    const m = mlp();
    m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    const plain = sink(false);
    await m.fit(x, y, { epochs: 2, batchSize: 16, validationData: [x, y], progressStream: plain });
    const lines = plain.text.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe('Epoch 1/2');
    expect(lines[1]).toMatch(/^4\/4 - \d+s - \d+(ms|us)\/step - loss: \d\.\d{4} - accuracy: \d\.\d{4} - val_loss: \d\.\d{4} - val_accuracy: \d\.\d{4}$/);
    const tty = sink(true);
    await m.fit(x, y, { epochs: 1, batchSize: 16, progressStream: tty });
    expect(tty.text).toMatch(/\r4\/4 \[==============================\] - \d+s \d+(ms|us)\/step - loss: \d\.\d{4} - accuracy: \d\.\d{4}\s*\n$/);
    const js = sink(false);
    await m.fit(x, y, { epochs: 2, batchSize: 16, verbose: 'json', progressStream: js });
    const recs = js.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(recs[1]).toMatchObject({ epoch: 2, epochs: 2, steps: 4 });
    expect(typeof recs[1].loss).toBe('number');
    expect(T.bar(10, 30)).toBe('[=========>....................]');
  });
});

describe('zoo models train', () => {
  it('the CIFAR-10 baseline (conv, BN, dropout) trains and its loss falls on a synthetic set', async () => {
    const { cifarBaseline } = await import('../../lib/zoo/index.js');
    const { allocTensor, f32, i32 } = await import('../../lib/tensor/internal.js');
    const { Rng } = await import('../../lib/random/index.js');
    setSeed(3);
    const n = 64;
    const rng = new Rng(4);
    const x = allocTensor([n, 32, 32, 3]);
    const y = allocTensor([n], 'int32');
    const xv = f32(x), yv = i32(y);
    // Class k: a bright square at one of 10 positions, plus noise.
    for (let i = 0; i < n; i++) {
      const k = i % 10;
      yv[i] = k;
      for (let p = 0; p < 32 * 32 * 3; p++) xv[i * 3072 + p] = rng.normal(0, 0.3);
      const r0 = 3 * (k % 5) + 4, c0 = k < 5 ? 6 : 20;
      for (let r = r0; r < r0 + 6; r++) for (let c = c0; c < c0 + 6; c++) for (let ch = 0; ch < 3; ch++) xv[i * 3072 + (r * 32 + c) * 3 + ch] += 2;
    }
    const m = cifarBaseline();
    m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    const h = await m.fit(x, y, { epochs: 4, batchSize: 16, verbose: 0 });
    const loss = h.history['loss']!;
    expect(loss[3]!).toBeLessThan(loss[0]! * 0.7);
    // BN moving statistics moved from their initial values (training mode), by Keras's momentum rule.
    const bn = m.layers.find((l) => l.getClassName() === 'BatchNormalization')!;
    const movingMean = bn.weights.find((w) => w.name.endsWith('moving_mean'))!.read().dataSync();
    expect(Array.from(movingMean).some((v) => v !== 0)).toBe(true);
  }, 120_000);
});
