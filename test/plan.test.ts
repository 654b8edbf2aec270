/**
 * Native inference plans (lib/plan, native/plan): the plan's output against the eager layer-by-layer
 * forward pass `model.apply(x, {training: false})` of the same model, which is computed by separate
 * code (one native op per layer step, fresh tensors) — for zoo models, functional graphs with
 * residual and concatenated branches, batch norm with non-trivial statistics and dropout.
 *
 * Tolerance: the plan calls the same kernels with the same algorithms and reproduces each layer's
 * order of roundings (bias after a depthwise conv, relu in the GEMM or conv epilogue, a zero
 * padding as the conv's own zero padding), so outputs are expected to be bit-identical; the
 * assertion is |plan - eager| <= 1e-6 * (1 + |eager|) and the tests also check exact equality.
 *
 * Except where the plan folds a batch norm into the conv or dense step before it
 * (native/plan/plan_fold.h): it then computes x·(W·s) + b' with W·s rounded once, where the eager
 * layers round x·W, then ·s, then +t. Each fold moves an output by a few float32 ulps of the
 * terms it sums (relative ~1e-7 of their magnitude); over the ~20 folded layers of a ResNet and
 * with cancellation in the sums, FOLDED_TOL = 1e-5 relative (as |d| <= 1e-5 (1 + |eager|)) leaves
 * room without hiding a real error (a wrong scale or shift moves outputs by O(1)).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Tensor } from '../lib/tensor/index.js';
import { setSeed } from '../lib/random/index.js';
import * as L from '../lib/layers/index.js';
import * as K from '../lib/layers/backend.js';
import { input, Model, model, sequential } from '../lib/models/index.js';
import { buildZooModel } from '../lib/zoo/index.js';
import { InferencePlan, invalidateInferencePlans, setInferencePlanEnabled } from '../lib/plan/index.js';
import { backendInfo, memory, setIsa } from '../lib/backend.js';
import { randomTensor } from './helpers/gradcheck.js';
import { createPredictor } from '../lib/serving/index.js';
import type { LayerInput } from '../lib/layers/layer.js';

/** Replaces every weight with deterministic random values (variances positive), so batch norms matter. */
function randomizeWeights(m: Model, seed: number): void {
  m.weights.forEach((w, i) => {
    const n = w.size;
    const t = randomTensor([...w.shape], seed + i, 0.5);
    if (w.name.includes('moving_variance') || w.name.includes('movingVariance')) {
      const v = K.addScalar(K.abs(t), 0.5);
      w.assign(v);
      v.dispose();
    } else w.assign(t);
    t.dispose();
    expect(n).toBeGreaterThan(0);
  });
}

function eager(m: Model, x: Tensor | Tensor[]): Tensor[] {
  const y = m.apply(x, { training: false });
  return Array.isArray(y) ? y : [y];
}

/** Largest |a-b| / (1 + |b|) and whether every element is identical. */
function compare(a: Tensor, b: Tensor): { worst: number; identical: boolean } {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync(), y = b.dataSync();
  let worst = 0, identical = true;
  for (let i = 0; i < y.length; i++) {
    if (x[i] !== y[i]) identical = false;
    worst = Math.max(worst, Math.abs(x[i]! - y[i]!) / (1 + Math.abs(y[i]!)));
  }
  return { worst, identical };
}

const FOLDED_TOL = 1e-5;

/** Whether the model's current plan folded a batch norm into a conv or dense step. */
function foldsBatchNorm(m: Model): boolean {
  const bns = new Set(m.layers.filter((l) => l.getClassName() === 'BatchNormalization').map((l) => l.name));
  return m.inferencePlan.plans[0]!.steps.some((s) => s.detail.split(', ').some((d) => bns.has(d.slice(1))));
}

function expectPlanMatches(m: Model, x: Tensor | Tensor[], tol = 1e-6): { identical: boolean } {
  const want = eager(m, x);
  const got = m.predictSync(x);
  // Same structure as the eager call: a list exactly when the model has several outputs.
  expect(Array.isArray(got)).toBe(want.length > 1);
  const gs = Array.isArray(got) ? got : [got];
  expect(gs.length).toBe(want.length);
  expect(m.inferencePlan.lastPath).toBe('plan');
  let identical = true;
  gs.forEach((g, i) => {
    const c = compare(g, want[i]!);
    expect(c.worst).toBeLessThanOrEqual(tol);
    identical &&= c.identical;
  });
  for (const t of [...gs, ...want]) t.dispose();
  return { identical };
}

