/**
 * Every layer class in convkit's registry maps to and from its Keras class_name/config: a small model
 * around each one (non-default options where the layer has them) is saved as `.keras`, legacy `.h5`
 * and TF.js, loaded back with identical config, weights and predictions; and the TF.js file loads in
 * @tensorflow/tfjs (an independent implementation reading our Keras config and weights), whose
 * predictions must match ours within atol 1e-5 + rtol 1e-4 — except for the classes listed in
 * NOT_IN_TFJS, which TF.js does not implement (checked: tfjs must reject exactly those).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { loadModel } from '../../lib/io/index.js';
import { InputLayer, input, layers, model as functional, sequential, setSeed, type Layer, type SymbolicTensor } from '../../lib/index.js';
import { registeredLayerNames } from '../../lib/layers/registry.js';
import { tensor, type Tensor } from '../../lib/tensor/index.js';
import type { Model } from '../../lib/models/model.js';
import { maxErr } from './fixtures.js';
import { tfjsLoad } from './tfjs_load.js';

const dir = mkdtempSync(path.join(tmpdir(), 'convkit-io-all-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Case = { shape: number[]; make: () => Layer } | { shapes: number[][]; merge: () => Layer };
const L = layers;
const CASES: Record<string, Case> = {
  Activation: { shape: [5], make: () => L.activation({ activation: 'tanh' }) },
  Add: { shapes: [[4], [4]], merge: () => L.add({}) },
  Average: { shapes: [[4], [4]], merge: () => L.average({}) },
  AveragePooling1D: { shape: [8, 2], make: () => L.averagePooling1d({ poolSize: 3, strides: 2, padding: 'same' }) },
  AveragePooling2D: { shape: [7, 7, 2], make: () => L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }) },
  AveragePooling3D: { shape: [4, 4, 4, 2], make: () => L.averagePooling3d({ poolSize: 2 }) },
  BatchNormalization: { shape: [5, 5, 3], make: () => L.batchNormalization({ epsilon: 0.01, center: false }) },
  Concatenate: { shapes: [[4], [3]], merge: () => L.concatenate({ axis: -1 }) },
  Conv1D: { shape: [9, 2], make: () => L.conv1d({ filters: 3, kernelSize: 4, padding: 'same', dilationRate: 2, activation: 'relu' }) },
  Conv2D: { shape: [7, 7, 2], make: () => L.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', useBias: false }) },
  Conv2DTranspose: { shape: [4, 4, 2], make: () => L.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'same' }) },
  Conv3D: { shape: [4, 4, 4, 2], make: () => L.conv3d({ filters: 2, kernelSize: 2 }) },
  Cropping2D: { shape: [6, 6, 2], make: () => L.cropping2d({ cropping: [[1, 0], [0, 2]] }) },
  Dense: { shape: [5], make: () => L.dense({ units: 3, activation: 'sigmoid', kernelRegularizer: 'l2' }) },
  DepthwiseConv2D: { shape: [6, 6, 2], make: () => L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same' }) },
  Dropout: { shape: [5], make: () => L.dropout({ rate: 0.3 }) },
  ELU: { shape: [5], make: () => L.elu({ alpha: 0.7 }) },
  Flatten: { shape: [3, 2, 2], make: () => L.flatten({}) },
  GaussianNoise: { shape: [5], make: () => L.gaussianNoise({ stddev: 0.2 }) },
  GlobalAveragePooling1D: { shape: [6, 3], make: () => L.globalAveragePooling1d({}) },
  GlobalAveragePooling2D: { shape: [4, 4, 3], make: () => L.globalAveragePooling2d({}) },
  GlobalAveragePooling3D: { shape: [3, 3, 3, 2], make: () => L.globalAveragePooling3d({}) },
  GlobalMaxPooling1D: { shape: [6, 3], make: () => L.globalMaxPooling1d({}) },
  GlobalMaxPooling2D: { shape: [4, 4, 3], make: () => L.globalMaxPooling2d({}) },
  GlobalMaxPooling3D: { shape: [3, 3, 3, 2], make: () => L.globalMaxPooling3d({}) },
  LayerNormalization: { shape: [4, 5], make: () => L.layerNormalization({ epsilon: 0.01 }) },
  LeakyReLU: { shape: [5], make: () => L.leakyReLU({ alpha: 0.2 }) },
  MaxPooling1D: { shape: [8, 2], make: () => L.maxPooling1d({ poolSize: 2 }) },
  MaxPooling2D: { shape: [7, 7, 2], make: () => L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }) },
  MaxPooling3D: { shape: [4, 4, 4, 2], make: () => L.maxPooling3d({ poolSize: 2 }) },
  Maximum: { shapes: [[4], [4]], merge: () => L.maximum({}) },
  Minimum: { shapes: [[4], [4]], merge: () => L.minimum({}) },
  Multiply: { shapes: [[4], [4]], merge: () => L.multiply({}) },
  PReLU: { shape: [3, 3, 2], make: () => L.prelu({ sharedAxes: [1, 2] }) },
  Permute: { shape: [3, 4], make: () => L.permute({ dims: [2, 1] }) },
  RReLU: { shape: [5], make: () => L.rrelu({ lower: 0.1, upper: 0.3 }) },
  ReLU: { shape: [5], make: () => L.relu({ maxValue: 0.5 }) },
  Reshape: { shape: [6], make: () => L.reshape({ targetShape: [2, 3] }) },
  SeparableConv2D: { shape: [6, 6, 2], make: () => L.separableConv2d({ filters: 3, kernelSize: 3, depthMultiplier: 2 }) },
  Softmax: { shape: [5], make: () => L.softmax({}) },
  SpatialDropout2D: { shape: [4, 4, 2], make: () => L.spatialDropout2d({ rate: 0.2 }) },
  Subtract: { shapes: [[4], [4]], merge: () => L.subtract({}) },
  UpSampling2D: { shape: [3, 3, 2], make: () => L.upSampling2d({ size: [2, 3] }) },
  ZeroPadding1D: { shape: [5, 2], make: () => L.zeroPadding1d({ padding: [1, 2] }) },
  ZeroPadding2D: { shape: [4, 4, 2], make: () => L.zeroPadding2d({ padding: [[1, 0], [2, 1]] }) },
  ZeroPadding3D: { shape: [3, 3, 3, 1], make: () => L.zeroPadding3d({ padding: 1 }) },
};
/** Model containers, tested by every other case (Sequential) and the merge cases (Functional). */
const CONTAINERS = new Set(['Sequential', 'Functional', 'InputLayer']);
/** What @tensorflow/tfjs 4.x cannot load: classes it does not implement, or options it rejects. */
const NOT_IN_TFJS = new Set([
  'RReLU', 'Subtract', 'ZeroPadding1D', 'ZeroPadding3D', 'SpatialDropout2D', 'GlobalAveragePooling3D', 'GlobalMaxPooling3D',
  'ELU', // tfjs: "Non-default alpha value (0.7) is not supported by the ELU layer yet"
]);

