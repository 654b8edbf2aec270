// matmul / the raw sgemm binding against a plain double-precision reference, on every ISA.
// Bound: |c - ref| <= 2 (K + 3) u sum_k |a_ik b_kj| (+ 8u|ref| + 2u with an activation), u = 2^-24
// (the same float dot-product bound as native/tests/gemm_test.cc, Higham §3.5).
import { afterAll, describe, expect, it } from 'vitest';
import * as ck from '../lib/index.js';
import { matmul, matmulAsync } from '../lib/ops/matmul.js';
import { native } from '../lib/native/index.js';
// Deterministic xorshift32 data in [-1, 1), the same generator the bench uses.
import { randomFloat32 as rand } from '../lib/bench/cases.js';

const U = 2 ** -24;
const isas = ck.backendInfo().availableIsas;
afterAll(() => ck.setIsa(null));

const ACT: Record<string, (x: number) => number> = {
  none: (x) => x,
  relu: (x) => Math.max(x, 0),
  relu6: (x) => Math.min(Math.max(x, 0), 6),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: (x) => Math.tanh(x),
  leakyRelu: (x) => (x < 0 ? 0.1 * x : x),
};

/** Worst |got - ref| / bound over C (<= 1 passes). a, b in their stored (possibly transposed) layouts. */
function worstRatio(
  got: Float32Array, a: Float32Array, b: Float32Array, M: number, N: number, K: number, ta: boolean, tb: boolean,
  opts: { bias?: Float32Array; act?: string; aOff?: number; bOff?: number; cOff?: number } = {},
): number {
  let worst = 0;
  const act = ACT[opts.act ?? 'none']!;
  const ao = opts.aOff ?? 0, bo = opts.bOff ?? 0, co = opts.cOff ?? 0;
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0, sabs = 0;
      for (let k = 0; k < K; k++) {
        const x = ta ? a[ao + k * M + i]! : a[ao + i * K + k]!;
        const y = tb ? b[bo + j * K + k]! : b[bo + k * N + j]!;
        s += x * y;
        sabs += Math.abs(x * y);
      }
      const bias = opts.bias ? opts.bias[j]! : 0;
      const ref = act(s + bias);
      let tol = 2 * (K + 3) * U * (sabs + Math.abs(bias)) + 1e-30;
      if (opts.act && opts.act !== 'none') tol += 8 * U * Math.abs(ref) + 2 * U;
      const e = Math.abs(got[co + i * N + j]! - ref) / tol;
      if (!(e <= worst)) worst = e;
    }
  return worst;
}

const shapes: [number, number, number][] = [
  [1, 1, 1], [1, 7, 3], [5, 1, 9], [13, 17, 19], [33, 65, 31], [70, 70, 70], [129, 67, 257], [3, 300, 2], [200, 33, 40],
];

