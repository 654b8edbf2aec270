// Deferred execution (lib/engine/deferred.ts, native/binding/recording_binding.cc): fit and evaluate
// record their native kernels and run them as async batches off the main thread. The results must
// be bit-for-bit those of eager execution, for models made only of native ops (no main-thread
// flush at all) and for models with JavaScript-loop ops (which must flush first and still agree).
import { afterEach, describe, expect, it } from 'vitest';
import * as ck from '../../lib/index.js';

const L = ck.layers;

function data(n: number, shape: number[], classes: number, seed: number): { x: ck.Tensor; y: ck.Tensor } {
  const x = ck.randomNormal([n, ...shape], 0, 1, 'float32', seed);
  const yv = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) yv[i * classes + ((i * 7 + seed) % classes)] = 1;
  return { x, y: ck.tensor(yv, [n, classes]) };
}

// A functional model that mixes recordable ops with JavaScript-loop ones (upsampling, cropping,
// concatenation), batch norm, dropout and a residual add.
function mixedModel(): ck.Model {
  const inp = ck.input({ shape: [12, 12, 3] });
  const a = L.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(inp) as ck.SymbolicTensor;
  const b = L.batchNormalization().apply(a) as ck.SymbolicTensor;
  const c = L.maxPooling2d({ poolSize: 2 }).apply(b) as ck.SymbolicTensor;
  const u = L.upSampling2d({ size: 2 }).apply(c) as ck.SymbolicTensor;
  const r = L.add().apply([u, b]) as ck.SymbolicTensor;
  const k = L.cropping2d({ cropping: 1 }).apply(r) as ck.SymbolicTensor;
  const j = L.concatenate().apply([k, L.cropping2d({ cropping: 1 }).apply(a) as ck.SymbolicTensor]) as ck.SymbolicTensor;
  const d = L.dropout({ rate: 0.3 }).apply(L.flatten().apply(j) as ck.SymbolicTensor) as ck.SymbolicTensor;
  const out = L.dense({ units: 5, activation: 'softmax' }).apply(d) as ck.SymbolicTensor;
  return ck.model({ inputs: inp, outputs: out });
}

interface Run {
  loss: number[];
  valLoss: number[];
  weights: Float32Array[];
  stats: { batches: number; jobs: number; syncFlushes: number };
}

async function train(build: () => ck.Model, shape: number[], classes: number, deferred: boolean): Promise<Run> {
  ck.setDeferredExecution(deferred);
  ck.setSeed(21);
  const m = build();
  const { x, y } = data(40, shape, classes, 3);
  const v = data(16, shape, classes, 4);
  m.compile({ optimizer: 'adam', loss: 'categorical_crossentropy', metrics: ['accuracy'] });
  const before = ck.deferredStats();
  const h = await m.fit(x, y, { batchSize: 16, epochs: 2, shuffle: true, validationData: [v.x, v.y], verbose: 0 });
  const after = ck.deferredStats();
  const weights = m.getWeights().map((t) => t.dataSync() as Float32Array);
  for (const t of [x, y, v.x, v.y]) t.dispose();
  m.dispose();
  return {
    loss: h.history['loss'] as number[],
    valLoss: h.history['val_loss'] as number[],
    weights,
    stats: { batches: after.batches - before.batches, jobs: after.jobs - before.jobs, syncFlushes: after.syncFlushes - before.syncFlushes },
  };
}

afterEach(() => ck.setDeferredExecution(true));

