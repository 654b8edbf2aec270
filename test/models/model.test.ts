import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '../../lib/tensor/index.js';
import { setSeed } from '../../lib/random/index.js';
import * as L from '../../lib/layers/index.js';
import * as K from '../../lib/layers/backend.js';
import { input, Model, model, sequential } from '../../lib/models/index.js';
import { lenet5 } from '../../lib/zoo/index.js';
import { randomTensor } from '../helpers/gradcheck.js';

const mse = (y: Tensor, p: Tensor): Tensor => K.mean(K.square(K.sub(y, p)));
const xent = (y: Tensor, p: Tensor): Tensor => K.neg(K.mean(K.sum(K.mul(y, K.log(K.addScalar(p, 1e-7))), [1])));

function sgdStep(m: Model, x: Tensor, y: Tensor, loss: (a: Tensor, b: Tensor) => Tensor, lr: number): number {
  const { loss: l, grads, weights } = m.trainStepGradients(x, y, loss);
  weights.forEach((w, i) => {
    w.assignOwned(K.withoutTape(() => K.sub(w.read(), K.mulScalar(grads[i]!, lr))));
    grads[i]!.dispose();
  });
  const v = l.dataSync()[0]!;
  l.dispose();
  return v;
}

describe('Sequential', () => {
  it('names layers like Keras and weights like conv2d/kernel', () => {
    L.resetNames();
    const m = sequential({ layers: [L.conv2d({ filters: 2, kernelSize: 3, inputShape: [5, 5, 1] }), L.flatten(), L.dense({ units: 3 }), L.dense({ units: 2 })] });
    expect(m.layers.map((l) => l.name)).toEqual(['conv2d', 'flatten', 'dense', 'dense_1']);
    expect(m.weights.map((w) => w.name)).toEqual(['conv2d/kernel', 'conv2d/bias', 'dense/kernel', 'dense/bias', 'dense_1/kernel', 'dense_1/bias']);
    expect(m.getLayer('dense_1').getClassName()).toBe('Dense');
    expect(m.outputs[0]!.shape).toEqual([null, 2]);
  });

  it('builds lazily from the first tensor, supports add() and an input() first', () => {
    const m = sequential();
    m.add(L.dense({ units: 4, activation: 'relu' }));
    m.add(L.dense({ units: 1 }));
    expect(m.built).toBe(false);
    const y = m.predictSync(randomTensor([3, 5], 1)) as Tensor;
    expect(y.shape).toEqual([3, 1]);
    expect(m.weights.length).toBe(4);
    const m2 = sequential();
    m2.add(new (L.getLayerClass('InputLayer') as unknown as new (a: object) => L.Layer)({ batchInputShape: [null, 7] }));
    m2.add(L.dense({ units: 2 }));
    expect(m2.outputs[0]!.shape).toEqual([null, 2]);
  });

  it('LeNet-5 learns a toy task (loss falls) and setSeed makes the run reproducible', () => {
    const run = (): number[] => {
      setSeed(42);
      const m = lenet5({ inputShape: [12, 12, 1], classes: 3 });
      const x = randomTensor([6, 12, 12, 1], 3);
      const labels = [0, 1, 2, 0, 1, 2];
      const y = tensor(labels.map((c) => [0, 1, 2].map((k) => (k === c ? 1 : 0))), [6, 3]);
      const losses: number[] = [];
      for (let i = 0; i < 30; i++) losses.push(sgdStep(m, x, y, xent, 0.1));
      return losses;
    };
    const a = run();
    expect(a[a.length - 1]!).toBeLessThan(a[0]! * 0.5);
    expect(run()).toEqual(a);
  });

  it('predict in batches equals predictSync and does not leak', async () => {
    setSeed(1);
    const m = sequential({ layers: [L.dense({ units: 3, inputShape: [4], activation: 'tanh' }), L.dense({ units: 2 })] });
    const x = randomTensor([10, 4], 7);
    const a = (await m.predict(x, { batchSize: 3 })) as Tensor;
    const b = m.predictSync(x) as Tensor;
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
  });

  it('getWeights/setWeights round-trip and trainable flags', () => {
    const m = sequential({ layers: [L.dense({ units: 3, inputShape: [2] }), L.batchNormalization(), L.dense({ units: 1 })] });
    const w = m.getWeights();
    expect(w.map((t) => t.shape)).toEqual([[2, 3], [3], [3], [3], [3], [3], [3, 1], [1]]);
    expect(m.trainableWeights.length).toBe(6);
    expect(m.nonTrainableWeights.map((v) => v.name)).toEqual(['batch_normalization/moving_mean', 'batch_normalization/moving_variance'].map((n) => m.layers[1]!.name + n.slice(n.indexOf('/'))));
    m.layers[0]!.trainable = false;
    expect(m.trainableWeights.length).toBe(4);
    const ones = w.map((t) => K.filled(t.shape, 1));
    m.setWeights(ones);
    expect(Array.from(m.getWeights()[0]!.dataSync())).toEqual([1, 1, 1, 1, 1, 1]);
    expect(() => m.setWeights(ones.slice(1))).toThrow(/expected 8 tensors, got 7/);
  });

  it('errors name the layer, its class, the input shape and the argument', () => {
    const m = sequential({ layers: [L.conv2d({ name: 'c1', filters: 2, kernelSize: 3, inputShape: [8, 8, 3] })] });
    expect(() => m.predictSync(randomTensor([1, 8, 8, 4], 1))).toThrow(/input 0.*expects shape \(None, 8, 8, 3\), got \[1, 8, 8, 4\]/);
    expect(() => L.conv2d({ filters: 0, kernelSize: 3 })).toThrow(/Conv2D 'conv2d\w*': filters must be a positive integer, got 0/);
    const d = L.dense({ name: 'd1', units: 2 });
    d.apply(randomTensor([1, 3], 1));
    expect(() => d.apply(randomTensor([1, 4], 1))).toThrow(/Layer 'd1' \(Dense\) called on input shape \(1, 4\): expected the last input dimension to be 3, got 4/);
    expect(() => sequential({ layers: [L.conv2d({ name: 'c2', filters: 1, kernelSize: 5, inputShape: [3, 3, 1] })] })).toThrow(/Layer 'c2' \(Conv2D\).*kernelSize \[5,5\]/);
  });
});