afterEach(() => setIsa(null));

describe('inference plan: equals the eager forward pass', () => {
  // [model, input shape, classes, batch, whether its batch norms fold into convs]
  const zooCases: [string, number[], number, number, boolean][] = [
    ['lenet5', [28, 28, 1], 10, 3, false],
    ['cifarBaseline', [32, 32, 3], 10, 3, true],
    ['resnet18', [32, 32, 3], 5, 2, true],
    ['googlenet', [32, 32, 3], 5, 2, true],
  ];
  for (const [name, shape, classes, batch, folds] of zooCases) {
    it(`${name} (batch ${batch})`, () => {
      setSeed(3);
      const m = buildZooModel(name, { inputShape: shape, classes });
      randomizeWeights(m, 11);
      const x = randomTensor([batch, ...shape], 5);
      const r = expectPlanMatches(m, x, folds ? FOLDED_TOL : 1e-6);
      expect(foldsBatchNorm(m)).toBe(folds);
      if (!folds) expect(r.identical).toBe(true);
      // Every batch norm of these models follows a conv that feeds nothing else: all folded.
      else expect(m.inferencePlan.plans[0]!.steps.map((s) => s.kind)).not.toContain('batchNorm');
      const info = m.inferencePlan.plans[0]!;
      expect(info.inputShapes).toEqual([[batch, ...shape]]);
      // The arena shares memory between values that are not alive together. A sample-parallel plan
      // gives each chunk its own conv workspace, so there are that many workspaces to discount.
      expect(info.arenaBytes - info.workspaceBytes * Math.max(1, info.sampleParallelChunks)).toBeLessThan(info.unsharedBytes);
      x.dispose();
      m.dispose();
    });
  }

  it('a functional graph with residual Add, Concatenate, BatchNorm, Dropout, depthwise conv, pads and activations', () => {
    setSeed(4);
    const inp = input({ shape: [12, 10, 4] });
    let a = L.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'tanh' }).apply(inp) as L.SymbolicTensor;
    a = L.batchNormalization({ epsilon: 1e-3 }).apply(a) as L.SymbolicTensor;
    a = L.dropout({ rate: 0.5 }).apply(a) as L.SymbolicTensor;
    const b = L.conv2d({ filters: 8, kernelSize: 1, activation: 'elu' }).apply(inp) as L.SymbolicTensor;
    const sum = L.add().apply([a, b]) as L.SymbolicTensor;
    const r = L.leakyReLU({ alpha: 0.1 }).apply(sum) as L.SymbolicTensor;
    const d = L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu6' }).apply(r) as L.SymbolicTensor;
    const p = L.zeroPadding2d({ padding: [[1, 1], [2, 0]] }).apply(sum) as L.SymbolicTensor;
    const pc = L.conv2d({ filters: 16, kernelSize: 3, strides: 1, activation: 'swish' }).apply(p) as L.SymbolicTensor;
    const cat = L.concatenate().apply([d, pc, sum]) as L.SymbolicTensor;
    const pooled = L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(cat) as L.SymbolicTensor;
    const g = L.globalMaxPooling2d().apply(pooled) as L.SymbolicTensor;
    const f = L.flatten().apply(pooled) as L.SymbolicTensor;
    const h = L.dense({ units: 7, activation: 'sigmoid' }).apply(f) as L.SymbolicTensor;
    const out1 = L.softmax().apply(L.dense({ units: 5 }).apply(L.concatenate().apply([g, h])) as L.SymbolicTensor) as L.SymbolicTensor;
    const out2 = L.reshape({ targetShape: [7, 1] }).apply(h) as L.SymbolicTensor;
    const m = model({ inputs: inp, outputs: [out1, out2, sum] });
    randomizeWeights(m, 21);
    const x = randomTensor([3, 12, 10, 4], 6);
    const r2 = expectPlanMatches(m, x);
    expect(r2.identical).toBe(true);
    const steps = m.inferencePlan.plans[0]!.steps;
    const kinds = steps.map((s) => s.kind);
    for (const k of ['conv', 'batchNorm', 'alias', 'add', 'unary', 'concat', 'pool', 'globalPool', 'dense', 'softmax', 'biasAdd']) expect(kinds).toContain(k);
    // The zero padding became the next conv's own (zero) padding: one step less, same values.
    expect(kinds).not.toContain('zeroPad');
    expect(steps.find((s) => s.name === pc.sourceLayer.name)?.detail).toContain(`+${p.sourceLayer.name}`);
    x.dispose();
  });

  it('Conv1D with causal padding, pooling 1-D and a two-input model', () => {
    setSeed(5);
    const i1 = input({ shape: [20, 3] });
    const i2 = input({ shape: [6] });
    const c = L.conv1d({ filters: 4, kernelSize: 3, padding: 'causal', dilationRate: 2, activation: 'relu' }).apply(i1) as L.SymbolicTensor;
    const mp = L.maxPooling1d({ poolSize: 2 }).apply(c) as L.SymbolicTensor;
    const gp = L.globalAveragePooling1d().apply(mp) as L.SymbolicTensor;
    const d = L.dense({ units: 4, activation: 'relu' }).apply(i2) as L.SymbolicTensor;
    const out = L.dense({ units: 3 }).apply(L.add().apply([gp, d]) as L.SymbolicTensor) as L.SymbolicTensor;
    const m = model({ inputs: [i1, i2], outputs: out });
    randomizeWeights(m, 31);
    const xs = [randomTensor([4, 20, 3], 7), randomTensor([4, 6], 8)];
    expect(expectPlanMatches(m, xs).identical).toBe(true);
  });

  it('a nested Sequential is inlined, SeparableConv2D maps to depthwise + pointwise; training the inner model alone invalidates the outer plan', () => {
    setSeed(12);
    const inner = sequential({
      layers: [L.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [10, 10, 3] }), L.batchNormalization()],
    });
    const inp = input({ shape: [10, 10, 3] });
    const a = inner.apply(inp) as L.SymbolicTensor;
    const sep = L.separableConv2d({ filters: 5, kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu' }).apply(a) as L.SymbolicTensor;
    const out = L.dense({ units: 3, activation: 'softmax' }).apply(L.globalAveragePooling2d().apply(sep) as L.SymbolicTensor) as L.SymbolicTensor;
    const m = model({ inputs: inp, outputs: out });
    randomizeWeights(m, 61);
    const x = randomTensor([2, 10, 10, 3], 18);
    expect(expectPlanMatches(m, x).identical).toBe(true);
    const steps = m.inferencePlan.plans[0]!.steps;
    expect(steps.map((q) => q.name)).toContain(inner.layers[0]!.name);
    expect(steps.filter((q) => q.kind === 'conv').length).toBe(3);
    // The inner model trained on its own: a training-mode call, then an in-place update.
    const builds = m.inferencePlan.builds;
    (inner.apply(randomTensor([1, 10, 10, 3], 19), { training: true }) as Tensor).dispose();
    inner.weights[0]!.read().dataSync().fill(0.1);
    expect(expectPlanMatches(m, x).identical).toBe(true);
    expect(m.inferencePlan.builds).toBe(builds + 1);
  });

  it('a ReLU/ReLU6 after a batch norm or an add that feeds nothing else is fused into it; batch norms fold into the conv before them', () => {
    setSeed(14);
    const inp = input({ shape: [9, 7, 6] });
    const c1 = L.conv2d({ filters: 6, kernelSize: 3, padding: 'same', useBias: false }).apply(inp) as L.SymbolicTensor;
    const b1 = L.batchNormalization().apply(c1) as L.SymbolicTensor;         // folded into c1
    const r1 = L.reLU().apply(b1) as L.SymbolicTensor;                       // its own step, in place
    const c2 = L.conv2d({ filters: 6, kernelSize: 3, padding: 'same', useBias: false }).apply(r1) as L.SymbolicTensor;
    const b2 = L.batchNormalization().apply(c2) as L.SymbolicTensor;         // folded into c2
    const sum = L.add().apply([b2, inp]) as L.SymbolicTensor;
    const r2 = L.reLU({ maxValue: 6 }).apply(sum) as L.SymbolicTensor;       // relu6, fused into the add
    const b3 = L.batchNormalization().apply(r2) as L.SymbolicTensor;         // after an add: stays a step
    const r3 = L.reLU().apply(b3) as L.SymbolicTensor;                       // not fused: b3 is also an output
    const b4 = L.batchNormalization().apply(r2) as L.SymbolicTensor;
    const r4 = L.reLU().apply(b4) as L.SymbolicTensor;                       // fused into b4
    const m = model({ inputs: inp, outputs: [r3, b3, r4] });
    randomizeWeights(m, 81);
    const name = (t: L.SymbolicTensor) => t.sourceLayer.name;
    for (const isa of backendInfo().availableIsas) {
      setIsa(isa);
      invalidateInferencePlans(m);
      // Values around zero on both sides of the activations, odd sizes (tails in every block).
      expectPlanMatches(m, randomTensor([5, 9, 7, 6], 22, 2), FOLDED_TOL);
      const steps = m.inferencePlan.plans[0]!.steps;
      expect(steps.map((q) => q.kind)).toEqual(['conv', 'unary', 'conv', 'add', 'batchNorm', 'unary', 'batchNorm']);
      expect(steps.find((q) => q.name === name(c1))?.detail).toMatch(new RegExp(`\\+${name(b1)}$`));
      expect(steps.find((q) => q.name === name(c2))?.detail).toMatch(new RegExp(`\\+${name(b2)}$`));
      expect(steps.find((q) => q.kind === 'add')?.detail).toMatch(/\+relu6$/);
      expect(steps.find((q) => q.name === name(b3))?.detail ?? '').not.toMatch(/\+relu/);
      expect(steps.find((q) => q.name === name(b4))?.detail).toMatch(/\+relu$/);
      // The same through one sample and through step-by-step runs.
      expectPlanMatches(m, randomTensor([1, 9, 7, 6], 23, 2), FOLDED_TOL);
    }
  });

  it('3-D layers (Conv3D, ZeroPadding3D, pooling 3-D), SpatialDropout2D and GaussianNoise', () => {
    setSeed(13);
    const i3 = input({ shape: [5, 6, 7, 2] });
    let v = L.zeroPadding3d({ padding: [[1, 0], [0, 1], [1, 1]] }).apply(i3) as L.SymbolicTensor;
    v = L.conv3d({ filters: 4, kernelSize: [2, 3, 3], strides: [1, 2, 1], padding: 'valid', activation: 'sigmoid' }).apply(v) as L.SymbolicTensor;
    v = L.maxPooling3d({ poolSize: [2, 2, 2], padding: 'same' }).apply(v) as L.SymbolicTensor;
    const g = L.globalAveragePooling3d().apply(v) as L.SymbolicTensor;
    const m3 = model({ inputs: i3, outputs: L.gaussianNoise({ stddev: 0.3 }).apply(g) as L.SymbolicTensor });
    randomizeWeights(m3, 71);
    expect(expectPlanMatches(m3, randomTensor([2, 5, 6, 7, 2], 20)).identical).toBe(true);
    const i2 = input({ shape: [6, 6, 3] });
    const d = L.spatialDropout2d({ rate: 0.5 }).apply(L.conv2d({ filters: 4, kernelSize: 3 }).apply(i2) as L.SymbolicTensor) as L.SymbolicTensor;
    const m2 = model({ inputs: i2, outputs: d });
    randomizeWeights(m2, 72);
    expect(expectPlanMatches(m2, randomTensor([3, 6, 6, 3], 21)).identical).toBe(true);
    expect(m2.inferencePlan.plans[0]!.steps.map((q) => q.kind)).toEqual(['conv', 'alias']);
  });

  it('on every ISA (cifarBaseline, resnet-style block)', () => {
    setSeed(6);
    const m = buildZooModel('cifarBaseline', { inputShape: [16, 16, 3], classes: 4 });
    randomizeWeights(m, 41);
    const x = randomTensor([5, 16, 16, 3], 9);
    for (const isa of backendInfo().availableIsas) {
      setIsa(isa);
      // The plan built under the previous ISA repacks its dense kernels for this one.
      expectPlanMatches(m, x, FOLDED_TOL);
    }
  });
});