describe.each(isas)('matmul on %s', (isa) => {
  it('matches the double reference for odd shapes and every transpose combination', () => {
    ck.setIsa(isa);
    for (const [M, N, K] of shapes)
      for (const ta of [false, true])
        for (const tb of [false, true]) {
          const av = rand(M * K, M + 2 * N + 3 * K), bv = rand(K * N, 7 * M + N);
          const a = ck.tensor(av, ta ? [K, M] : [M, K]);
          const b = ck.tensor(bv, tb ? [N, K] : [K, N]);
          const c = matmul(a, b, { transposeA: ta, transposeB: tb });
          expect(c.shape).toEqual([M, N]);
          expect(worstRatio(c.dataSync() as Float32Array, av, bv, M, N, K, ta, tb)).toBeLessThanOrEqual(1);
          a.dispose();
          b.dispose();
          c.dispose();
        }
  });

  it('batched 3-D with broadcasting of a batch of 1 or a 2-D operand', () => {
    ck.setIsa(isa);
    const [B, M, N, K] = [3, 21, 37, 45];
    const av = rand(B * M * K, 11), bv = rand(B * K * N, 12), b1 = rand(K * N, 13);
    const a = ck.tensor(av, [B, M, K]);
    const b = ck.tensor(bv, [B, K, N]);
    const b2d = ck.tensor(b1, [K, N]);
    const c = matmul(a, b);
    const c2 = matmul(a, b2d);
    const aT = ck.tensor(av, [B, K, M]);
    const c3 = matmul(aT, b, { transposeA: true });
    expect(c.shape).toEqual([B, M, N]);
    const cv = c.dataSync() as Float32Array, c2v = c2.dataSync() as Float32Array, c3v = c3.dataSync() as Float32Array;
    for (let i = 0; i < B; i++) {
      const o = { aOff: i * M * K, bOff: i * K * N, cOff: i * M * N };
      expect(worstRatio(cv, av, bv, M, N, K, false, false, o)).toBeLessThanOrEqual(1);
      expect(worstRatio(c2v, av, b1, M, N, K, false, false, { ...o, bOff: 0 })).toBeLessThanOrEqual(1);
      expect(worstRatio(c3v, av, bv, M, N, K, true, false, o)).toBeLessThanOrEqual(1);
    }
    for (const t of [a, b, b2d, c, c2, aT, c3]) t.dispose();
  });

  it('async matches sync', async () => {
    ck.setIsa(isa);
    const av = rand(300 * 200, 1), bv = rand(200 * 150, 2);
    const a = ck.tensor(av, [300, 200]);
    const b = ck.tensor(bv, [150, 200]);
    const c = await matmulAsync(a, b, { transposeB: true });
    expect(worstRatio(c.dataSync() as Float32Array, av, bv, 300, 150, 200, false, true)).toBeLessThanOrEqual(1);
    for (const t of [a, b, c]) t.dispose();
  });

  it('raw binding: alpha/beta, leading dimensions, fused bias + activation', () => {
    ck.setIsa(isa);
    const [M, N, K] = [19, 45, 500];
    for (const act of Object.keys(ACT)) {
      const a = rand(M * K, 3), b = rand(K * N, 4), bias = rand(N, 5);
      const c = new Float32Array(M * N).fill(Number.NaN); // beta = 0: NaN must not propagate
      native().sgemm(false, false, M, N, K, 1, a, K, b, N, 0, c, N, bias, act as never, 0.1);
      expect(worstRatio(c, a, b, M, N, K, false, false, { bias, act })).toBeLessThanOrEqual(1);
    }
    // C = 0.5 A B + 2 C with ldc > N.
    const [m, n, k, ldc] = [7, 9, 11, 12];
    const a = rand(m * k, 6), b = rand(k * n, 7), c0 = rand(m * ldc, 8);
    const c = c0.slice();
    native().sgemm(false, false, m, n, k, 0.5, a, k, b, n, 2, c, ldc, null, 'none', 0);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < ldc; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += a[i * k + q]! * b[q * n + j]!;
        const want = j < n ? 0.5 * s + 2 * c0[i * ldc + j]! : c0[i * ldc + j]!;
        expect(Math.abs(c[i * ldc + j]! - want)).toBeLessThan(1e-5);
      }
  });

  it('raw binding: sgemmLean (matmul\'s 2-D call) with every transpose and leading dimensions past the minimum', () => {
    ck.setIsa(isa);
    for (const [M, N, K] of [[1, 1, 1], [64, 64, 64], [37, 70, 53], [300, 45, 129]] as const)
      for (const flags of [0, 1, 2, 3]) {
        const ta = (flags & 1) !== 0, tb = (flags & 2) !== 0;
        const lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 1, ldc = N + 2;
        const a = rand((ta ? K : M) * lda, 11), b = rand((tb ? N : K) * ldb, 12);
        const c = new Float32Array(M * ldc).fill(Number.NaN);  // beta = 0: NaN must not propagate
        native().sgemmLean(a, b, c, new Int32Array([flags, M, N, K, lda, ldb, ldc]));
        // The reference over the padded layouts: pack op(A), op(B) densely, compare row by row.
        const ad = new Float32Array(M * K), bd = new Float32Array(K * N);
        for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) ad[i * K + k] = ta ? a[k * lda + i]! : a[i * lda + k]!;
        for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) bd[k * N + j] = tb ? b[j * ldb + k]! : b[k * ldb + j]!;
        const cd = new Float32Array(M * N);
        for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) cd[i * N + j] = c[i * ldc + j]!;
        expect(worstRatio(cd, ad, bd, M, N, K, false, false)).toBeLessThanOrEqual(1);
        for (let i = 0; i < M; i++) for (let j = N; j < ldc; j++) expect(c[i * ldc + j]).toBeNaN();  // untouched
      }
  });
});

