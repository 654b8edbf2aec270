// The tape frees intermediates as soon as backward no longer needs them: a probe op's gradient
// reads the live native buffer count as backward walks a 20-step chain back, which must fall
// step by step (a tape that kept everything to the end would show a flat count), and once
// valueAndGrads returns only the value and the gradient are left. Forks pool: one process per
// file, so the process-wide count is this file's own.
import { describe, expect, it } from 'vitest';
import { memory } from '../../lib/backend.js';
import { runOp } from '../../lib/engine/index.js';
import { registerGradient, valueAndGradsOf } from '../../lib/autodiff/index.js';
import * as K from '../../lib/layers/backend.js';
import { randomTensor } from '../helpers/gradcheck.js';

const seen: number[] = [];
registerGradient('testMemoryProbe', ([dy]) => {
  seen.push(memory().numBuffers);
  return [K.mulScalar(dy!, 1)];
});
const probe = (x: ReturnType<typeof randomTensor>): ReturnType<typeof randomTensor> => runOp('testMemoryProbe', [x], {}, () => x.clone());

describe('tape memory', () => {
  it('releases each step\'s intermediates during backward and leaks nothing', () => {
    const x = randomTensor([256, 256], 1);
    const before = memory().numBuffers;
    const steps = 20;
    const { value, grads } = valueAndGradsOf(() => {
      let y = x;
      for (let i = 0; i < steps; i++) y = probe(K.mulScalar(y, 1.01));
      return K.sum(y);
    }, [x]);
    expect(seen).toHaveLength(steps);
    // Each visited step frees its two outputs (mulScalar's and the probe's) and their gradients.
    for (let i = 1; i < steps; i++) expect(seen[i]!).toBeLessThan(seen[i - 1]!);
    expect(seen[0]! - seen[steps - 1]!).toBeGreaterThanOrEqual(2 * (steps - 1));
    expect(memory().numBuffers - before).toBe(2); // the value and the gradient
    expect(grads[0]!.dataSync()[0]).toBeCloseTo(1.01 ** steps, 4);
    value.dispose();
    grads[0]!.dispose();
    expect(memory().numBuffers).toBe(before);
  });
});

describe('nested tape memory', () => {
  it('a gradient penalty (double backward) leaves only its value and gradient', () => {
    const x = randomTensor([2, 5, 5, 2], 3);
    const w = randomTensor([3, 3, 2, 3], 4);
    const conv = { strides: [1, 1], padding: 'same' as const, dilations: [1, 1], groups: 1 };
    const before = memory().numBuffers;
    const { value, grads } = valueAndGradsOf(() => {
      const inner = valueAndGradsOf(() => K.sum(K.softplus(K.convNd(x, w, conv).output)), [x]);
      return K.sum(K.square(inner.grads[0]!));
    }, [w]);
    expect(memory().numBuffers - before).toBe(2);
    value.dispose();
    grads[0]!.dispose();
    expect(memory().numBuffers).toBe(before);
  });
});
