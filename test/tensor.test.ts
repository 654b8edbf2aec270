import { describe, expect, it } from 'vitest';
import * as ck from '../lib/index.js';
import { allocTensor, f32, viewOf } from '../lib/tensor/internal.js';
import { native } from '../lib/native/index.js';

describe('Tensor creation', () => {
  it('builds from nested arrays with the inferred shape', () => {
    const t = ck.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(t.size).toBe(6);
    expect(t.rank).toBe(2);
    expect(Array.from(t.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.arraySync()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    t.dispose();
  });

  it('builds from typed arrays with a shape, inferring int32 from Int32Array', () => {
    const t = ck.tensor(new Int32Array([1, 2, 3, 4, 5, 6]), [3, 2]);
    expect(t.dtype).toBe('int32');
    expect(t.arraySync()).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const f = ck.tensor(new Float64Array([0.5, 1.5]));
    expect(f.dtype).toBe('float32');
    expect(f.shape).toEqual([2]);
    expect(Array.from(f.dataSync())).toEqual([0.5, 1.5]);
  });

  it('truncates values for int32 and supports scalars', () => {
    expect(Array.from(ck.tensor([1.7, -2.7], undefined, 'int32').dataSync())).toEqual([1, -2]);
    const s = ck.scalar(3.5);
    expect(s.shape).toEqual([]);
    expect(s.arraySync()).toBe(3.5);
    expect(ck.tensor(7, [2, 2]).arraySync()).toEqual([
      [7, 7],
      [7, 7],
    ]);
  });

  it('validates shapes against data with clear errors', () => {
    expect(() => ck.tensor([1, 2, 3], [2, 2])).toThrow(/shape \[2,2\] needs 4 values, got 3/);
    expect(() => ck.tensor([[1, 2], [3]])).toThrow(RangeError);
    expect(() => ck.tensor([[1, 2], [3, 'x' as unknown as number]])).toThrow(/values\[1\]\[1\] must be a number/);
    expect(() => ck.tensor([1, 2], [-1, 2])).toThrow(/shape\[0\] must be a non-negative integer, got number -1/);
    expect(() => ck.zeros([2.5])).toThrow(RangeError);
    expect(() => ck.zeros([2], 'float64' as ck.DType)).toThrow(/dtype must be 'float32' or 'int32', got string 'float64'/);
    expect(() => ck.tensor({} as unknown as number)).toThrow(TypeError);
  });

  it('zeros, ones, fill, zerosLike, onesLike', () => {
    expect(Array.from(ck.zeros([2, 3]).dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(ck.ones([3], 'int32').dataSync())).toEqual([1, 1, 1]);
    expect(Array.from(ck.fill([2], -4.5).dataSync())).toEqual([-4.5, -4.5]);
    const t = ck.tensor([[1, 2]]);
    expect(ck.zerosLike(t).shape).toEqual([1, 2]);
    expect(Array.from(ck.onesLike(t).dataSync())).toEqual([1, 1]);
    expect(ck.zeros([0, 3]).size).toBe(0);
    expect(ck.zeros([0, 3]).arraySync()).toEqual([]);
  });

  it('stores data 64-byte aligned in native memory', () => {
    for (const n of [1, 3, 17, 1000]) {
      const t = ck.zeros([n]);
      expect(native().isAligned(viewOf(t).buffer as ArrayBuffer)).toBe(true);
      t.dispose();
    }
  });
});

describe('Tensor reading and lifetime', () => {
  it('dataSync returns a copy; data/array resolve', async () => {
    const t = ck.tensor([1, 2, 3]);
    const d = t.dataSync();
    d[0] = 100;
    expect(t.dataSync()[0]).toBe(1);
    expect(Array.from(await t.data())).toEqual([1, 2, 3]);
    expect(await t.array()).toEqual([1, 2, 3]);
  });

  it('dispose frees at once, stale views become empty, use throws', async () => {
    const before = ck.memory().numBytes;
    const t = ck.zeros([1000]);
    expect(ck.memory().numBytes).toBe(before + 4000);
    const live = f32(t);
    t.dispose();
    expect(t.isDisposed).toBe(true);
    expect(ck.memory().numBytes).toBe(before);
    expect(live.length).toBe(0); // detached: empty, never dangling
    expect(() => t.dataSync()).toThrow(/disposed/);
    expect(() => t.arraySync()).toThrow(/disposed/);
    expect(() => t.reshape([10, 100])).toThrow(/disposed/);
    await expect(t.data()).rejects.toThrow(/disposed/);
    t.dispose(); // twice is harmless
    expect(t.toString()).toMatch(/disposed/);
  });

  it('supports `using` (Symbol.dispose)', () => {
    const before = ck.memory().numBuffers;
    {
      using t = ck.ones([4]);
      expect(ck.memory().numBuffers).toBe(before + 1);
      expect(t.size).toBe(4);
    }
    expect(ck.memory().numBuffers).toBe(before);
  });

  it('reshape shares memory with reference counting; clone copies', () => {
    const before = ck.memory().numBuffers;
    const t = ck.tensor([1, 2, 3, 4, 5, 6]);
    const r = t.reshape([2, -1]);
    expect(r.shape).toEqual([2, 3]);
    f32(t)[0] = 9;
    expect(r.arraySync()).toEqual([
      [9, 2, 3],
      [4, 5, 6],
    ]);
    expect(() => t.reshape([4])).toThrow(/has 4 elements, tensor \[6\] has 6/);
    expect(() => t.reshape([-1, -1])).toThrow(/only one dimension/);
    const c = t.clone();
    f32(t)[1] = 7;
    expect(c.dataSync()[1]).toBe(2);
    t.dispose();
    expect(r.dataSync()[0]).toBe(9); // the view keeps the storage alive
    expect(ck.memory().numBuffers).toBe(before + 2);
    r.dispose();
    c.dispose();
    expect(ck.memory().numBuffers).toBe(before);
  });

  it('prints', () => {
    const t = ck.tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(t.toString()).toBe('Tensor float32 [2,2]\n[[1.0, 2.0],\n [3.0, 4.0]]');
    expect(ck.tensor(new Int32Array(20)).toString()).toContain('...');
  });

  it('allocTensor gives an uninitialised tensor of the requested shape', () => {
    const t = allocTensor([3, 5], 'int32');
    expect(t.shape).toEqual([3, 5]);
    expect(viewOf(t)).toBeInstanceOf(Int32Array);
    t.dispose();
  });
});

describe('random', () => {
  it('is deterministic under setSeed and per-call seeds', () => {
    ck.setSeed(123);
    const a = ck.randomNormal([100]).dataSync();
    ck.setSeed(123);
    const b = ck.randomNormal([100]).dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(ck.randomUniform([5], 0, 1, 'float32', 7).dataSync())).toEqual(
      Array.from(ck.randomUniform([5], 0, 1, 'float32', 7).dataSync()),
    );
  });

  it('has the right moments and ranges', () => {
    const n = 200_000;
    const x = ck.randomNormal([n], 2, 3, 'float32', 1).dataSync();
    let m = 0;
    for (const v of x) m += v;
    m /= n;
    let s = 0;
    for (const v of x) s += (v - m) ** 2;
    s = Math.sqrt(s / n);
    expect(Math.abs(m - 2)).toBeLessThan(0.03); // 3/sqrt(n) ~ 0.007
    expect(Math.abs(s - 3)).toBeLessThan(0.03);
    const u = ck.randomUniform([n], -1, 3, 'float32', 2).dataSync();
    expect(Array.from(u).reduce((a, b) => Math.min(a, b), Infinity)).toBeGreaterThanOrEqual(-1);
    expect(Array.from(u).reduce((a, b) => Math.max(a, b), -Infinity)).toBeLessThan(3);
    const t = ck.truncatedNormal([n], 0, 1, 'float32', 3).dataSync();
    expect(Array.from(t).reduce((a, b) => Math.max(a, Math.abs(b)), 0)).toBeLessThanOrEqual(2);
    const r = new ck.Rng(5);
    const counts = new Array<number>(7).fill(0);
    for (let i = 0; i < 70_000; i++) counts[r.int(7)]!++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
  });

  it('rejects non-finite options', () => {
    expect(() => ck.randomNormal([2], NaN)).toThrow(/mean must be a finite number, got number NaN/);
    expect(() => ck.randomUniform([2], 0, Infinity)).toThrow(/maxval must be a finite number/);
    expect(() => ck.randomNormal([2], 0, -1)).toThrow(/stddev must be >= 0/);
    expect(() => ck.setSeed(NaN)).toThrow(RangeError);
  });
});