describe('matmul errors', () => {
  it('names the argument and the expected shape', () => {
    const a = ck.zeros([2, 3]), b = ck.zeros([4, 5]), i = ck.zeros([3, 3], 'int32'), v = ck.zeros([3]);
    expect(() => matmul(a, b)).toThrow(RangeError);
    expect(() => matmul(a, b)).toThrow(/inner dimensions differ.*K = 3.*K = 4/);
    expect(() => matmul(a, i)).toThrow(/b must have dtype float32/);
    expect(() => matmul(v, a)).toThrow(/a must be 2-D or 3-D/);
    expect(() => matmul(a, ck.zeros([3, 2]), { transposeA: 1 as unknown as boolean })).toThrow(TypeError);
    expect(() => native().sgemm(false, false, 2, 2, 2, 1, new Float32Array(3), 2, new Float32Array(4), 2, 0,
      new Float32Array(4), 2, null, 'none', 0)).toThrow(/'a' is too short/);
    expect(() => native().sgemm(false, false, 2, 2, 2, 1, new Float32Array(4), 2, new Float32Array(4), 2, 0,
      new Float32Array(4), 2, null, 'gelu' as never, 0)).toThrow(/activation/);
    // The binding's one-call argument paths (typed array info, numbers, booleans, enum names)
    // still reject each wrong kind with the argument's name.
    const f4 = (): Float32Array => new Float32Array(4);
    const call = (...over: [number, unknown][]): void => {
      const args: unknown[] = [false, false, 2, 2, 2, 1, f4(), 2, f4(), 2, 0, f4(), 2, null, 'none', 0];
      for (const [i, v] of over) args[i] = v;
      (native().sgemm as (...x: unknown[]) => void)(...args);
    };
    expect(() => call()).not.toThrow();
    expect(() => call([6, new Float64Array(4)])).toThrow(/'a' must be a Float32Array, got Float64Array/);
    expect(() => call([8, [0, 0, 0, 0]])).toThrow(/'b' must be a Float32Array/);
    expect(() => call([11, new Float32Array(new ArrayBuffer(24), 8, 4)])).not.toThrow();  // view at an offset
    expect(() => call([2, '2'])).toThrow(/'M' must be an integer/);
    expect(() => call([5, undefined])).toThrow(/'alpha' must be a finite number/);
    expect(() => call([0, 0])).toThrow(/'transA' must be a boolean/);
    expect(() => call([14, 'none\0x'])).toThrow(/'activation' must be one of/);
    expect(() => call([14, 'x'.repeat(40)])).toThrow(/'activation' must be one of/);
    expect(() => call([14, 7])).toThrow(/'activation' must be a string/);
    const view = new Float32Array(new ArrayBuffer(40), 4, 4);  // C through a view: data offset
    native().sgemm(false, false, 2, 2, 2, 1, new Float32Array([1, 2, 3, 4]), 2, new Float32Array([1, 0, 0, 1]), 2, 0,
      view, 2, null, 'relu', 0);
    expect(Array.from(view)).toEqual([1, 2, 3, 4]);
    expect(new Float32Array(view.buffer, 0, 1)[0]).toBe(0);
    a.dispose();
    b.dispose();
  });

  it('sgemmLean names the bad argument', () => {
    const f = (n: number): Float32Array => new Float32Array(n);
    const lean = (a: unknown, b: unknown, c: unknown, d: unknown): void =>
      (native().sgemmLean as (...x: unknown[]) => void)(a, b, c, d);
    const d = (...v: number[]): Int32Array => new Int32Array(v);
    expect(() => lean(f(4), f(4), f(4), d(0, 2, 2, 2, 2, 2, 2))).not.toThrow();
    expect(() => lean(f(3), f(4), f(4), d(0, 2, 2, 2, 2, 2, 2))).toThrow(/'a' is too short/);
    expect(() => lean(f(4), f(4), f(3), d(0, 2, 2, 2, 2, 2, 2))).toThrow(/'c' is too short/);
    expect(() => lean(f(4), new Float64Array(4), f(4), d(0, 2, 2, 2, 2, 2, 2))).toThrow(/'b' must be a Float32Array/);
    expect(() => lean(f(4), f(4), f(4), [0, 2, 2, 2, 2, 2, 2])).toThrow(/'desc' must be a Int32Array/);
    expect(() => lean(f(4), f(4), f(4), d(0, 2, 2, 2, 2, 2))).toThrow(/'desc' must have 7 elements/);
    expect(() => lean(f(4), f(4), f(4), d(4, 2, 2, 2, 2, 2, 2))).toThrow(/flags/);
    expect(() => lean(f(4), f(4), f(4), d(0, -1, 2, 2, 2, 2, 2))).toThrow(/\(M\) must be >= 0/);
    expect(() => lean(f(4), f(4), f(4), d(0, 2, 2, 2, 1, 2, 2))).toThrow(/'lda' must be >= 2/);
    expect(() => lean(f(4), f(4), f(4), d(0, 2, 2, 2, 2, 2, 1))).toThrow(/'ldc' must be >= N = 2/);
  });

  it('async rejects on bad input and on an aborted signal', async () => {
    const a = ck.zeros([2, 3]);
    await expect(matmulAsync(a, a)).rejects.toThrow(RangeError);
    const ctl = new AbortController();
    ctl.abort();
    await expect(matmulAsync(a, a, { transposeB: true, signal: ctl.signal })).rejects.toMatchObject({ name: 'AbortError' });
    a.dispose();
  });
});