function build(name: string, c: Case): { m: Model; shapes: number[][] } {
  setSeed(11);
  if ('merge' in c) {
    const ins = c.shapes.map((s, i) => input({ shape: s, name: `in_${i}` }));
    const a = L.dense({ units: c.shapes[0]![0]!, name: 'pre_a' }).apply(ins[0]!) as SymbolicTensor;
    const out = c.merge().apply([a, ...ins.slice(1)]) as SymbolicTensor;
    return { m: functional({ inputs: ins, outputs: out, name: `m_${name}` }), shapes: c.shapes };
  }
  return { m: sequential({ layers: [new InputLayer({ shape: c.shape }), c.make()], name: `m_${name}` }), shapes: [c.shape] };
}

function inputs(shapes: number[][]): Tensor[] {
  return shapes.map((s, k) => tensor(Float32Array.from({ length: 2 * s.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 1.3 + k)), [2, ...s]));
}

function run(m: Model, xs: Tensor[]): Float32Array {
  const y = m.predictSync(xs.length === 1 ? xs[0]! : xs) as Tensor;
  const out = Float32Array.from(y.dataSync() as Float32Array);
  // (a model that is the identity at inference — Dropout, GaussianNoise — returns its input tensor itself)
  if (!xs.includes(y)) y.dispose();
  return out;
}

describe('every registered layer round-trips through .keras, .h5 and TF.js', () => {
  it('the test covers every registered class', () => {
    const missing = registeredLayerNames().filter((n) => !CONTAINERS.has(n) && !(n in CASES));
    expect(missing).toEqual([]);
  });
  for (const [name, c] of Object.entries(CASES)) {
    it(name, async () => {
      const { m, shapes } = build(name, c);
      // non-trivial BatchNormalization statistics
      for (const l of m.layers) if (l.getClassName() === 'BatchNormalization') l.setWeights(l.getWeights().map((w, i) => tensor(Float32Array.from({ length: w.size }, (_, j) => 0.5 + 0.1 * ((i + j) % 5)), [...w.shape])));
      const xs = inputs(shapes);
      const want = run(m, xs);
      const cfg = JSON.stringify(m.getConfig());
      const sub = path.join(dir, name);
      mkdirSync(sub, { recursive: true });
      for (const f of ['m.keras', 'm.h5', 'model.json']) {
        const p = path.join(sub, f);
        await m.save(p);
        const back = await loadModel(p);
        expect(JSON.stringify(back.getConfig()), f).toBe(cfg);
        const got = run(back, xs);
        expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer)), f).toBe(true);
        back.dispose();
      }
      // @tensorflow/tfjs reads our TF.js model
      let tm: tf.LayersModel | null = null;
      let err: unknown = null;
      try {
        tm = await tfjsLoad(path.join(sub, 'model.json'));
      } catch (e) {
        err = e;
      }
      if (NOT_IN_TFJS.has(name)) {
        expect(err, `tfjs unexpectedly loads ${name}; remove it from NOT_IN_TFJS`).not.toBe(null);
      } else {
        expect(err, String(err)).toBe(null);
        const txs = xs.map((x) => tf.tensor(x.dataSync() as Float32Array, [...x.shape]));
        const ty = tm!.predict(txs.length === 1 ? txs[0]! : txs) as tf.Tensor;
        const r = maxErr(ty.dataSync() as Float32Array, want, 1e-5, 1e-4);
        expect(r.ok, `tfjs vs convkit max abs err ${r.maxAbs}`).toBe(true);
        tf.dispose([...txs, ty]);
        tm!.dispose();
      }
      xs.forEach((x) => x.dispose());
      m.dispose();
    });
  }
});