describe('inference plan: runtime behaviour', () => {
  it('predict() does not block the event loop (timer ticks during one planned batch)', async () => {
    setSeed(7);
    const m = buildZooModel('resnet18', { inputShape: [64, 64, 3], classes: 5 });
    const x = randomTensor([8, 64, 64, 3], 10);
    m.predictSync(x).valueOf(); // build the plan (sync, on this thread) before timing
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const t0 = performance.now();
    const y = (await m.predict(x, { batchSize: 8 })) as Tensor;
    const ms = performance.now() - t0;
    clearInterval(timer);
    expect(m.inferencePlan.lastPath).toBe('plan');
    expect(y.shape).toEqual([8, 5]);
    // One async native call: the timer keeps firing while it runs (blocking would give 0 ticks).
    expect(ticks).toBeGreaterThanOrEqual(1);
    expect(ms).toBeGreaterThan(0);
    y.dispose();
    x.dispose();
  });

  it('counts conv weights as held: a Winograd plan holds its transformed filters besides the copy', () => {
    const build = (algorithm: 'direct' | 'winograd') =>
      InferencePlan.build(sequential({ layers: [L.conv2d({ filters: 24, kernelSize: 3, padding: 'same', useBias: false, algorithm, inputShape: [10, 10, 16] })] }), [[2, 10, 10, 16]]).info;
    const direct = build('direct');
    expect(direct.weightBytes).toBe(3 * 3 * 16 * 24 * 4);
    // U = G g G^T is (m+2)^2 x C x K floats (F2: 16, F4: 36 positions), packed once more for the GEMM.
    const w = build('winograd');
    const variant = /winograd-f(\d)/.exec(w.steps[0]!.detail);
    expect(variant).not.toBeNull();
    const a = Number(variant![1]) + 2;
    expect(w.weightBytes - direct.weightBytes).toBeGreaterThanOrEqual(2 * a * a * 16 * 24 * 4);
    expect(w.newWeightBytes).toBe(w.weightBytes);
  });

  it('predict() over several batches equals the eager path, writing batches into one output', async () => {
    setSeed(8);
    const m = buildZooModel('lenet5', { classes: 10 });
    randomizeWeights(m, 51);
    const x = randomTensor([37, 28, 28, 1], 11);
    const y = (await m.predict(x, { batchSize: 16 })) as Tensor;
    const want = eager(m, x)[0]!;
    expect(compare(y, want).identical).toBe(true);
    // One plan for 16 rows runs the last 5 rows too (a plan runs any batch up to its own).
    expect(m.inferencePlan.plans.map((p) => p.inputShapes[0]![0])).toEqual([16]);
    expect(m.inferencePlan.plans[0]!.runtimeBatch).toBe(true);
    const first = m.inferencePlan.plans[0]!;
    expect(first.newWeightBytes).toBe(first.weightBytes);
    // A larger batch builds a second plan, which reuses the first's prepared weights and
    // replaces it in the cache (it runs the smaller batches too).
    const y37 = (await m.predict(x, { batchSize: 64 })) as Tensor;
    expect(compare(y37, want).identical).toBe(true);
    const plans = m.inferencePlan.plans;
    expect(plans.map((p) => p.inputShapes[0]![0])).toEqual([37]);
    expect(plans[0]!.newWeightBytes).toBe(0);
    expect(m.inferencePlan.builds).toBe(2);
    // Alternating batch sizes (the shared conv operators are re-shaped per run) stays exact.
    const x16 = randomTensor([16, 28, 28, 1], 40);
    for (const t of [x16, x, x16]) {
      const got = (await m.predict(t, { batchSize: 16 })) as Tensor;
      expect(compare(got, eager(m, t)[0]!).identical).toBe(true);
    }
  });

  it('the serving predictor (which calls model.predict) runs through the plan', async () => {
    setSeed(14);
    const m = buildZooModel('lenet5', {});
    const p = createPredictor(m, { maxBatchSize: 8, maxDelayMs: 1 });
    const xs = [0, 1, 2].map((i) => randomTensor([1, 28, 28, 1], 30 + i));
    const ys = await Promise.all(xs.map((x) => p.predict(x)));
    expect(m.inferencePlan.lastPath).toBe('plan');
    xs.forEach((x, i) => expect(compare(ys[i]!, eager(m, x)[0]!).identical).toBe(true));
    await p.close();
  });

  it('steady state: a planned predict allocates only its output tensor', async () => {
    setSeed(9);
    const m = buildZooModel('cifarBaseline', { classes: 10 });
    const x = randomTensor([16, 32, 32, 3], 12);
    (await m.predict(x)).valueOf();
    (m.predictSync(x) as Tensor).dispose();
    const builds = m.inferencePlan.builds;
    const before = memory().totalAllocations;
    const runs = 5;
    for (let i = 0; i < runs; i++) {
      (m.predictSync(x) as Tensor).dispose();
      ((await m.predict(x)) as Tensor).dispose();
    }
    expect(memory().totalAllocations - before).toBe(2 * runs);
    expect(m.inferencePlan.builds).toBe(builds);
    // The eager path allocates a tensor per layer step.
    setInferencePlanEnabled(m, false);
    const e0 = memory().totalAllocations;
    (m.predictSync(x) as Tensor).dispose();
    expect(memory().totalAllocations - e0).toBeGreaterThan(5);
  });

  it('setWeights / assign, training and explicit invalidation rebuild the plan', () => {
    setSeed(10);
    const m = sequential({ layers: [L.dense({ units: 4, inputShape: [3], activation: 'relu' }), L.dense({ units: 2 })] });
    const x = randomTensor([2, 3], 13);
    const y0 = m.predictSync(x) as Tensor;
    // setWeights replaces the tensors: the plan's copies are stale and must not be used.
    m.setWeights(m.getWeights().map((w) => K.mulScalar(w, 2)));
    const y1 = m.predictSync(x) as Tensor;
    expect(compare(y1, eager(m, x)[0]!).identical).toBe(true);
    expect(compare(y1, y0).identical).toBe(false);
    expect(m.inferencePlan.builds).toBe(2);
    // A training-mode forward (what fit/trainOnBatch run before in-place optimizer updates).
    m.apply(x, { training: true });
    const k = m.weights[0]!.read();
    k.dataSync().fill(0.25); // an in-place update, as optimizers do
    const y2 = m.predictSync(x) as Tensor;
    expect(compare(y2, eager(m, x)[0]!).identical).toBe(true);
    expect(m.inferencePlan.builds).toBe(3);
    // Direct writes need the explicit call.
    m.weights[2]!.read().dataSync().fill(0.5);
    invalidateInferencePlans(m);
    const y3 = m.predictSync(x) as Tensor;
    expect(compare(y3, eager(m, x)[0]!).identical).toBe(true);
    expect(m.inferencePlan.builds).toBe(4);
  });

  it('subclassed models and unsupported layers use the eager path, with the reason visible', () => {
    class Net extends Model {
      d = L.dense({ units: 2 });
      override call(x: LayerInput): Tensor {
        return this.d.apply(x as Tensor) as Tensor;
      }
    }
    const n = new Net();
    const x = randomTensor([2, 3], 14);
    const y = n.predictSync(x) as Tensor;
    expect(y.shape).toEqual([2, 2]);
    expect(n.inferencePlan.lastPath).toBe('eager');
    const inp = input({ shape: [4, 4, 2] });
    const m = model({ inputs: inp, outputs: L.upSampling2d({ size: 2 }).apply(inp) as L.SymbolicTensor });
    const z = m.predictSync(randomTensor([1, 4, 4, 2], 15)) as Tensor;
    expect(z.shape).toEqual([1, 8, 8, 2]);
    expect(m.inferencePlan.lastPath).toBe('eager');
    expect(m.inferencePlan.unsupportedReason).toMatch(/UpSampling2D/);
  });

  it('a bad input shape is a RangeError naming expected and got', async () => {
    const m = buildZooModel('lenet5', {});
    const bad = randomTensor([2, 28, 27, 1], 16);
    expect(() => m.predictSync(bad)).toThrow(/expects shape \(None, 28, 28, 1\), got \[2, 28, 27, 1\]/);
    await expect(m.predict(bad)).rejects.toThrow(/expects shape \(None, 28, 28, 1\), got \[2, 28, 27, 1\]/);
    // The plan object itself checks too.
    const plan = InferencePlan.build(m, [[2, 28, 28, 1]]);
    expect(() => plan.run([bad])).toThrow(RangeError);
    expect(() => plan.run([bad])).toThrow(/input 0 expects shape \[2, 28, 28, 1\], got \[2, 28, 27, 1\]/);
  });

  it('concurrent async runs of one plan give the right answers (serialised per plan)', async () => {
    setSeed(11);
    const m = buildZooModel('cifarBaseline', { inputShape: [16, 16, 3], classes: 3 });
    const xs = [0, 1, 2, 3].map((i) => randomTensor([4, 16, 16, 3], 20 + i));
    const ys = (await Promise.all(xs.map((x) => m.predict(x)))) as Tensor[];
    expect(m.inferencePlan.builds).toBe(1);
    // Exactly the plan's serial result; the eager one within the batch-norm fold's rounding.
    xs.forEach((x, i) => expect(compare(ys[i]!, m.predictSync(x) as Tensor).identical).toBe(true));
    xs.forEach((x, i) => expect(compare(ys[i]!, eager(m, x)[0]!).worst).toBeLessThanOrEqual(FOLDED_TOL));
  });

  it('an AbortSignal rejects a planned predict with an AbortError', async () => {
    const m = buildZooModel('lenet5', {});
    const x = randomTensor([8, 28, 28, 1], 17);
    const ac = new AbortController();
    ac.abort();
    await expect(m.predict(x, { signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });
});
