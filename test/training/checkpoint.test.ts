// A checkpoint written by ModelCheckpoint(saveBestOnly) through lib/io's writers reloads into a
// model that gives the predictions of the best epoch. Skipped while lib/io (model.save /
// saveWeights / loadModel) is not in the build.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as ck from '../../lib/index.js';
import { setSeed } from '../../lib/random/index.js';
import { resetNames } from '../../lib/layers/index.js';
import * as T from '../../lib/training/index.js';
import { blobs, mlp } from './helpers.js';

type IoModel = { save?: (p: string) => Promise<void>; saveWeights?: (p: string) => Promise<void>; loadWeights?: (p: string) => Promise<void> };
const probe = mlp() as unknown as IoModel;
const hasIo = typeof probe.saveWeights === 'function' && typeof probe.loadWeights === 'function';
const loadModel = (ck as unknown as { loadModel?: (p: string) => Promise<ck.Model> }).loadModel;

describe.skipIf(!hasIo)('ModelCheckpoint through lib/io', () => {
  it('saveBestOnly weights and whole-model checkpoints reload with the best epoch predictions', async () => {
    resetNames();
    setSeed(31);
    const dir = mkdtempSync(join(tmpdir(), 'ck-ckpt-'));
    const { x, y } = blobs(90);
    const m = mlp();
    m.compile({ optimizer: T.optimizers.adam({ learningRate: 0.05 }), loss: 'sparse_categorical_crossentropy' });
    let best = Infinity;
    let bestPred: number[] = [];
    const h = await m.fit(x, y, {
      epochs: 6,
      batchSize: 16,
      verbose: 0,
      validationData: [x, y],
      callbacks: [
        new T.ModelCheckpoint({ filepath: join(dir, 'best.weights.h5'), monitor: 'val_loss', saveBestOnly: true, saveWeightsOnly: true }),
        new T.ModelCheckpoint({ filepath: join(dir, 'best-{epoch:02d}.keras'), monitor: 'val_loss', saveBestOnly: true }),
        {
          onEpochEnd: (_e, logs) => {
            if (logs!['val_loss']! < best) {
              best = logs!['val_loss']!;
              const p = m.predictSync(x) as ck.Tensor;
              bestPred = Array.from(p.dataSync() as Float32Array);
              p.dispose();
            }
          },
        },
      ],
    });
    expect(h.history['val_loss']).toHaveLength(6);
    resetNames();
    setSeed(999);
    const fresh = mlp() as unknown as ck.Model & IoModel;
    await fresh.loadWeights!(join(dir, 'best.weights.h5'));
    const p = fresh.predictSync(x) as ck.Tensor;
    expect(Array.from(p.dataSync() as Float32Array)).toEqual(bestPred);
    if (loadModel) {
      const bestEpoch = h.history['val_loss']!.indexOf(Math.min(...h.history['val_loss']!)) + 1;
      const whole = await loadModel(join(dir, `best-${String(bestEpoch).padStart(2, '0')}.keras`));
      const q = whole.predictSync(x) as ck.Tensor;
      expect(Array.from(q.dataSync() as Float32Array)).toEqual(bestPred);
    }
  });
});