describe('functional models', () => {
  it('several inputs and outputs, shared layers, residual connection', () => {
    setSeed(3);
    const a = input({ shape: [4], name: 'a' });
    const b = input({ shape: [4], name: 'b' });
    const shared = L.dense({ units: 4, activation: 'relu', name: 'shared' });
    const ha = shared.apply(a) as L.SymbolicTensor;
    const hb = shared.apply(b) as L.SymbolicTensor;
    const res = L.add({ name: 'residual' }).apply([ha, a]) as L.SymbolicTensor;
    const cat = L.concatenate({ name: 'cat' }).apply([res, hb]) as L.SymbolicTensor;
    const out1 = L.dense({ units: 1, name: 'out1' }).apply(cat) as L.SymbolicTensor;
    const out2 = L.dense({ units: 2, activation: 'softmax', name: 'out2' }).apply(hb) as L.SymbolicTensor;
    const m = model({ inputs: [a, b], outputs: [out1, out2] });
    expect(m.weights.map((w) => w.name)).toEqual(['shared/kernel', 'shared/bias', 'out1/kernel', 'out1/bias', 'out2/kernel', 'out2/bias']);
    const xa = randomTensor([3, 4], 1);
    const xb = randomTensor([3, 4], 2);
    const [y1, y2] = m.predictSync([xa, xb]) as Tensor[];
    expect(y1!.shape).toEqual([3, 1]);
    expect(y2!.shape).toEqual([3, 2]);
    // Reference: the same computation written out with the model's own weights.
    const W = m.getWeights().map((t) => t);
    const dense = (x: Tensor, w: Tensor, bias: Tensor) => K.add(K.matMul(x, w), bias);
    const ra = K.relu(dense(xa, W[0]!, W[1]!));
    const rb = K.relu(dense(xb, W[0]!, W[1]!));
    const ref1 = dense(K.concat([K.add(ra, xa), rb], 1), W[2]!, W[3]!);
    expect(Array.from(y1!.dataSync()).map((v, i) => Math.abs(v - ref1.dataSync()[i]!))).toSatisfy((e: number[]) => e.every((v) => v < 1e-5));
    // Gradients reach the shared layer from both branches.
    const { grads } = m.trainStepGradients([xa, xb], [K.filled([3, 1], 0), K.filled([3, 2], 0.5)], mse);
    expect(grads.length).toBe(6);
    expect(Math.max(...Array.from(grads[0]!.dataSync()).map(Math.abs))).toBeGreaterThan(0);
    const text = m.summary({ printFn: () => {} });
    expect(text).toContain('Connected to');
    expect(text).toMatch(/residual \(Add\).*shared\[0\]\[0\], a\[0\]\[0\]/);
  });

  it('getConfig/fromConfig rebuilds the same graph', () => {
    const i = input({ shape: [6] });
    const h = L.dense({ units: 3, activation: 'relu' }).apply(i) as L.SymbolicTensor;
    const o = L.add().apply([L.dense({ units: 3 }).apply(h) as L.SymbolicTensor, h]) as L.SymbolicTensor;
    const m = model({ inputs: i, outputs: o });
    const m2 = Model.fromConfig(JSON.parse(JSON.stringify(m.getConfig())));
    m2.setWeights(m.getWeights());
    const x = randomTensor([2, 6], 5);
    expect(Array.from((m2.predictSync(x) as Tensor).dataSync())).toEqual(Array.from((m.predictSync(x) as Tensor).dataSync()));
    const s2 = sequential({ layers: [L.dense({ units: 2, inputShape: [3] })] });
    const cfg = JSON.parse(JSON.stringify(s2.getConfig()));
    expect(L.getLayerClass('Sequential').fromConfig(cfg).countParams()).toBe(8);
  });
});

