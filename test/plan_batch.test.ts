/**
 * Runtime batch (native Plan::run_batch): a plan built for N samples runs any n ≤ N on the same
 * arena and prepared weights. Checked against a plain double-precision reference written here (a
 * small conv → max pool → dense model with odd sizes), against the eager forward pass for a graph
 * with every step kind, on every ISA; and the cache consequences: many batch sizes, no rebuilds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Tensor } from '../lib/tensor/index.js';
import { setSeed } from '../lib/random/index.js';
import * as L from '../lib/layers/index.js';
import { input, type Model, model, sequential } from '../lib/models/index.js';
import { InferencePlan } from '../lib/plan/index.js';
import { backendInfo, setIsa, setNumThreads } from '../lib/backend.js';
import { randomTensor } from './helpers/gradcheck.js';
import { native } from '../lib/native/index.js';
import * as K from '../lib/layers/backend.js';

afterEach(() => setIsa(null));

/** Reference for conv2d(3×3 valid, relu, bias) → maxPool(2) → flatten → dense(bias), in float64. */
function reference(x: Float64Array | Float32Array, n: number, H: number, W: number, C: number, w: Float32Array[]): number[] {
  const [k, kb, d, db] = w as [Float32Array, Float32Array, Float32Array, Float32Array];
  const F = kb.length, U = db.length;
  const OH = H - 2, OW = W - 2, PH = Math.floor(OH / 2), PW = Math.floor(OW / 2);
  const out: number[] = [];
  for (let s = 0; s < n; s++) {
    // conv + relu, Keras kernel layout [KH, KW, Cin, Cout]
    const conv = new Float64Array(OH * OW * F);
    for (let i = 0; i < OH; i++) for (let j = 0; j < OW; j++) for (let f = 0; f < F; f++) {
      let acc = kb[f]!;
      for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) for (let c = 0; c < C; c++) {
        acc += x[((s * H + i + a) * W + j + b) * C + c]! * k[((a * 3 + b) * C + c) * F + f]!;
      }
      conv[(i * OW + j) * F + f] = Math.max(0, acc);
    }
    // max pool 2×2 stride 2 (valid), then flatten in [PH, PW, F] order
    const flat: number[] = [];
    for (let i = 0; i < PH; i++) for (let j = 0; j < PW; j++) for (let f = 0; f < F; f++) {
      let m = -Infinity;
      for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) m = Math.max(m, conv[((2 * i + a) * OW + 2 * j + b) * F + f]!);
      flat.push(m);
    }
    for (let u = 0; u < U; u++) {
      let acc = db[u]!;
      for (let q = 0; q < flat.length; q++) acc += flat[q]! * d[q * U + u]!;
      out.push(acc);
    }
  }
  return out;
}

function rows(t: Tensor, n: number): Tensor {
  return K.slice(t, [0, ...t.shape.slice(1).map(() => 0)], [n, ...t.shape.slice(1)]);
}

