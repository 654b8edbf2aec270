import { describe, expect, it } from 'vitest';
import { augmentBatch, channelStats, seededUniform, permutation, standardize, stratifiedSplit } from '../../lib/data/index.js';

const img = (h: number, w: number): Float32Array => Float32Array.from({ length: h * w }, (_, i) => i + 1);

describe('augmentation', () => {
  it('flips left-right exactly when asked, and the draw is reproducible', () => {
    const data = img(2, 3);
    // rand < 0.5 ⇒ flip
    const out = augmentBatch({ data, shape: [1, 2, 3, 1] }, { flip: true }, () => 0.1);
    expect([...out]).toEqual([3, 2, 1, 6, 5, 4]);
    const same = augmentBatch({ data, shape: [1, 2, 3, 1] }, { flip: true }, () => 0.9);
    expect([...same]).toEqual([...data]);
  });

  it('pads with zeros and crops at the drawn offset', () => {
    const data = img(3, 3);
    // u = floor(0·(2p+1)) = 0 ⇒ content moves by +p = +1 down and right
    const out = augmentBatch({ data, shape: [1, 3, 3, 1] }, { cropPadding: 1 }, () => 0);
    expect([...out]).toEqual([0, 0, 0, 0, 1, 2, 0, 4, 5]);
    // u = 2p ⇒ moves by −1
    const up = augmentBatch({ data, shape: [1, 3, 3, 1] }, { cropPadding: 1 }, () => 0.99);
    expect([...up]).toEqual([5, 6, 0, 8, 9, 0, 0, 0, 0]);
  });

  it('keeps every pixel value from the source or zero, and same seed gives same batch', () => {
    const data = Float32Array.from({ length: 4 * 8 * 8 * 3 }, (_, i) => (i % 97) + 1);
    const opts = { flip: true, cropPadding: 2, shift: 0.1 };
    const a = augmentBatch({ data, shape: [4, 8, 8, 3] }, opts, seededUniform(5));
    const b = augmentBatch({ data, shape: [4, 8, 8, 3] }, opts, seededUniform(5));
    expect(a).toEqual(b);
    const values = new Set(data);
    for (const v of a) expect(v === 0 || values.has(v)).toBe(true);
    expect(() => augmentBatch({ data, shape: [4, 8, 8, 3] }, { cropPadding: -1 }, Math.random)).toThrow(RangeError);
  });
});

describe('normalisation and splits', () => {
  it('standardises each channel to mean 0 and std 1', () => {
    const x = Float32Array.from({ length: 2 * 2 * 2 * 2 }, (_, i) => (i % 2 === 0 ? i : 100 + 3 * i));
    const ds = { x, y: Int32Array.of(0, 1), sampleShape: [2, 2, 2], numClasses: 2 };
    const s = channelStats(ds);
    const z = standardize(ds, s);
    const again = channelStats(z);
    for (let c = 0; c < 2; c++) {
      expect(again.mean[c]).toBeCloseTo(0, 5);
      expect(again.std[c]).toBeCloseTo(1, 5);
    }
  });

  it('permutes and splits deterministically', () => {
    const p = permutation(100, seededUniform(1));
    expect([...p].sort((a, b) => a - b)).toEqual([...Array(100).keys()]);
    expect(permutation(100, seededUniform(1))).toEqual(p);
    const labels = Int32Array.from({ length: 100 }, (_, i) => i % 4);
    const { train, test } = stratifiedSplit(labels, 4, 0.2, 3);
    expect(train.length + test.length).toBe(100);
    expect(new Set([...train, ...test]).size).toBe(100);
    expect(test.length).toBe(20);
  });
});
