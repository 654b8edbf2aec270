// The layer backend's parametric unary ops and comparison masks (native kernels since session 3)
// against plain JavaScript references, on every ISA, with a tail, NaN and the bounds themselves.
import { afterAll, describe, expect, it } from 'vitest';
import * as ck from '../../lib/index.js';
import * as K from '../../lib/layers/backend.js';

const xs = [-3.5, -2, -1, -0.25, 0, 0.25, 0.5, 1, 2, 2.5, 3, NaN, -0, 7, -7, 1e-3, 0.75, -0.5, 4];

function expectMatches(got: Float32Array, want: number[], rtol = 2e-7): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const w = Math.fround(want[i]!);
    if (Number.isNaN(w)) expect(got[i], `element ${i}`).toBeNaN();
    else if (!Number.isFinite(w)) expect(got[i], `element ${i}`).toBe(w);
    else expect(Math.abs(got[i]! - w), `element ${i}: got ${got[i]}, want ${w}`).toBeLessThanOrEqual(rtol * Math.abs(w) + 1e-30);
  }
}

describe('layer backend native math', () => {
  afterAll(() => ck.setIsa(null));
  for (const isa of ck.backendInfo().availableIsas) {
    it(`unary ops on ${isa}`, () => {
      ck.setIsa(isa);
      const x = ck.tensor(xs);
      const run = (t: ck.Tensor): Float32Array => t.dataSync() as Float32Array;
      expectMatches(run(K.clip(x, -1, 2.5)), xs.map((v) => (v < -1 ? -1 : v > 2.5 ? 2.5 : v)));
      expectMatches(run(K.minScalar(x, 0.5)), xs.map((v) => (v <= 0.5 ? v : 0.5)));
      expectMatches(run(K.maxScalar(x, 0.5)), xs.map((v) => (v >= 0.5 ? v : 0.5)));
      expectMatches(run(K.sign(x)), xs.map((v) => (Number.isNaN(v) ? NaN : v > 0 ? 1 : v < 0 ? -1 : 0)));
      expectMatches(run(K.stepMask(x)), xs.map((v) => (v > 0 ? 1 : 0)));
      for (const p of [2, 3, -1, 0.5, 1.7, 0, -2])
        expectMatches(run(K.powScalar(x, p)), xs.map((v) => Math.pow(Math.fround(v), p)), 4e-7);
      const pos = ck.tensor(xs.map((v) => Math.abs(v) + 1e-3));
      expectMatches(run(K.rsqrt(pos)), xs.map((v) => 1 / Math.sqrt(Math.fround(Math.abs(v) + 1e-3))), 3e-7);
    });

    it(`comparison masks broadcast on ${isa}`, () => {
      ck.setIsa(isa);
      const a = ck.tensor([1, 2, 3, NaN, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18], [6, 3]);
      const b = ck.tensor([2, 2, 9], [3]);
      const av = Array.from(a.dataSync());
      const bv = [2, 2, 9];
      expectMatches(K.greaterMask(a, b).dataSync() as Float32Array, av.map((v, i) => (v > bv[i % 3]! ? 1 : 0)));
      expectMatches(K.equalMask(a, b).dataSync() as Float32Array, av.map((v, i) => (v === bv[i % 3]! ? 1 : 0)));
    });
  }

  it('rejects bad parameters and int32 masks with named errors', () => {
    const x = ck.tensor([1, 2]);
    expect(() => K.clip(x, 2, 1)).toThrow(/clip\(\): lo must be <= hi, got lo=2, hi=1/);
    expect(() => K.powScalar(x, NaN)).toThrow(/powScalar\(\): alpha must be a finite number, got NaN/);
    const i = ck.tensor([1, 2], [2], 'int32');
    expect(() => K.greaterMask(i, i)).toThrow(/greaterMask\(\): the comparison masks are float32 only/);
  });
});
