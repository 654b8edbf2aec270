// packMatmulWeights / matmul(a, packed) against a plain double-precision reference, on every ISA,
// odd shapes with K across the K blocks of every ISA (KC = 264 AVX-512, 552 AVX2, 608 scalar on
// this machine's 48 KiB L1), packed under one ISA and used under another, and bad input.
// Bound: |c - ref| <= 2 (K + 3) u sum_k |a_ik b_kj|, u = 2^-24 (Higham §3.5, as test/gemm.test.ts).
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as ck from '../lib/index.js';
import { native } from '../lib/native/index.js';
// Deterministic xorshift32 data in [-1, 1), the same generator the bench uses.
import { randomFloat32 as rand } from '../lib/bench/cases.js';

const U = 2 ** -24;
const isas = ck.backendInfo().availableIsas;
afterAll(() => ck.setIsa(null));

/** Worst |got - ref| / bound; a [M, K] (or [K, M] if ta), b [K, N] (or [N, K] if tb). */
function worstRatio(got: Float32Array, a: Float32Array, b: Float32Array, M: number, N: number, K: number, ta: boolean, tb: boolean): number {
  let worst = 0;
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0, sabs = 0;
      for (let k = 0; k < K; k++) {
        const x = ta ? a[k * M + i]! : a[i * K + k]!;
        const y = tb ? b[j * K + k]! : b[k * N + j]!;
        s += x * y;
        sabs += Math.abs(x * y);
      }
      const e = Math.abs(got[i * N + j]! - s) / (2 * (K + 3) * U * sabs + 1e-30);
      if (!(e <= worst)) worst = e;
    }
  return worst;
}

// [M, N, K]: ones, odd sizes, tails of the 14/6/4-row and 32/16-column tiles, K across KC.
const SHAPES: Array<[number, number, number]> = [
  [1, 1, 1], [3, 5, 7], [15, 33, 17], [14, 32, 265], [29, 47, 300], [9, 45, 610], [130, 97, 270],
];

describe.each(isas)('packMatmulWeights on %s', (isa) => {
  it('matches a double reference on odd shapes, every transpose', () => {
    ck.setIsa(isa);
    let seed = 1;
    for (const [M, N, K] of SHAPES)
      for (const ta of [false, true])
        for (const tb of [false, true]) {
          const av = rand(M * K, seed++), bv = rand(K * N, seed++);
          using a = ck.tensor(av, ta ? [K, M] : [M, K]);
          using b = ck.tensor(bv, tb ? [N, K] : [K, N]);
          using w = ck.packMatmulWeights(b, { transposeB: tb });
          expect([w.k, w.n]).toEqual([K, N]);
          expect(w.byteLength).toBeGreaterThanOrEqual(K * N * 4);
          using c = ck.matmul(a, w, { transposeA: ta });
          expect(c.shape).toEqual([M, N]);
          const r = worstRatio(c.dataSync() as Float32Array, av, bv, M, N, K, ta, tb);
          expect(r, `${isa} M=${M} N=${N} K=${K} ta=${ta} tb=${tb}`).toBeLessThanOrEqual(1);
          // Reused: a second product with the same panels and a new A.
          const av2 = rand(M * K, seed++);
          using a2 = ck.tensor(av2, ta ? [K, M] : [M, K]);
          using c2 = ck.matmul(a2, w, { transposeA: ta });
          expect(worstRatio(c2.dataSync() as Float32Array, av2, bv, M, N, K, ta, tb)).toBeLessThanOrEqual(1);
        }
  });

  it('3-D a [B, M, K] is one product per batch item against the same weights', () => {
    ck.setIsa(isa);
    const [B, M, N, K] = [3, 5, 37, 41];
    const av = rand(B * M * K, 7), bv = rand(K * N, 8);
    using a = ck.tensor(av, [B, M, K]);
    using b = ck.tensor(bv, [K, N]);
    using w = ck.packMatmulWeights(b);
    using c = ck.matmul(a, w);
    expect(c.shape).toEqual([B, M, N]);
    expect(worstRatio(c.dataSync() as Float32Array, av, bv, B * M, N, K, false, false)).toBeLessThanOrEqual(1);
  });

  it('matmulAsync with a PackedMatrix', async () => {
    ck.setIsa(isa);
    const [M, N, K] = [23, 51, 290];
    const av = rand(M * K, 11), bv = rand(N * K, 12);
    using a = ck.tensor(av, [M, K]);
    using b = ck.tensor(bv, [N, K]);
    using w = ck.packMatmulWeights(b, { transposeB: true });
    using c = await ck.matmulAsync(a, w);
    expect(worstRatio(c.dataSync() as Float32Array, av, bv, M, N, K, false, true)).toBeLessThanOrEqual(1);
  });
});

