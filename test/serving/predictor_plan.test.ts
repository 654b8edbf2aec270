/**
 * createPredictor on a plannable model (lib/serving/plan_runner.ts): one plan for maxBatchSize runs
 * every batch from preallocated staging and output buffers. Results are checked against serial
 * eager forward passes on each request alone (model.apply: one native op per layer, fresh
 * tensors), and steady state through the allocator's counters.
 */
import { describe, expect, it } from 'vitest';
import { memory } from '../../lib/backend.js';
import * as L from '../../lib/layers/index.js';
import * as K from '../../lib/layers/backend.js';
import { sequential } from '../../lib/models/index.js';
import { setSeed } from '../../lib/random/index.js';
import { createPredictor } from '../../lib/serving/index.js';
import { DEFAULT_INLINE_MAX_US } from '../../lib/serving/predictor.js';
import { serveSpec } from '../../lib/cli/commands/serve_spec.js';
import type { Tensor } from '../../lib/tensor/index.js';
import { randomTensor } from '../helpers/gradcheck.js';

function smallCnn() {
  const m = sequential({
    layers: [
      L.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [9, 7, 2] }),
      L.maxPooling2d({ poolSize: 2 }),
      L.flatten(),
      L.dense({ units: 5, activation: 'relu' }),
      L.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  m.weights.forEach((v, i) => v.assign(randomTensor([...v.shape], 300 + i, 0.5)));
  return m;
}

/** What the model gives for this request alone (the eager layer-by-layer pass). */
function serial(m: ReturnType<typeof smallCnn>, x: Tensor): number[] {
  const y = m.apply(x, { training: false }) as Tensor;
  const r = Array.from(y.dataSync());
  y.dispose();
  return r;
}

describe('predictor through one preallocated plan', () => {
  it('concurrent requests of mixed sizes (and one larger than maxBatchSize) get exactly their serial results', async () => {
    setSeed(31);
    const m = smallCnn();
    const p = createPredictor(m, { maxBatchSize: 8, maxDelayMs: 1 });
    const sizes: number[] = [];
    p.onBatch = (e) => sizes.push(e.size);
    for (let round = 0; round < 3; round++) {
      const xs = Array.from({ length: 17 }, (_, i) => randomTensor([i === 5 ? 11 : 1 + ((i + round) % 4), 9, 7, 2], 40 + i + 20 * round));
      const ys = await Promise.all(xs.map((x, i) => (i % 2 ? p.predict(x) : p.predictArray(x.dataSync() as Float32Array, x.shape).then((r) => r))));
      expect(m.inferencePlan.lastPath).toBe('plan');
      xs.forEach((x, i) => {
        const y = ys[i]!;
        const got = 'dataSync' in y ? Array.from(y.dataSync()) : Array.from(y.data);
        expect(got.length).toBe(x.shape[0]! * 3);
        // The plan and the eager path run the same kernels in the same order: exact.
        expect(got).toEqual(serial(m, x));
        if ('dispose' in y) y.dispose();
        x.dispose();
      });
    }
    // Batches of several sizes ran; the 11-sample request went through predict(), whose plan for
    // 11 then served the predictor's batches too (one cached plan runs every smaller batch).
    expect(new Set(sizes.filter((s) => s <= 8)).size).toBeGreaterThan(2);
    expect(sizes).toContain(11);
    expect(m.inferencePlan.plans.map((q) => q.batch)).toEqual([11]);
    await p.close();
  });

  it('steady state: repeated batches allocate no native memory and build no plan', async () => {
    setSeed(32);
    const m = smallCnn();
    const p = createPredictor(m, { maxBatchSize: 8, maxDelayMs: 0 });
    const x = new Float32Array(9 * 7 * 2).fill(0.25);
    const round = (k = 1 + Math.floor(Math.random() * 12)) => Promise.all(Array.from({ length: k }, () => p.predictArray(x, [1, 9, 7, 2])));
    // Warm-up up to full batches (the plan grows to the largest batch seen, here maxBatchSize).
    for (const k of [12, 3, 7, 12]) await round(k);
    const builds = m.inferencePlan.builds;
    const before = memory();
    let batches = 0;
    p.onBatch = () => batches++;
    for (let i = 0; i < 40; i++) await round();
    const after = memory();
    expect(batches).toBeGreaterThan(40);
    expect(after.totalAllocations).toBe(before.totalAllocations);
    // Not toBe: the garbage collector may free tensors left over from earlier work meanwhile
    // (CI once saw 876 bytes go), but nothing may be added.
    expect(after.numBytes).toBeLessThanOrEqual(before.numBytes);
    expect(m.inferencePlan.builds).toBe(builds);
    // close() frees the staging and output buffers.
    await p.close();
    expect(memory().numBytes).toBeLessThan(before.numBytes);
  });

  it('builds its plan for the batches that occur, not for a large maxBatchSize up front', async () => {
    setSeed(34);
    const m = smallCnn();
    const p = createPredictor(m, { maxBatchSize: 4096, maxDelayMs: 0 });
    const x = new Float32Array(9 * 7 * 2).fill(0.5);
    for (let i = 0; i < 3; i++) await p.predictArray(x, [1, 9, 7, 2]);
    expect(m.inferencePlan.plans.map((q) => q.batch)).toEqual([1]);
    // 6 concurrent requests: a batch of 1 (the idle runner starts at once), then one of 5 → plan for 8.
    const ys = await Promise.all(Array.from({ length: 6 }, () => p.predictArray(x, [1, 9, 7, 2])));
    for (const y of ys) expect(Array.from(y.data)).toEqual(Array.from(ys[0]!.data));
    expect(Math.max(...m.inferencePlan.plans.map((q) => q.batch))).toBe(8);
    await p.close();
  });

  it('follows weight changes (the plan comes from the model cache) and reports errors per batch', async () => {
    setSeed(33);
    const m = smallCnn();
    const p = createPredictor(m, { maxBatchSize: 4, maxDelayMs: 0 });
    const x = randomTensor([1, 9, 7, 2], 50);
    const y0 = await p.predict(x);
    expect(Array.from(y0.dataSync())).toEqual(serial(m, x));
    m.setWeights(m.getWeights().map((w) => K.mulScalar(w, 0.5)));
    const y1 = await p.predict(x);
    expect(Array.from(y1.dataSync())).toEqual(serial(m, x));
    expect(Array.from(y1.dataSync())).not.toEqual(Array.from(y0.dataSync()));
    // A wrong sample shape is a clear error for that request only.
    await expect(p.predictArray(new Float32Array(10), [1, 10])).rejects.toThrow(/sample shape \[10\] does not match/);
    expect(Array.from((await p.predict(x)).dataSync())).toEqual(serial(m, x));
    await p.close();
  });

  it('concurrency 2: two lanes with serial plans of their own give exactly the serial results, follow weight changes, allocate nothing in steady state', async () => {
    setSeed(35);
    const m = smallCnn();
    const p = createPredictor(m, { maxBatchSize: 4, maxDelayMs: 0, concurrency: 2 });
    const sizes: number[] = [];
    p.onBatch = (e) => sizes.push(e.size);
    const check = async (seed: number) => {
      const xs = Array.from({ length: 15 }, (_, i) => randomTensor([1 + (i % 3), 9, 7, 2], seed + i));
      const ys = await Promise.all(xs.map((x) => p.predict(x)));
      xs.forEach((x, i) => {
        expect(Array.from(ys[i]!.dataSync())).toEqual(serial(m, x));
        ys[i]!.dispose();
        x.dispose();
      });
    };
    const builds = m.inferencePlan.builds;
    await check(60);
    // Each lane built a plan of its own (outside the model's cache, which predict() uses).
    expect(m.inferencePlan.builds - builds).toBeGreaterThanOrEqual(2);
    expect(m.inferencePlan.plans).toEqual([]);
    m.setWeights(m.getWeights().map((w) => K.mulScalar(w, -0.75)));
    await check(80);
    // Steady state: no native allocation once both lanes have their plans and buffers.
    const x = new Float32Array(9 * 7 * 2).fill(0.25);
    const round = () => Promise.all(Array.from({ length: 9 }, () => p.predictArray(x, [1, 9, 7, 2])));
    for (let i = 0; i < 3; i++) await round();
    const before = memory();
    const b0 = m.inferencePlan.builds;
    for (let i = 0; i < 20; i++) await round();
    expect(memory().totalAllocations).toBe(before.totalAllocations);
    expect(m.inferencePlan.builds).toBe(b0);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4);
    await p.close();
  });

  it('short batches run inline on the event-loop thread, at most one per loop turn, with the worker path\'s results', async () => {
    setSeed(36);
    const m = smallCnn();
    const xs = Array.from({ length: 6 }, (_, i) => randomTensor([1 + (i % 2), 9, 7, 2], 90 + i));
    const want = xs.map((x) => serial(m, x));
    const run = async (opts: { inlineMaxUs?: number }) => {
      const p = createPredictor(m, { maxBatchSize: 4, maxDelayMs: 0, ...opts });
      const inline: boolean[] = [];
      p.onBatch = (e) => inline.push(e.inline === true);
      // A timer set now must fire while the requests go on: inline runs chained in microtasks
      // (each caller resubmitting as its promise resolves) would hold it off to the end.
      const order: string[] = [];
      setTimeout(() => order.push('timer'), 0);
      for (let r = 0; r < 40; r++) {
        const i = r % xs.length;
        const y = await p.predict(xs[i]!);
        expect(Array.from(y.dataSync())).toEqual(want[i]);
        y.dispose();
        order.push('request');
      }
      await p.close();
      return { inline, timerAt: order.indexOf('timer') };
    };
    // A limit of 50 ms: the smallCnn plan takes a few µs, but on a loaded CI machine a run can be
    // descheduled past the default 500 µs and go back to a worker once (that is the rule working).
    const on = await run({ inlineMaxUs: 50_000 });
    // Each batch size's first run goes to a worker (its time unknown); the rest run inline.
    expect(on.inline.slice(0, 2)).toEqual([false, false]);
    expect(on.inline.filter(Boolean).length).toBeGreaterThanOrEqual(36);
    // The default (500 µs, the same for `convkit serve`) inlines such runs too.
    expect(DEFAULT_INLINE_MAX_US).toBe(500);
    expect(serveSpec.options.find((o) => o.name === 'inline-max-us')?.default).toBe(String(DEFAULT_INLINE_MAX_US));
    expect((await run({})).inline.filter(Boolean).length).toBeGreaterThan(0);
    expect(on.timerAt).toBeGreaterThanOrEqual(0);
    expect(on.timerAt).toBeLessThan(40);
    // 0 turns it off; a limit no run can meet keeps every batch on a worker.
    expect((await run({ inlineMaxUs: 0 })).inline.some(Boolean)).toBe(false);
    expect((await run({ inlineMaxUs: 0.001 })).inline.some(Boolean)).toBe(false);
    for (const bad of [-1, Number.NaN, 1e6]) expect(() => createPredictor(m, { inlineMaxUs: bad })).toThrow(/inlineMaxUs/);
    xs.forEach((x) => x.dispose());
  });
});
