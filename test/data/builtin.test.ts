import { describe, expect, it } from 'vitest';
import { DatasetError, loadAllBuiltinDigits, loadBuiltinDigits, loadDataset } from '../../lib/data/index.js';

describe('built-in mnist digits', () => {
  it('ships 10,000 digits of 28×28 in [0, 1], split 8,000 / 2,000 with the classes kept', () => {
    const all = loadAllBuiltinDigits();
    expect(all.y.length).toBe(10000);
    const s = loadBuiltinDigits();
    expect(s.train.y.length).toBe(8000);
    expect(s.test!.y.length).toBe(2000);
    expect(s.train.sampleShape).toEqual([28, 28, 1]);
    let min = Infinity;
    let max = -Infinity;
    for (const v of s.train.x) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
    // stratified: each class keeps ~20% in test; and the tail of train (Keras validationSplit) mixes classes
    const perClassAll = new Array(10).fill(0);
    const perClassTest = new Array(10).fill(0);
    for (const c of all.y) perClassAll[c]++;
    for (const c of s.test!.y) perClassTest[c]++;
    for (let c = 0; c < 10; c++) expect(Math.abs(perClassTest[c] - 0.2 * perClassAll[c])).toBeLessThanOrEqual(0.5);
    expect(new Set(s.train.y.subarray(7800)).size).toBe(10);
  });

  it('is deterministic and independent of any seed', () => {
    const a = loadBuiltinDigits();
    const b = loadDataset('mnist');
    expect(a.train.y.subarray(0, 50)).toEqual(b.train.y.subarray(0, 50));
    expect(a.test!.x.subarray(0, 784)).toEqual(b.test!.x.subarray(0, 784));
  });

  it('explains datasets that are not bundled', () => {
    expect(() => loadDataset('cifar10')).toThrow(DatasetError);
    expect(() => loadDataset('cifar10')).toThrow(/not bundled: download cifar-10-binary/);
    expect(() => loadDataset('/no/such/place')).toThrow(/\/no\/such\/place: expected a built-in dataset.*found no such file or directory/);
  });
});
