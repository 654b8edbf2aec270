// Gradients of the eager activations relu6, leakyRelu, elu, softplus and swish at their edge
// regions (next to the kinks of relu6 at 0 and 6, both sides of 0 for leakyRelu/elu with several
// alphas, saturated tails of softplus/swish), on every ISA. Two independent references:
//  1. central differences of a plain double-precision formula written here (h = 1e-6, so points
//     1e-3 from a kink are fine): |tape − reference| ≤ 1e-5 + 1e-5·|reference| (float32 kernels);
//  2. the generic finite-difference check through the ops themselves (helpers/gradcheck: float32
//     forward, double accumulation, h = 1e-3), on the points at least 0.02 from any kink.
import { afterAll, describe, expect, it } from 'vitest';
import * as ck from '../../lib/index.js';
import * as K from '../../lib/layers/backend.js';
import { valueAndGradsOf } from '../../lib/autodiff/index.js';
import { gradcheck } from '../helpers/gradcheck.js';

const isas = ck.backendInfo().availableIsas;
afterAll(() => ck.setIsa(null));

interface Case {
  name: string;
  op: (x: ck.Tensor) => ck.Tensor;
  ref: (x: number) => number;
  points: number[];
  /** Where f' jumps (points within 0.02 of these are left to the double reference). */
  kinks: number[];
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const cases: Case[] = [
  {
    name: 'relu6', op: (x) => K.relu6(x), ref: (x) => Math.min(Math.max(x, 0), 6),
    points: [-7, -3, -0.02, -1e-3, 1e-3, 0.02, 0.5, 3, 5.98, 5.999, 6.001, 6.02, 7, 100], kinks: [0, 6],
  },
  ...[0.01, 0.2, 0.3, 1.5, -0.5].map((alpha): Case => ({
    name: `leakyRelu alpha ${alpha}`, op: (x) => K.leakyRelu(x, alpha), ref: (x) => (x >= 0 ? x : alpha * x),
    points: [-50, -2, -0.02, -1e-3, 1e-3, 0.02, 2, 50], kinks: [0],
  })),
  ...[0.5, 1, 2.5].map((alpha): Case => ({
    name: `elu alpha ${alpha}`, op: (x) => K.elu(x, alpha), ref: (x) => (x > 0 ? x : alpha * Math.expm1(x)),
    points: [-20, -5, -1, -0.02, -1e-3, 1e-3, 0.02, 1, 5], kinks: alpha === 1 ? [] : [0],
  })),
  {
    name: 'softplus', op: (x) => K.softplus(x), ref: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))),
    points: [-60, -30, -10, -1, -1e-3, 0, 1e-3, 1, 10, 30, 60], kinks: [],
  },
  {
    name: 'swish', op: (x) => K.swish(x), ref: (x) => x * sigmoid(x),
    points: [-60, -30, -10, -2.4, -1, -1e-3, 0, 1e-3, 1, 10, 30, 60], kinks: [],
  },
];

function tapeGrad(op: Case['op'], xs: number[], r: number[]): Float32Array {
  const x = ck.tensor(xs, [xs.length]);
  const rt = ck.tensor(r, [r.length]);
  const { value, grads } = valueAndGradsOf(() => K.sum(K.mul(op(x), rt)), [x]);
  const g = grads[0]!.dataSync() as Float32Array;
  value.dispose();
  grads[0]!.dispose();
  x.dispose();
  rt.dispose();
  return g;
}

describe.each(isas)('activation gradients at edge regions on %s', (isa) => {
  for (const c of cases) {
    it(c.name, () => {
      ck.setIsa(isa);
      // Forward against the plain formula (float32 rounding only).
      const y = c.op(ck.tensor(c.points, [c.points.length])).dataSync();
      c.points.forEach((p, i) => expect(Math.abs(y[i]! - c.ref(p))).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(c.ref(p)))));
      // Per-point weights so a wrong element cannot hide behind another.
      const r = c.points.map((_, i) => 0.5 + 0.25 * i);
      const g = tapeGrad(c.op, c.points, r);
      c.points.forEach((p, i) => {
        const h = 1e-6;
        const want = (r[i]! * (c.ref(p + h) - c.ref(p - h))) / (2 * h);
        const err = Math.abs(g[i]! - want);
        if (err > 1e-5 + 1e-5 * Math.abs(want)) expect.fail(`${c.name} on ${isa} at x=${p}: tape ${g[i]}, reference ${want}`);
      });
      // The generic finite-difference check through the ops, away from the kinks.
      const far = c.points.filter((p) => c.kinks.every((k) => Math.abs(p - k) >= 0.02) && Math.abs(p) <= 30);
      gradcheck((x) => c.op(x), [ck.tensor(far, [far.length])], { h: 1e-3, atol: 2e-3, rtol: 5e-3 });
    });
  }
});

describe('cast', () => {
  it('float32 → float32 passes the gradient; through int32 none flows', () => {
    const x = ck.tensor([0.4, -1.7, 2.2], [3]);
    const g = valueAndGradsOf(() => K.sum(K.mul(ck.cast(x, 'float32'), ck.tensor([1, 2, 3], [3]))), [x]).grads[0]!;
    expect(Array.from(g.dataSync())).toEqual([1, 2, 3]);
    const g2 = valueAndGradsOf(() => K.sum(ck.cast(ck.cast(x, 'int32'), 'float32')), [x]).grads[0]!;
    expect(Array.from(g2.dataSync())).toEqual([0, 0, 0]);
  });
});
