import { describe, expect, it } from 'vitest';
import type { BatchEvent, BatchRunner } from '../../lib/serving/index.js';
import { Batcher, createPredictor, PredictorClosedError, PredictTimeoutError, QueueFullError } from '../../lib/serving/index.js';
import { tensor } from '../../lib/tensor/index.js';

/** A "model" whose output row per sample is [sum, first value · 2]: any row mix-up shows. */
function fakeRunner(log: number[], delayMs = 0): BatchRunner {
  return async (x, n) => {
    log.push(n);
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    const per = x.length / n;
    const out = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < per; j++) s += x[i * per + j]!;
      out[2 * i] = s;
      out[2 * i + 1] = x[i * per]! * 2;
    }
    return { data: out, sampleShape: [2] };
  };
}

function expected(x: Float32Array, n: number): number[] {
  const per = x.length / n;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < per; j++) s += x[i * per + j]!;
    out.push(s, x[i * per]! * 2);
  }
  return out;
}

describe('dynamic batching', () => {
  it('coalesces concurrent requests of mixed sizes and shapes, giving each caller exactly its rows', async () => {
    const log: number[] = [];
    const p = createPredictor(fakeRunner(log, 1), { maxBatchSize: 16, maxDelayMs: 5 });
    const reqs = Array.from({ length: 60 }, (_, i) => {
      const n = 1 + (i % 4);
      const shape = i % 3 === 0 ? [2, 3] : [5];
      const per = shape.reduce((a, b) => a * b, 1);
      const x = Float32Array.from({ length: n * per }, (_, k) => i * 1000 + k);
      return { x, n, shape };
    });
    const results = await Promise.all(reqs.map((r) => p.predictArray(Float32Array.from(r.x), [r.n, ...r.shape])));
    results.forEach((res, i) => {
      expect(res.shape).toEqual([reqs[i]!.n, 2]);
      expect([...res.data]).toEqual(expected(reqs[i]!.x, reqs[i]!.n));
    });
    // fewer model calls than requests, none above the cap
    expect(log.length).toBeLessThan(reqs.length);
    expect(Math.max(...log)).toBeLessThanOrEqual(16);
    await p.close();
  });

  it('dispatches a full batch without waiting for the delay', async () => {
    const log: number[] = [];
    const p = createPredictor(fakeRunner(log), { maxBatchSize: 4, maxDelayMs: 10_000 });
    const t0 = Date.now();
    await Promise.all([0, 1, 2, 3].map((i) => p.predictArray(Float32Array.of(i), [1, 1])));
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(log).toEqual([4]);
  });

  it('rejects at once with QueueFullError when the queue is full, without harming queued requests', async () => {
    const log: number[] = [];
    const p = createPredictor(fakeRunner(log, 20), { maxBatchSize: 2, maxDelayMs: 0, maxQueue: 4 });
    const first = p.predictArray(Float32Array.of(1, 2), [2, 1]); // runs at once
    const queued = [p.predictArray(Float32Array.of(3, 4, 5), [3, 1]), p.predictArray(Float32Array.of(6), [1, 1])];
    // "At once" checked by event order, not wall-clock (a 15 ms bound failed under CPU load): the
    // rejection must arrive before the event loop turns even once, hence before the running batch
    // (a 20 ms timer) can finish.
    let loopTurned = false;
    let firstDone = false;
    setImmediate(() => (loopTurned = true));
    void first.then(() => (firstDone = true));
    await expect(p.predictArray(Float32Array.of(7), [1, 1])).rejects.toBeInstanceOf(QueueFullError);
    expect(loopTurned).toBe(false);
    expect(firstDone).toBe(false);
    expect((await first).data[0]).toBe(1);
    const [a, b] = await Promise.all(queued);
    expect([...a.data]).toEqual([3, 6, 4, 8, 5, 10]);
    expect([...b.data]).toEqual([6, 12]);
    expect(p.queueDepth).toBe(0);
  });

  it('times out a queued request, removing it from its batch', async () => {
    const log: number[] = [];
    const p = createPredictor(fakeRunner(log, 50), { maxBatchSize: 8, maxDelayMs: 0, timeoutMs: 20 });
    const running = p.predictArray(Float32Array.of(1), [1, 1], { timeoutMs: 1000 });
    const late = p.predictArray(Float32Array.of(2), [1, 1]);
    const kept = p.predictArray(Float32Array.of(3), [1, 1], { timeoutMs: 1000 });
    await expect(late).rejects.toBeInstanceOf(PredictTimeoutError);
    expect((await running).data[0]).toBe(1);
    expect((await kept).data[0]).toBe(3);
    // the second batch held only the request that had not timed out
    expect(log).toEqual([1, 1]);
  });

  it('close() drains queued requests and then refuses new ones', async () => {
    const log: number[] = [];
    const p = createPredictor(fakeRunner(log, 5), { maxBatchSize: 3, maxDelayMs: 1000 });
    const pending = [1, 2, 3, 4, 5].map((i) => p.predictArray(Float32Array.of(i), [1, 1]));
    await p.close();
    const res = await Promise.all(pending);
    expect(res.map((r) => r.data[0])).toEqual([1, 2, 3, 4, 5]);
    await expect(p.predictArray(Float32Array.of(1), [1, 1])).rejects.toBeInstanceOf(PredictorClosedError);
  });

  it('fails only the batch whose model call throws, and reports batches', async () => {
    let calls = 0;
    const events: BatchEvent[] = [];
    const p = createPredictor(async (x, n) => {
      calls++;
      if (x[0] === 13) throw new Error('boom');
      return { data: Float32Array.from(x), sampleShape: [1] };
    }, { maxBatchSize: 1, maxDelayMs: 0 });
    p.onBatch = (e) => events.push(e);
    const bad = p.predictArray(Float32Array.of(13), [1, 1]);
    const good = p.predictArray(Float32Array.of(7), [1, 1]);
    await expect(bad).rejects.toThrow('boom');
    expect((await good).data[0]).toBe(7);
    expect(calls).toBe(2);
    expect(events.map((e) => e.error !== undefined)).toEqual([true, false]);
  });

  it('validates shapes and options', async () => {
    const p = createPredictor(fakeRunner([]), { inputShape: [2] });
    await expect(p.predictArray(Float32Array.of(1, 2, 3), [1, 3])).rejects.toThrow(/does not match the model's input \[2\]/);
    await expect(p.predictArray(Float32Array.of(1, 2, 3), [1, 2])).rejects.toThrow(/expected 1 samples × 2/);
    expect(() => createPredictor(fakeRunner([]), { maxBatchSize: 0 })).toThrow(RangeError);
    expect(() => createPredictor(fakeRunner([]), { timeoutMs: -1 })).toThrow(RangeError);
  });

  it('releases each request\'s input only when the batcher no longer reads it', async () => {
    const released: string[] = [];
    let runs = 0;
    let finish: () => void = () => {};
    const b = new Batcher(async (x, n) => {
      runs++;
      if (runs === 1) await new Promise<void>((r) => (finish = r)); // the first batch runs until told
      return { data: Float32Array.from(x), sampleShape: [1] };
    }, { maxBatchSize: 1, maxDelayMs: 0, maxQueue: 2 });
    const slow = b.submit(Float32Array.of(1), 1, [1], { timeoutMs: 20 }, () => released.push('slow'));
    const queued = b.submit(Float32Array.of(2), 1, [1], { timeoutMs: 10 }, () => released.push('queued'));
    const full = b.submit(Float32Array.of(3, 4), 2, [1], {}, () => released.push('refused'));
    await expect(full).rejects.toBeInstanceOf(QueueFullError);
    expect(released).toEqual(['refused']);
    // The queued request times out and is dropped from its queue: released at expiry.
    await expect(queued).rejects.toBeInstanceOf(PredictTimeoutError);
    expect(released).toEqual(['refused', 'queued']);
    // The running one times out too, but its batch still reads the input: not released yet.
    await expect(slow).rejects.toBeInstanceOf(PredictTimeoutError);
    expect(released).toEqual(['refused', 'queued']);
    finish();
    await b.close();
    expect(released).toEqual(['refused', 'queued', 'slow']);
    expect(runs).toBe(1);
    const bad = b.submit(Float32Array.of(5), 1, [1], {}, () => released.push('closed'));
    await expect(bad).rejects.toBeInstanceOf(PredictorClosedError);
    expect(released.at(-1)).toBe('closed');
  });

  it('predict() reads the caller\'s tensor without a copy, and a dispose() meanwhile is deferred', async () => {
    let finish: () => void = () => {};
    let seen: Float32Array | undefined;
    const p = createPredictor(async (x, n) => {
      await new Promise<void>((r) => (finish = r));
      seen = Float32Array.from(x); // read after the caller's dispose(): still its values
      return { data: Float32Array.from(x, (v) => v * 10), sampleShape: [2] };
    }, { maxBatchSize: 4, maxDelayMs: 0 });
    const x = tensor([[1, 2], [3, 4]]);
    const y = p.predict(x);
    await new Promise((r) => setTimeout(r, 5));
    x.dispose();
    finish();
    const out = await y;
    expect(Array.from(seen!)).toEqual([1, 2, 3, 4]);
    expect(out.arraySync()).toEqual([[10, 20], [30, 40]]);
    await p.close();
  });

  it('concurrency k: up to k batches run at once, each in a lane no other running batch holds', async () => {
    let inFlight = 0;
    let most = 0;
    const busyLanes = new Set<number>();
    const laneLog: number[] = [];
    const runner: BatchRunner = async (x, n, _shape, lane) => {
      expect(busyLanes.has(lane)).toBe(false);
      busyLanes.add(lane);
      laneLog.push(lane);
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 3));
      inFlight--;
      busyLanes.delete(lane);
      return { data: Float32Array.from(x, (v) => v + 100 * lane), sampleShape: [1] };
    };
    const p = createPredictor(runner, { maxBatchSize: 2, maxDelayMs: 0, concurrency: 3 });
    const rs = await Promise.all(Array.from({ length: 30 }, (_, i) => p.predictArray(Float32Array.of(i), [1, 1])));
    // Each caller got its own row (the runner marks it with the lane that ran it).
    rs.forEach((r, i) => expect(r.data[0]! % 100).toBe(i));
    expect(most).toBe(3);
    expect(new Set(laneLog)).toEqual(new Set([0, 1, 2]));
    await p.close();
    expect(() => createPredictor(runner, { concurrency: 0 })).toThrow(/concurrency must be an integer ≥ 1/);
    expect(() => createPredictor(runner, { concurrency: 65 })).toThrow(/concurrency must be at most 64/);
    expect(() => createPredictor(runner, { concurrency: 1.5 })).toThrow(RangeError);
  });

  it('predict() takes and returns Tensors', async () => {
    const p = createPredictor(fakeRunner([]), { maxDelayMs: 0 });
    const y = await p.predict(tensor([[1, 2], [3, 4]]));
    expect(y.shape).toEqual([2, 2]);
    expect(y.arraySync()).toEqual([[3, 2], [7, 6]]);
    y.dispose();
  });
});
