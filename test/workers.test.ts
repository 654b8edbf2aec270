// The addon is context-aware: 8 worker_threads load it at once, compute concurrently, and are torn
// down (some mid-computation) while the process stays up and keeps computing.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import * as ck from '../lib/index.js';

const workerFile = join(__dirname, 'helpers', 'worker.mjs');

function expected(seed: number): number[] {
  const x = ck.randomNormal([64, 257], 0, 1, 'float32', seed);
  return Array.from(ck.sum(ck.mul(ck.softmax(x), ck.tanh(x)), 1).dataSync());
}

interface Result {
  seed: number;
  values: number[];
  asyncSum: number;
}

describe('worker_threads', () => {
  it('8 workers load the addon, compute concurrently and match the main thread', async () => {
    const workers = Array.from({ length: 8 }, (_, i) => new Worker(workerFile, { workerData: { seed: 100 + i, mode: 'run' } }));
    const results = await Promise.all(
      workers.map(
        (w) =>
          new Promise<Result>((resolve, reject) => {
            w.once('message', (m: Result) => resolve(m));
            w.once('error', reject);
          }),
      ),
    );
    await Promise.all(workers.map((w) => w.terminate()));
    for (const r of results) expect(r.values).toEqual(expected(r.seed));
    // The main thread still works after the workers are gone.
    expect(ck.sum(ck.ones([10])).dataSync()[0]).toBe(10);
  });

  it('terminating workers in the middle of native async work leaves the process up', async () => {
    const workers = Array.from({ length: 8 }, (_, i) => new Worker(workerFile, { workerData: { seed: i, mode: 'hang' } }));
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            w.on('message', (m: { started?: boolean }) => {
              if (m.started) resolve();
            });
            w.once('error', reject);
          }),
      ),
    );
    const codes = await Promise.all(workers.map((w) => w.terminate()));
    expect(codes.every((c) => typeof c === 'number')).toBe(true);
    const x = ck.randomNormal([33, 17], 0, 1, 'float32', 5);
    expect(ck.softmax(x).shape).toEqual([33, 17]);
    // And new workers can still load the addon.
    const w = new Worker(workerFile, { workerData: { seed: 3, mode: 'run' } });
    const r = await new Promise<Result>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    await w.terminate();
    expect(r.values).toEqual(expected(3));
  });
});