describe('deferred execution', () => {
  const cases: [string, () => ck.Model, number[], number][] = [
    ['lenet5', () => ck.zoo.lenet5(), [28, 28, 1], 10],
    ['cifar baseline (batch norm, dropout)', () => ck.zoo.cifarBaseline(), [32, 32, 3], 10],
    ['mixed functional graph', mixedModel, [12, 12, 3], 5],
  ];
  for (const [name, build, shape, classes] of cases) {
    it(`${name}: fit gives bit-identical weights and history to eager execution`, async () => {
      const eager = await train(build, shape, classes, false);
      const deferred = await train(build, shape, classes, true);
      expect(eager.stats.batches).toBe(0);
      expect(deferred.stats.batches).toBeGreaterThan(0);
      expect(deferred.loss).toEqual(eager.loss);
      expect(deferred.valLoss).toEqual(eager.valLoss);
      expect(deferred.weights.length).toBe(eager.weights.length);
      deferred.weights.forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(eager.weights[i]!.buffer))).toBe(true));
    });
  }

  it('a model of native ops only runs every kernel in async batches (no main-thread flush)', async () => {
    // (Inference-mode BatchNormalization still computes its scale with a JavaScript rsqrt, which
    // flushes; training-mode batch norm is one native op.)
    const r = await train(() => ck.zoo.lenet5(), [28, 28, 1], 10, true);
    // 3 training steps per epoch (40 samples, batch 16) x 2 epochs: forward + backward/update
    // each, plus one forward per validation batch and the metric-resolving first forward.
    expect(r.stats.syncFlushes).toBe(0);
    expect(r.stats.batches).toBeGreaterThanOrEqual(2 * 3 * 2);
    expect(r.stats.jobs).toBeGreaterThan(r.stats.batches);
  });

  it('a JavaScript read inside a recording sees the computed values', async () => {
    const x = ck.randomNormal([7, 33], 0, 1, 'float32', 9);
    const want = Array.from(ck.relu(ck.mul(x, 3)).dataSync());
    const got = await ck.runDeferred(() => Array.from(ck.relu(ck.mul(x, 3)).dataSync()));
    expect(got).toEqual(want);
  });

  it('dispose() of a queued op\'s input waits for the queue; results are right', async () => {
    const x = ck.randomNormal([64, 65], 0, 1, 'float32', 2);
    const ref = ck.add(ck.relu(x), ck.relu(x)).dataSync();
    const live = ck.memory().numBuffers;
    const z = await ck.runDeferred(() => {
      const y = ck.relu(x);
      const out = ck.add(y, y);
      y.dispose(); // the add above has not run yet
      return out;
    });
    expect(Array.from(z.dataSync())).toEqual(Array.from(ref));
    z.dispose();
    expect(ck.memory().numBuffers).toBe(live);
  });

  it('an error thrown while recording runs what was queued, frees what was disposed, and propagates', async () => {
    const x = ck.randomNormal([16, 16], 0, 1, 'float32', 4);
    const ref = ck.relu(x);
    const want = Array.from(ref.dataSync());
    ref.dispose();
    const live = ck.memory().numBuffers;
    let kept: ck.Tensor | null = null;
    await expect(
      ck.runDeferred(() => {
        kept = ck.relu(x);
        ck.relu(x).dispose();
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(Array.from(kept!.dataSync())).toEqual(want);
    kept!.dispose();
    expect(ck.memory().numBuffers).toBe(live);
  });

  it('convolutions report the same algorithm recorded as eager', async () => {
    const x = ck.randomNormal([2, 9, 9, 3], 0, 1, 'float32', 1);
    const w = ck.randomNormal([3, 3, 3, 8], 0, 1, 'float32', 2);
    const eager = ck.convForward(x, w, { padding: 'same' });
    const rec = await ck.runDeferred(() => ck.convForward(x, w, { padding: 'same' }));
    expect(rec.algorithm).toBe(eager.algorithm);
    expect(Array.from(rec.output.dataSync())).toEqual(Array.from(eager.output.dataSync()));
  });

  it('predict on the eager path (a subclassed model, no plan) runs its kernels in async batches', async () => {
    class Net extends ck.Model {
      c = L.conv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'relu' });
      p = L.maxPooling2d({ poolSize: 2 });
      f = L.flatten();
      d = L.dense({ units: 4, activation: 'softmax' });
      override call(x: ck.Tensor | ck.Tensor[]): ck.Tensor {
        const t = Array.isArray(x) ? x[0]! : x;
        return this.d.apply(this.f.apply(this.p.apply(this.c.apply(t) as ck.Tensor) as ck.Tensor) as ck.Tensor) as ck.Tensor;
      }
    }
    ck.setSeed(5);
    const net = new Net();
    const x = ck.randomNormal([10, 8, 8, 2], 0, 1, 'float32', 6);
    const want = (net.predictSync(x) as ck.Tensor).dataSync();
    for (const batchSize of [32, 4]) {
      const before = ck.deferredStats().batches;
      const y = (await net.predict(x, { batchSize })) as ck.Tensor;
      expect(net.inferencePlan.lastPath).toBe('eager');
      expect(ck.deferredStats().batches - before).toBe(batchSize === 32 ? 1 : 3);
      expect(Array.from(y.dataSync())).toEqual(Array.from(want));
    }
  });
});
