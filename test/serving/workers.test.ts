// createPredictor inside worker_threads: each worker loads its own addon instance, builds the same
// seeded model and serves concurrent requests with dynamic batching; every output must equal the
// main thread's serial single-image predictions (the model does not care which thread or batch it
// ran in, up to the float reassociation of batch-size-dependent conv algorithm choice).
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import * as ck from '../../lib/index.js';

const workerFile = join(__dirname, '..', 'helpers', 'predictor-worker.mjs');

interface Reply {
  outputs: number[][];
  batches: number[];
}

function inputs(seed: number, count: number): number[][] {
  const t = ck.randomUniform([count, 28 * 28], 0, 1, 'float32', seed);
  const d = t.dataSync() as Float32Array;
  t.dispose();
  return Array.from({ length: count }, (_, i) => Array.from(d.subarray(i * 784, (i + 1) * 784)));
}

describe('createPredictor in worker_threads', () => {
  it('3 workers serve 40 concurrent requests each, batched, with the main thread\'s serial results', async () => {
    const modelSeed = 11;
    const work = [0, 1, 2].map((i) => inputs(500 + i, 40));
    const workers = work.map((inp, i) => new Worker(workerFile, { workerData: { modelSeed, inputs: inp, maxBatchSize: 8 + i * 4 } }));
    const replies = await Promise.all(
      workers.map(
        (w) =>
          new Promise<Reply>((resolve, reject) => {
            w.once('message', resolve);
            w.once('error', reject);
          }),
      ),
    );
    await Promise.all(workers.map((w) => w.terminate()));

    ck.setSeed(modelSeed);
    const model = ck.zoo.lenet5();
    replies.forEach((r, wi) => {
      // Batching happened (fewer model calls than requests), within each worker's cap.
      expect(r.batches.reduce((a, b) => a + b, 0)).toBe(40);
      expect(r.batches.length).toBeLessThan(40);
      expect(Math.max(...r.batches)).toBeLessThanOrEqual(8 + wi * 4);
      r.outputs.forEach((out, k) => {
        const x = ck.tensor(Float32Array.from(work[wi]![k]!), [1, 28, 28, 1]);
        const want = model.predictSync(x) as ck.Tensor;
        const w = want.dataSync() as Float32Array;
        expect(out.length).toBe(10);
        for (let j = 0; j < 10; j++) expect(Math.abs(out[j]! - w[j]!)).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(w[j]!));
        x.dispose();
        want.dispose();
      });
    });
    model.dispose();
  });
});
