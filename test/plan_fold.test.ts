/**
 * Plan rewrites (native/plan/plan_fold.h) seen from a model: an inference batch norm folded into
 * the conv or dense step before it (a ReLU after a dense step into its GEMM epilogue), a zero padding
 * folded into the next conv's padding or, when its input is known >= 0, into a max pooling's.
 *
 * References: the eager forward pass `model.apply(x, {training: false})` (one op per layer, no
 * folding), and for the folded weights a plain double-precision conv + batch norm written here.
 * A fold rounds W·γ/√(var+ε) once where the eager layers round (x·W)·s + t step by step, so folded
 * outputs are compared with |plan − eager| ≤ 1e-5 (1 + |eager|) (a few float32 ulps of the summed
 * terms, see test/plan.test.ts); steps that are not folded, and zero-padding folds (same zeros,
 * same kernels), are compared exactly.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Tensor } from '../lib/tensor/index.js';
import { tensor } from '../lib/tensor/index.js';
import { setSeed } from '../lib/random/index.js';
import * as L from '../lib/layers/index.js';
import * as K from '../lib/layers/backend.js';
import { input, type Model, model } from '../lib/models/index.js';
import { InferencePlan } from '../lib/plan/index.js';
import { backendInfo, setIsa } from '../lib/backend.js';
import { randomTensor } from './helpers/gradcheck.js';
import '../lib/training/index.js'; // Model.compile / fit

const FOLDED_TOL = 1e-5;

afterEach(() => setIsa(null));

function randomize(m: Model, seed: number): void {
  m.weights.forEach((w, i) => {
    const t = randomTensor([...w.shape], seed + i, 0.5);
    const v = w.name.includes('variance') ? K.addScalar(K.abs(t), 0.5) : t;
    w.assign(v);
    if (v !== t) v.dispose();
    t.dispose();
  });
}

function worst(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync(), y = b.dataSync();
  let w = 0;
  for (let i = 0; i < y.length; i++) w = Math.max(w, Math.abs(x[i]! - y[i]!) / (1 + Math.abs(y[i]!)));
  return w;
}

const same = (a: Tensor, b: Tensor): boolean => a.shape.join() === b.shape.join() && a.dataSync().every((v, i) => Object.is(v, b.dataSync()[i]));

function eager(m: Model, x: Tensor): Tensor[] {
  const y = m.apply(x, { training: false });
  return Array.isArray(y) ? y : [y as Tensor];
}

function planned(m: Model, x: Tensor): Tensor[] {
  const y = m.predictSync(x);
  expect(m.inferencePlan.lastPath).toBe('plan');
  return Array.isArray(y) ? y : [y];
}

const steps = (m: Model) => m.inferencePlan.plans[0]!.steps;
const nameOf = (t: L.SymbolicTensor) => t.sourceLayer.name;

describe('inference plan: batch norm folded into the conv / dense before it', () => {
  it('conv → BN → ReLU becomes a conv step and a ReLU (W′, b′ against a double-precision reference), on every ISA', () => {
    setSeed(1);
    const inp = input({ shape: [9, 8, 5] });
    const c = L.conv2d({ filters: 7, kernelSize: 3, padding: 'same', useBias: true }).apply(inp) as L.SymbolicTensor;
    const bn = L.batchNormalization({ epsilon: 1e-3 }).apply(c) as L.SymbolicTensor;
    const r = L.reLU().apply(bn) as L.SymbolicTensor;
    const m = model({ inputs: inp, outputs: r });
    randomize(m, 10);
    const x = randomTensor([3, 9, 8, 5], 2);
    // Reference in double: y = relu((conv(x, W) + b − mean) · γ / √(var + ε) + β).
    const [W, b, gamma, beta, mean, variance] = ['kernel', 'bias', 'gamma', 'beta', 'moving_mean', 'moving_variance'].map(
      (n) => m.weights.find((w) => w.name.endsWith(n))!.read().dataSync(),
    );
    const xs = x.dataSync();
    const want = new Float64Array(3 * 9 * 8 * 7);
    for (let n = 0; n < 3; n++)
      for (let i = 0; i < 9; i++)
        for (let j = 0; j < 8; j++)
          for (let o = 0; o < 7; o++) {
            let s = b![o]!;
            for (let di = 0; di < 3; di++)
              for (let dj = 0; dj < 3; dj++) {
                const ii = i + di - 1, jj = j + dj - 1;
                if (ii < 0 || ii >= 9 || jj < 0 || jj >= 8) continue;
                for (let c0 = 0; c0 < 5; c0++) s += xs[((n * 9 + ii) * 8 + jj) * 5 + c0]! * W![((di * 3 + dj) * 5 + c0) * 7 + o]!;
              }
            const v = ((s - mean![o]!) * gamma![o]!) / Math.sqrt(variance![o]! + 1e-3) + beta![o]!;
            want[((n * 9 + i) * 8 + j) * 7 + o] = Math.max(v, 0);
          }
    for (const isa of backendInfo().availableIsas) {
      setIsa(isa);
      const plan = InferencePlan.build(m, [[3, 9, 8, 5]]);
      // The conv with the batch norm folded in, then the ReLU (a conv epilogue ReLU measured slower).
      expect(plan.info.steps.map((s) => s.kind)).toEqual(['conv', 'unary']);
      expect(plan.info.steps[0]!.detail).toMatch(new RegExp(`\\+${nameOf(bn)}$`));
      const [y] = plan.run([x]);
      const got = y!.dataSync();
      let w = 0;
      for (let i = 0; i < want.length; i++) w = Math.max(w, Math.abs(got[i]! - want[i]!) / (1e-5 + 1e-5 * Math.abs(want[i]!)));
      expect(w).toBeLessThanOrEqual(1);
      expect(worst(y!, eager(m, x)[0]!)).toBeLessThanOrEqual(FOLDED_TOL);
      y!.dispose();
    }
  });

  it('Dense → BN folds too, a ReLU after it goes into the GEMM epilogue; BN without gamma/beta (scale/center false) folds', () => {
    setSeed(2);
    const inp = input({ shape: [6] });
    const d = L.dense({ units: 5 }).apply(inp) as L.SymbolicTensor;
    const bn = L.batchNormalization({ scale: false, center: false }).apply(d) as L.SymbolicTensor;
    const r = L.reLU().apply(bn) as L.SymbolicTensor;
    const m = model({ inputs: inp, outputs: r });
    randomize(m, 20);
    const x = randomTensor([4, 6], 3);
    const [y] = planned(m, x);
    expect(steps(m).map((s) => s.kind)).toEqual(['dense']);
    expect(steps(m)[0]!.detail).toBe(`packed, +${nameOf(bn)}, +${nameOf(r)}`);
    expect(worst(y!, eager(m, x)[0]!)).toBeLessThanOrEqual(FOLDED_TOL);
  });

  it('not folded when the conv output has another consumer, or the conv has its own activation: exact then', () => {
    setSeed(3);
    const inp = input({ shape: [7, 7, 3] });
    const c = L.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(inp) as L.SymbolicTensor;
    const bn = L.batchNormalization().apply(c) as L.SymbolicTensor;
    const other = L.add().apply([bn, c]) as L.SymbolicTensor;  // c read twice
    const ca = L.conv2d({ filters: 4, kernelSize: 1, activation: 'relu' }).apply(inp) as L.SymbolicTensor;
    const bna = L.batchNormalization().apply(ca) as L.SymbolicTensor;  // BN after relu: not linear in the conv
    const m = model({ inputs: inp, outputs: [other, bna] });
    randomize(m, 30);
    const x = randomTensor([2, 7, 7, 3], 4);
    const ys = planned(m, x);
    const want = eager(m, x);
    expect(steps(m).filter((s) => s.kind === 'batchNorm').map((s) => s.name).sort()).toEqual([nameOf(bn), nameOf(bna)].sort());
    ys.forEach((y, i) => expect(same(y, want[i]!)).toBe(true));
    // A conv output that is also a model output keeps its batch norm separate.
    const inp2 = input({ shape: [5, 5, 2] });
    const c2 = L.conv2d({ filters: 3, kernelSize: 3 }).apply(inp2) as L.SymbolicTensor;
    const m2 = model({ inputs: inp2, outputs: [c2, L.batchNormalization().apply(c2) as L.SymbolicTensor] });
    randomize(m2, 40);
    const x2 = randomTensor([2, 5, 5, 2], 5);
    const y2 = planned(m2, x2);
    expect(steps(m2).map((s) => s.kind)).toEqual(['conv', 'batchNorm']);
    eager(m2, x2).forEach((w, i) => expect(same(y2[i]!, w)).toBe(true));
  });

  it('training mode is unaffected: batch statistics, moving averages and weights are the eager layer\'s, the fold changes no variable', () => {
    setSeed(4);
    const make = () => {
      setSeed(4);
      const inp = input({ shape: [6, 6, 3] });
      const c = L.conv2d({ filters: 4, kernelSize: 3, useBias: false }).apply(inp) as L.SymbolicTensor;
      const m = model({ inputs: inp, outputs: L.reLU().apply(L.batchNormalization({ momentum: 0.5 }).apply(c) as L.SymbolicTensor) as L.SymbolicTensor });
      randomize(m, 50);
      return m;
    };
    const a = make(), b = make();
    const x = randomTensor([3, 6, 6, 3], 6);
    planned(a, x).forEach((t) => t.dispose());  // a has a folded plan, b never had one
    expect(steps(a).map((s) => s.kind)).toEqual(['conv', 'unary']);
    const before = a.weights.map((w) => Array.from(w.read().dataSync()));
    expect(b.weights.map((w) => Array.from(w.read().dataSync()))).toEqual(before);
    const ya = a.apply(x, { training: true }) as Tensor, yb = b.apply(x, { training: true }) as Tensor;
    expect(same(ya, yb)).toBe(true);
    // The training-mode call updated the moving statistics the same way in both.
    expect(a.weights.map((w) => Array.from(w.read().dataSync()))).toEqual(b.weights.map((w) => Array.from(w.read().dataSync())));
    expect(a.weights.map((w) => Array.from(w.read().dataSync()))).not.toEqual(before);
  });

  it('weights changed after a plan was built (assign, setWeights, fit) give new results: the folded copy is rebuilt', async () => {
    setSeed(5);
    const inp = input({ shape: [6, 6, 2] });
    const c = L.conv2d({ filters: 3, kernelSize: 3, padding: 'same' }).apply(inp) as L.SymbolicTensor;
    const bnLayer = L.batchNormalization();
    const out = L.flatten().apply(bnLayer.apply(c) as L.SymbolicTensor) as L.SymbolicTensor;
    const m = model({ inputs: inp, outputs: L.dense({ units: 2 }).apply(out) as L.SymbolicTensor });
    randomize(m, 60);
    const x = randomTensor([4, 6, 6, 2], 7);
    const check = (): Tensor => {
      const [y] = planned(m, x);
      expect(worst(y!, eager(m, x)[0]!)).toBeLessThanOrEqual(FOLDED_TOL);
      return y!;
    };
    const y0 = check();
    expect(steps(m).map((s) => s.kind)).toEqual(['conv', 'alias', 'dense']);
    // assign a new gamma (a batch norm weight: only the folded conv holds it).
    const g = tensor(new Float32Array([2, -1, 0.5]), [3]);
    bnLayer.gamma!.assign(g);
    const y1 = check();
    expect(same(y1, y0)).toBe(false);
    expect(m.inferencePlan.builds).toBe(2);
    // setWeights on every weight, moving statistics included.
    m.setWeights(m.getWeights().map((w, i) => (i === 4 ? K.addScalar(K.abs(w), 1) : K.mulScalar(w, 0.5))));
    const y2 = check();
    expect(same(y2, y1)).toBe(false);
    expect(m.inferencePlan.builds).toBe(3);
    // fit: the optimizer updates the conv kernel and γ/β in place, the moving statistics move.
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await m.fit(x, randomTensor([4, 2], 8), { epochs: 1, batchSize: 4, verbose: 0 });
    const y3 = check();
    expect(same(y3, y2)).toBe(false);
    expect(m.inferencePlan.builds).toBe(4);
  });
});

describe('inference plan: a conv\'s own ReLU runs as a step after it', () => {
  it('Conv2D(activation relu / relu6) gives conv + unary steps, bit for bit the eager layer (which fuses it), on every ISA', () => {
    setSeed(8);
    const inp = input({ shape: [11, 9, 3] });
    const c1 = L.conv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(inp) as L.SymbolicTensor;
    const c2 = L.conv2d({ filters: 4, kernelSize: 5, activation: 'relu6' }).apply(c1) as L.SymbolicTensor;
    const c3 = L.conv2d({ filters: 3, kernelSize: 1, activation: 'tanh' }).apply(c2) as L.SymbolicTensor;  // stays in the conv
    const m = model({ inputs: inp, outputs: [c3, c1] });
    randomize(m, 90);
    const x = randomTensor([3, 11, 9, 3], 10, 2);
    for (const isa of backendInfo().availableIsas) {
      setIsa(isa);
      const ys = planned(m, x);
      eager(m, x).forEach((w, i) => expect(same(ys[i]!, w)).toBe(true));
      expect(steps(m).map((s) => `${s.kind}:${s.name}`)).toEqual([
        `conv:${nameOf(c1)}`, `unary:${nameOf(c1)}`, `conv:${nameOf(c2)}`, `unary:${nameOf(c2)}`, `conv:${nameOf(c3)}`,
      ]);
    }
  });
});

describe('inference plan: zero padding folded into the next conv / max pooling', () => {
  it('into a conv (valid and same) exactly; into a max pooling only after a ReLU; never into an average pooling', () => {
    setSeed(6);
    const inp = input({ shape: [9, 7, 3] });
    const p1 = L.zeroPadding2d({ padding: [[1, 2], [2, 0]] }).apply(inp) as L.SymbolicTensor;
    const c1 = L.conv2d({ filters: 4, kernelSize: 3, strides: 2 }).apply(p1) as L.SymbolicTensor;  // valid
    const p2 = L.zeroPadding2d({ padding: 1 }).apply(c1) as L.SymbolicTensor;
    const c2 = L.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(p2) as L.SymbolicTensor;
    const p3 = L.zeroPadding2d({ padding: 1 }).apply(c2) as L.SymbolicTensor;  // after a ReLU: >= 0
    const m1 = L.maxPooling2d({ poolSize: 3, strides: 2 }).apply(p3) as L.SymbolicTensor;
    const p4 = L.zeroPadding2d({ padding: 1 }).apply(inp) as L.SymbolicTensor;  // inputs may be negative
    const m2 = L.maxPooling2d({ poolSize: 2 }).apply(p4) as L.SymbolicTensor;
    const p5 = L.zeroPadding2d({ padding: 1 }).apply(c2) as L.SymbolicTensor;
    const a1 = L.averagePooling2d({ poolSize: 2 }).apply(p5) as L.SymbolicTensor;  // avg counts real taps only
    const m = model({ inputs: inp, outputs: [m1, m2, a1] });
    randomize(m, 70);
    const x = randomTensor([3, 9, 7, 3], 9, 1);
    for (const isa of backendInfo().availableIsas) {
      setIsa(isa);
      const ys = planned(m, x);
      eager(m, x).forEach((w, i) => expect(same(ys[i]!, w)).toBe(true));
      const info = steps(m);
      const detail = (t: L.SymbolicTensor) => info.find((s) => s.name === nameOf(t))?.detail ?? '';
      expect(detail(c1)).toContain(`+${nameOf(p1)}`);
      expect(detail(c2)).toContain(`+${nameOf(p2)}`);
      expect(detail(m1)).toContain(`+${nameOf(p3)}`);
      expect(info.filter((s) => s.kind === 'zeroPad').map((s) => s.name).sort()).toEqual([nameOf(p4), nameOf(p5)].sort());
    }
    // The unfolded max pooling really needs the zeros: an all-negative input gives 0 at the borders.
    const neg = K.addScalar(K.abs(x), 0.1);
    const negx = K.mulScalar(neg, -1);
    const y = planned(m, negx)[1]!;
    expect(y.dataSync()[0]).toBe(0);
    expect(same(y, eager(m, negx)[1]!)).toBe(true);
  });
});
