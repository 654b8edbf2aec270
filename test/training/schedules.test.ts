import { describe, expect, it } from 'vitest';
import * as T from '../../lib/training/index.js';

describe('learning-rate schedules (Keras formulas)', () => {
  it('exponential decay, staircase', () => {
    const s = new T.ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 });
    expect(s.call(0)).toBeCloseTo(0.1, 12);
    expect(s.call(5)).toBeCloseTo(0.1 * 0.5 ** 0.5, 12);
    const st = new T.ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true });
    expect(st.call(19)).toBeCloseTo(0.05, 12);
    expect(T.stepDecay(1, 100, 0.1).call(250)).toBeCloseTo(0.01, 12);
  });
  it('piecewise constant', () => {
    const s = new T.PiecewiseConstantDecay([10, 20], [1, 0.5, 0.1]);
    expect([0, 10, 11, 20, 21].map((t) => s.call(t))).toEqual([1, 1, 0.5, 0.5, 0.1]);
    expect(() => new T.PiecewiseConstantDecay([1], [1])).toThrow(RangeError);
  });
  it('cosine decay with and without warmup', () => {
    const c = new T.CosineDecay({ initialLearningRate: 1, decaySteps: 100, alpha: 0.1 });
    expect(c.call(0)).toBeCloseTo(1, 12);
    expect(c.call(50)).toBeCloseTo(0.9 * 0.5 + 0.1, 12);
    expect(c.call(200)).toBeCloseTo(0.1, 12);
    const w = new T.CosineDecay({ initialLearningRate: 0, decaySteps: 100, warmupTarget: 1, warmupSteps: 10 });
    expect(w.call(5)).toBeCloseTo(0.5, 12);
    expect(w.call(10)).toBeCloseTo(1, 12);
    expect(w.call(60)).toBeCloseTo(0.5, 12);
    expect(w.call(1000)).toBeCloseTo(0, 12);
  });
});
