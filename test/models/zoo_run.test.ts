/**
 * Every zoo model runs forward and backward at a small batch (big models on small inputs to keep
 * CI fast; their parameter counts at 224×224 are checked in zoo.test.ts without allocating).
 */
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../lib/tensor/index.js';
import { setSeed } from '../../lib/random/index.js';
import * as K from '../../lib/layers/backend.js';
import { buildZooModel } from '../../lib/zoo/index.js';
import { randomTensor } from '../helpers/gradcheck.js';

const xent = (y: Tensor, p: Tensor): Tensor => K.neg(K.mean(K.sum(K.mul(y, K.log(K.addScalar(p, 1e-7))), [1])));

const runs: [string, number[], number][] = [
  ['lenet5', [28, 28, 1], 10],
  ['cifarBaseline', [32, 32, 3], 10],
  ['smallVgg', [32, 32, 3], 10],
  ['alexnet', [64, 64, 3], 5],
  ['vgg16', [32, 32, 3], 5],
  ['googlenet', [32, 32, 3], 5],
  ['resnet18', [32, 32, 3], 5],
  ['resnet34', [32, 32, 3], 5],
  ['resnet50', [32, 32, 3], 5],
];

describe('zoo: forward and backward at batch 2', () => {
  for (const [name, shape, classes] of runs) {
    it(name, () => {
      setSeed(1);
      const m = buildZooModel(name, { inputShape: shape, classes });
      const x = randomTensor([2, ...shape], 3);
      const y = K.filled([2, classes], 0);
      const p = m.predictSync(x) as Tensor;
      expect(p.shape).toEqual([2, classes]);
      const rows = Array.from(p.dataSync());
      expect(Math.abs(rows.slice(0, classes).reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-4);
      const onehot = K.add(y, K.fromValues(Array.from({ length: 2 * classes }, (_, i) => (i % classes === 0 ? 1 : 0)), [2, classes]));
      const { loss, grads, weights } = m.trainStepGradients(x, onehot, xent);
      expect(Number.isFinite(loss.dataSync()[0]!)).toBe(true);
      expect(grads.length).toBe(weights.length);
      let nonzero = 0;
      for (const g of grads) {
        const v = g.dataSync();
        for (let i = 0; i < v.length; i++) {
          if (!Number.isFinite(v[i]!)) expect.fail(`non-finite gradient in ${name}`);
          if (v[i] !== 0) nonzero++;
        }
        g.dispose();
      }
      expect(nonzero).toBeGreaterThan(0);
      m.dispose();
    }, 120_000);
  }
});