describe('PackedMatrix across ISAs and lifetimes', () => {
  it('packed under one ISA, used under every other (repacked by the native side)', () => {
    const [M, N, K] = [19, 40, 300];
    const av = rand(M * K, 21), bv = rand(K * N, 22);
    using a = ck.tensor(av, [M, K]);
    using b = ck.tensor(bv, [K, N]);
    for (const from of isas) {
      ck.setIsa(from);
      using w = ck.packMatmulWeights(b);
      for (const to of isas) {
        ck.setIsa(to);
        using c = ck.matmul(a, w);
        expect(worstRatio(c.dataSync() as Float32Array, av, bv, M, N, K, false, false), `${from} -> ${to}`).toBeLessThanOrEqual(1);
      }
    }
    ck.setIsa(null);
  });

  it('dispose during an async product: the product still completes correctly', async () => {
    const [M, N, K] = [200, 70, 300];
    const av = rand(M * K, 31), bv = rand(K * N, 32);
    using a = ck.tensor(av, [M, K]);
    using b = ck.tensor(bv, [K, N]);
    const w = ck.packMatmulWeights(b);
    const pending = ck.matmulAsync(a, w);
    w.dispose();
    expect(w.isDisposed).toBe(true);
    expect(w.byteLength).toBe(0);
    using c = await pending;
    expect(worstRatio(c.dataSync() as Float32Array, av, bv, M, N, K, false, false)).toBeLessThanOrEqual(1);
  });
});

describe('PackedMatrix bad input', () => {
  // Created per test: a `using` at describe level would be disposed before the tests run.
  let b: ck.Tensor;
  beforeEach(() => {
    b = ck.tensor(rand(6 * 4, 1), [6, 4]);
  });
  afterEach(() => b.dispose());
  it('wrong K names both sides', () => {
    using w = ck.packMatmulWeights(b);
    using a = ck.tensor(rand(3 * 5, 2), [3, 5]);
    expect(() => ck.matmul(a, w)).toThrow(RangeError);
    expect(() => ck.matmul(a, w)).toThrow(/K = 5.*K = 6/);
    return expect(ck.matmulAsync(a, w)).rejects.toThrow(RangeError);
  });
  it('a disposed PackedMatrix', async () => {
    const w = ck.packMatmulWeights(b);
    w.dispose();
    w.dispose(); // idempotent
    using a = ck.tensor(rand(3 * 6, 2), [3, 6]);
    expect(() => ck.matmul(a, w)).toThrow(/disposed/);
    await expect(ck.matmulAsync(a, w)).rejects.toThrow(/disposed/);
  });
  it('wrong dtypes, ranks and options', () => {
    using i = ck.tensor(new Int32Array(24), [6, 4], 'int32');
    expect(() => ck.packMatmulWeights(i)).toThrow(TypeError);
    expect(() => ck.packMatmulWeights(i)).toThrow(/float32, got int32/);
    using v = ck.tensor(rand(6, 3), [6]);
    expect(() => ck.packMatmulWeights(v)).toThrow(RangeError);
    expect(() => ck.packMatmulWeights(b, { transposeB: 1 as unknown as boolean })).toThrow(TypeError);
    expect(() => ck.packMatmulWeights({} as unknown as ck.Tensor)).toThrow(TypeError);
    using w = ck.packMatmulWeights(b);
    using ai = ck.tensor(new Int32Array(18), [3, 6], 'int32');
    expect(() => ck.matmul(ai, w)).toThrow(/float32, got int32/);
    using a = ck.tensor(rand(18, 4), [3, 6]);
    expect(() => ck.matmul(a, w, { transposeB: true })).toThrow(/packMatmulWeights/);
    using a4 = ck.tensor(rand(18, 4), [1, 1, 3, 6]);
    expect(() => ck.matmul(a4, w)).toThrow(RangeError);
  });
  it('a disposed b cannot be packed', () => {
    const d = ck.tensor(rand(4, 5), [2, 2]);
    d.dispose();
    expect(() => ck.packMatmulWeights(d)).toThrow(/disposed/);
  });
  it('the raw binding rejects a foreign handle and short arrays', () => {
    const a = new Float32Array(6), c = new Float32Array(4);
    type Raw = (...args: unknown[]) => void;
    const sgemmPacked = native().sgemmPacked as unknown as Raw;
    expect(() => sgemmPacked(false, 1, 1, a, 6, {}, 0, c, 4, null, 'none', 0)).toThrow(/gemmPack/);
    using w = ck.packMatmulWeights(b);
    const handle = (w as unknown as { handle(s: string): unknown }).handle('test');
    expect(() => sgemmPacked(false, 2, 1, a, 6, handle, 0, c, 4, null, 'none', 0)).toThrow(/'a' is too short/);
    expect(() => sgemmPacked(false, 1, 1, a, 6, handle, 0, c.subarray(0, 3), 4, null, 'none', 0)).toThrow(/'c' is too short/);
  });
});