describe('subclassed models', () => {
  class MyNet extends Model {
    conv = L.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' });
    bn = L.batchNormalization();
    head = [L.flatten(), L.dense({ units: 2 })];
    override call(x: L.LayerInput, kw: L.CallArgs): L.LayerInput {
      let y = this.bn.apply(this.conv.apply(x as Tensor, kw), kw);
      for (const l of this.head) y = l.apply(y, kw);
      return y;
    }
  }
  it('tracks layers assigned in the constructor, trains through the tape, builds for summary', () => {
    setSeed(5);
    const net = new MyNet();
    expect(net.isSubclassed).toBe(true);
    net.build([null, 6, 6, 2]);
    expect(net.layers.length).toBe(4);
    expect(net.trainableWeights.length).toBe(6);
    expect(net.nonTrainableWeights.length).toBe(2);
    const x = randomTensor([4, 6, 6, 2], 9);
    const y = randomTensor([4, 2], 10);
    const l0 = sgdStep(net, x, y, mse, 0.05);
    let l = l0;
    for (let i = 0; i < 20; i++) l = sgdStep(net, x, y, mse, 0.05);
    expect(l).toBeLessThan(l0);
    const text = net.summary({ printFn: () => {} });
    expect(text).toContain('Model: "my_net"');
    expect(text).toMatch(/dense\w* \(Dense\)\s+\(None, 2\)/);
  });
});

describe('training hooks', () => {
  it('forwardForTraining + backward(dPred) equals trainStepGradients, regularizers included', () => {
    setSeed(11);
    const m = sequential({ layers: [L.dense({ units: 3, inputShape: [4], activation: 'tanh', kernelRegularizer: 'l2' }), L.dense({ units: 2 })] });
    const x = randomTensor([5, 4], 1);
    const y = randomTensor([5, 2], 2);
    const ref = m.trainStepGradients(x, y, mse);
    const f = m.forwardForTraining(x);
    // dL/dpred of mean((y - p)^2) = 2 (p - y) / N
    const dPred = K.mulScalar(K.sub(f.outputs[0]!, y), 2 / 10);
    const grads = f.backward(dPred);
    expect(f.regularizationLoss).toBeGreaterThan(0);
    grads.forEach((g, i) => {
      const a = g.dataSync();
      const b = ref.grads[i]!.dataSync();
      for (let k = 0; k < a.length; k++) expect(Math.abs(a[k]! - b[k]!)).toBeLessThan(1e-6);
    });
  });
});

describe('errors of eager calls name the layer, its class, the input shape and the argument', () => {
  it('pooling, cropping, upsampling, merge and concatenate', () => {
    expect(() => L.maxPooling2d({ name: 'ep1', poolSize: 5 }).apply(randomTensor([1, 3, 3, 1], 1)))
      .toThrow(/Layer 'ep1' \(MaxPooling2D\) called on input shape \(1, 3, 3, 1\): poolSize \[5,5\] is larger than the input's spatial size \[3,3\]/);
    expect(() => L.cropping2d({ name: 'ec1', cropping: 2 }).apply(randomTensor([1, 4, 4, 1], 1)))
      .toThrow(/Layer 'ec1' \(Cropping2D\) called on input shape \(1, 4, 4, 1\): cropping \[\[2,2\],\[2,2\]\] removes all of dimension 1/);
    expect(() => L.upSampling2d({ name: 'eu1' }).apply(randomTensor([1, 4, 4], 1)))
      .toThrow(/Layer 'eu1' \(UpSampling2D\) called on input shape \(1, 4, 4\): expected input of rank 4/);
    expect(() => L.add({ name: 'ea1' }).apply([randomTensor([2, 3], 1), randomTensor([2, 4], 2)]))
      .toThrow(/Layer 'ea1' \(Add\) called on input shape \[\(2, 3\), \(2, 4\)\]: .*cannot be broadcast/);
    expect(() => L.concatenate({ name: 'ecc', axis: 1 }).apply([randomTensor([2, 3, 2], 1), randomTensor([2, 3, 4], 2)]))
      .toThrow(/Layer 'ecc' \(Concatenate\) called on input shape \[\(2, 3, 2\), \(2, 3, 4\)\]/);
  });
});