describe('inference plan: runtime batch (n ≤ the built batch)', () => {
  it('matches a float64 reference for every n on every ISA (odd sizes)', () => {
    setSeed(21);
    const [H, W, C] = [9, 7, 3];
    const m = sequential({
      layers: [L.conv2d({ filters: 5, kernelSize: 3, activation: 'relu', inputShape: [H, W, C] }), L.maxPooling2d({ poolSize: 2 }), L.flatten(), L.dense({ units: 4 })],
    });
    m.weights.forEach((v, i) => v.assign(randomTensor([...v.shape], 100 + i, 0.5)));
    const ws = m.weights.map((v) => v.read().dataSync() as Float32Array);
    const N = 7;
    const x = randomTensor([N, H, W, C], 3);
    const xd = x.dataSync() as Float32Array;
    for (const isa of backendInfo().availableIsas) {
      setIsa(isa);
      const plan = InferencePlan.build(m, [[N, H, W, C]]);
      expect(plan.runtimeBatch).toBe(true);
      expect(plan.info.batch).toBe(N);
      expect(plan.lastRunMs).toBe(0);
      // Descending then ascending: the conv operators are re-shaped between runs; sample-parallel
      // (chunks, then the remainder step by step) and step-by-step runs alternate.
      for (const [i, n] of [N, 1, 4, 6, 2, N, 3, 5].entries()) {
        plan.setSampleParallel(i % 3 !== 2);
        const xn = rows(x, n);
        const [y] = plan.run([xn]);
        expect(y!.shape).toEqual([n, 4]);
        // Timed natively, from the run lock to the last output: positive, and under a generous bound.
        expect(plan.lastRunMs).toBeGreaterThan(0);
        expect(plan.lastRunMs).toBeLessThan(1000);
        const want = reference(xd, n, H, W, C, ws);
        const got = y!.dataSync();
        for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(want[i]!)));
        y!.dispose();
        xn.dispose();
      }
    }
  });

  it('a graph with every step kind: n rows of an N-plan equal the eager pass on those rows, sync and async, on every ISA', async () => {
    setSeed(22);
    const inp = input({ shape: [7, 5, 3] });
    let a = L.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'tanh' }).apply(inp) as L.SymbolicTensor;
    a = L.batchNormalization({ epsilon: 1e-3 }).apply(a) as L.SymbolicTensor;
    const b = L.conv2d({ filters: 6, kernelSize: 1 }).apply(inp) as L.SymbolicTensor;
    const sum = L.add().apply([a, b]) as L.SymbolicTensor;
    const r = L.leakyReLU({ alpha: 0.1 }).apply(sum) as L.SymbolicTensor;
    const p = L.zeroPadding2d({ padding: [[1, 0], [0, 1]] }).apply(r) as L.SymbolicTensor;
    const pc = L.depthwiseConv2d({ kernelSize: 2, activation: 'relu6' }).apply(p) as L.SymbolicTensor;
    const cat = L.concatenate().apply([pc, sum]) as L.SymbolicTensor;
    const pooled = L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(cat) as L.SymbolicTensor;
    const g = L.globalMaxPooling2d().apply(pooled) as L.SymbolicTensor;
    const h = L.dense({ units: 5, activation: 'sigmoid' }).apply(L.flatten().apply(pooled) as L.SymbolicTensor) as L.SymbolicTensor;
    const out = L.softmax().apply(L.dense({ units: 4 }).apply(L.concatenate().apply([g, h])) as L.SymbolicTensor) as L.SymbolicTensor;
    const m: Model = model({ inputs: inp, outputs: [out, sum] });
    m.weights.forEach((v, i) => {
      const t = randomTensor([...v.shape], 200 + i, 0.5);
      v.assign(v.name.includes('variance') ? K.addScalar(K.abs(t), 0.5) : t);
    });
    const N = 6;
    const x = randomTensor([N, 7, 5, 3], 4);
    const built = InferencePlan.build(m, [[N, 7, 5, 3]]).info.steps;
    const kinds = built.map((s) => s.kind);
    for (const k of ['conv', 'batchNorm', 'add', 'unary', 'concat', 'pool', 'globalPool', 'dense', 'softmax', 'alias']) expect(kinds).toContain(k);
    // The zero padding is the depthwise conv's own padding (same zeros; native/plan/plan_fold.h).
    expect(built.find((s) => s.name === pc.sourceLayer.name)?.detail).toContain(`+${p.sourceLayer.name}`);
    for (const isa of backendInfo().availableIsas) {
      setIsa(isa);
      const plan = InferencePlan.build(m, [[N, 7, 5, 3]]);
      expect(plan.runtimeBatch).toBe(true);
      // Small samples: chunks of samples run through the whole plan on one thread each (when the
      // pool has threads); both that and step-by-step runs must give the eager result.
      const th = backendInfo().threads;
      expect(plan.info.sampleParallelChunks).toBe(th >= 2 && th <= N ? th : 0);
      for (const sp of [true, false]) {
        plan.setSampleParallel(sp);
        for (const n of [1, 5, N, 2]) {
          const xn = rows(x, n);
          const want = m.apply(xn, { training: false }) as unknown as Tensor[];
          const got = n % 2 ? plan.run([xn]) : await plan.runAsync([xn]);
          got.forEach((t, k) => {
            expect(t.shape).toEqual(want[k]!.shape);
            expect(Array.from(t.dataSync())).toEqual(Array.from(want[k]!.dataSync()));
          });
          for (const t of [...got, ...want, xn]) t.dispose();
        }
      }
    }
  });

  it('a plan built for one pool size runs right after the pool is resized (chunks and workspaces are checked per run)', () => {
    setSeed(25);
    const m = sequential({
      layers: [L.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [8, 6, 3] }), L.maxPooling2d({ poolSize: 2 }), L.flatten(), L.dense({ units: 3 })],
    });
    const x = randomTensor([9, 8, 6, 3], 7);
    const want = m.apply(x, { training: false }) as Tensor;
    const before = backendInfo().threads;
    const plan = InferencePlan.build(m, [[9, 8, 6, 3]]);
    plan.setSmallRunFlops(0); // this model's runs are far below the small-run limit: use the pool anyway
    try {
      for (const t of [1, 3, 2, 5]) {
        setNumThreads(t);
        for (const n of [9, 4]) {
          const xn = rows(x, n);
          const [y] = plan.run([xn]);
          expect(Array.from(y!.dataSync())).toEqual(Array.from(want.dataSync().subarray(0, n * 3)));
          y!.dispose();
          xn.dispose();
        }
      }
    } finally {
      setNumThreads(before);
    }
  });

  it('refuses n out of range with a RangeError naming n, and a plan whose steps mix samples runs its own batch only', () => {
    setSeed(23);
    const m = sequential({ layers: [L.dense({ units: 3, inputShape: [4] })] });
    const plan = InferencePlan.build(m, [[5, 4]]);
    const b = native() as unknown as { planRunBatch(...a: unknown[]): void };
    const handle = (plan as unknown as { handle: unknown }).handle;
    for (const n of [0, 6, 2.5]) expect(() => b.planRunBatch(handle, n, [new Float32Array(4 * 5)], [new Float32Array(3 * 5)])).toThrow(RangeError);
    expect(() => b.planRunBatch(handle, 6, [new Float32Array(24)], [new Float32Array(18)])).toThrow(/n: .*batch 5.*got 6/);
    // Buffers are checked against n samples.
    expect(() => b.planRunBatch(handle, 2, [new Float32Array(4 * 5)], [new Float32Array(3 * 2)])).toThrow(/inputs\[0\]: expected 8 floats/);
    // Softmax over the batch axis mixes samples: a smaller batch would change the result.
    const i = input({ shape: [4] });
    const sm = model({ inputs: i, outputs: L.softmax({ axis: 0 }).apply(L.dense({ units: 3 }).apply(i) as L.SymbolicTensor) as L.SymbolicTensor });
    const p2 = InferencePlan.build(sm, [[5, 4]]);
    expect(p2.runtimeBatch).toBe(false);
    const x2 = randomTensor([2, 4], 5);
    expect(() => p2.run([x2])).toThrow(/expects shape \[5, 4\], got \[2, 4\]/);
  });

  it('sample-parallel chunks claimed dynamically, with a padded last chunk, give the eager result for every batch size', async () => {
    // Chunks hold about n / (4 * threads) samples; sizes not divisible by the chunk size end in a
    // partly filled chunk that runs padded (the padding's results are dropped).
    setSeed(26);
    const m = sequential({
      layers: [L.conv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [7, 6, 2] }), L.maxPooling2d({ poolSize: 2 }), L.flatten(), L.dense({ units: 3, activation: 'softmax' })],
    });
    const N = 37;
    const x = randomTensor([N, 7, 6, 2], 9);
    const want = (m.apply(x, { training: false }) as Tensor).dataSync();
    const before = backendInfo().threads;
    const plan = InferencePlan.build(m, [[N, 7, 6, 2]]);
    plan.setSmallRunFlops(0); // chunks over the pool even for runs this small (see the next test)
    try {
      for (const t of [2, 3]) {
        setNumThreads(t);
        for (const n of [37, 35, 19, 17, 16, 9, 3]) {
          const xn = rows(x, n);
          const [y] = n % 2 ? plan.run([xn]) : await plan.runAsync([xn]);
          expect(Array.from(y!.dataSync())).toEqual(Array.from(want.subarray(0, n * 3)));
          y!.dispose();
          xn.dispose();
        }
      }
    } finally {
      setNumThreads(before);
    }
  });

  it('runs below the small-run limit stay on the calling thread, bit-identical to pooled runs, on every ISA', async () => {
    // Plan::runs_on_caller: a run whose estimated flops (info.workFlops × n / batch) are under the
    // limit does not use the thread pool. Its kernels split the same independent outputs either
    // way, so the results must be the same bits.
    setSeed(27);
    const [H, W, C, F, U] = [11, 9, 3, 6, 5];
    const m = sequential({
      layers: [L.conv2d({ filters: F, kernelSize: 3, activation: 'relu', inputShape: [H, W, C] }), L.maxPooling2d({ poolSize: 2 }), L.flatten(), L.dense({ units: U })],
    });
    const N = 9;
    const x = randomTensor([N, H, W, C], 11);
    const [OH, OW] = [H - 2, W - 2];
    const flat = Math.floor(OH / 2) * Math.floor(OW / 2) * F;
    // 2 flops per multiply-add of the conv and the dense layer, plus at most a few per value.
    const macs = N * (OH * OW * F * 9 * C + flat * U);
    const values = N * (OH * OW * F + flat + U);
    for (const isa of backendInfo().availableIsas) {
      setIsa(isa);
      const plan = InferencePlan.build(m, [[N, H, W, C]]);
      expect(plan.info.workFlops).toBeGreaterThanOrEqual(2 * macs);
      expect(plan.info.workFlops).toBeLessThanOrEqual(2 * macs + 3 * values);
      for (const sp of [true, false]) {
        plan.setSampleParallel(sp);
        for (const n of [1, 2, 5, N]) {
          const xn = rows(x, n);
          const got: Float32Array[] = [];
          for (const limit of [0, 1e30]) {
            plan.setSmallRunFlops(limit);
            const [y] = n % 2 ? plan.run([xn]) : await plan.runAsync([xn]);
            got.push(y!.dataSync() as Float32Array);
            y!.dispose();
          }
          expect(Array.from(got[1]!)).toEqual(Array.from(got[0]!));
          xn.dispose();
        }
      }
      expect(() => plan.setSmallRunFlops(-1)).toThrow(RangeError);
      expect(() => plan.setSmallRunFlops(Number.NaN)).toThrow(RangeError);
    }
  });

  it('many batch sizes in any order build one plan per new largest batch, not one per size', async () => {
    setSeed(24);
    const m = sequential({ layers: [L.conv2d({ filters: 3, kernelSize: 3, inputShape: [6, 6, 2], activation: 'relu' }), L.flatten(), L.dense({ units: 2 })] });
    const x = randomTensor([12, 6, 6, 2], 6);
    const y12 = m.predictSync(x) as Tensor;
    const want = y12.dataSync();
    const sizes = [3, 11, 1, 7, 12, 5, 9, 2, 10, 4, 8, 6, 1, 12];
    for (const n of sizes) {
      const xn = rows(x, n);
      const y = (n % 2 ? m.predictSync(xn) : await m.predict(xn)) as Tensor;
      expect(Array.from(y.dataSync())).toEqual(Array.from(want.subarray(0, n * 2)));
      y.dispose();
      xn.dispose();
    }
    // The batch-12 plan built first runs every smaller size.
    expect(m.inferencePlan.builds).toBe(1);
    expect(m.inferencePlan.plans.map((p) => p.batch)).toEqual([12]);
    // Growing sizes: each new largest batch builds one plan, which replaces those it subsumes.
    const m2 = sequential({ layers: [L.dense({ units: 2, inputShape: [3] })] });
    const z = randomTensor([20, 3], 8);
    for (const n of [1, 2, 3, 5, 4, 8, 20, 7]) {
      const zn = rows(z, n);
      (m2.predictSync(zn) as Tensor).dispose();
      zn.dispose();
    }
    expect(m2.inferencePlan.builds).toBe(6);
    expect(m2.inferencePlan.plans.map((p) => p.batch)).toEqual([20]);
  });
});
