// Gradients of the backward ops (double backward): each backward op is checked as a function of
// its own inputs by central finite differences (helpers/gradcheck), plus one real use, the
// gradient of a gradient penalty through a conv + softplus, and the clear error of the backward
// ops that declare no gradient.
import { describe, expect, it } from 'vitest';
import * as K from '../../lib/layers/backend.js';
import { grad, valueAndGradsOf } from '../../lib/autodiff/index.js';
import { activationGrad, type ActivationGradKind } from '../../lib/autodiff/native_grad.js';
import * as nativeGrad from '../../lib/autodiff/native_grad.js';
import { convBackpropFilter } from '../../lib/ops/conv.js';
import { globalPoolBackward, poolBackward } from '../../lib/ops/pool.js';
import { zeroPadBackward } from '../../lib/ops/pad.js';
import { gradcheck, randomTensor } from '../helpers/gradcheck.js';

describe('second derivatives of the activations (ActivationGrad in both inputs)', () => {
  const kinds: [ActivationGradKind, number, number, () => ReturnType<typeof randomTensor>][] = [
    ['relu', 0, 0, () => randomTensor([3, 5], 1, 2, 0.05)],
    ['relu6', 0, 0, () => K.addScalar(randomTensor([3, 5], 2, 2.9, 0.02), 3)],
    ['leakyRelu', 0.2, 0, () => randomTensor([3, 5], 3, 2, 0.05)],
    ['clip', -0.5, 0.5, () => randomTensor([3, 5], 4, 1, 0.05)],
    ['elu', 0.7, 0, () => randomTensor([3, 5], 5, 2, 0.05)],
    ['sigmoid', 0, 0, () => K.addScalar(randomTensor([3, 5], 6, 0.45), 0.5)], // input is y ∈ (0, 1)
    ['tanh', 0, 0, () => randomTensor([3, 5], 7, 0.9)], // input is y ∈ (−1, 1)
    ['softplus', 0, 0, () => randomTensor([3, 5], 8, 4)],
    ['swish', 0, 0, () => randomTensor([3, 5], 9, 4)],
  ];
  for (const [kind, alpha, beta, make] of kinds) {
    it(kind, () => {
      gradcheck((x, dy) => activationGrad(kind, x, dy, alpha, beta), [make(), randomTensor([3, 5], 20)], { h: 1e-3, atol: 2e-3 });
    });
  }
});

describe('gradients of the linear and bilinear backward ops', () => {
  it('ConvBackpropFilter in x and dy (bias, groups, strides, dilation, padding, channelsFirst)', () => {
    const cases = [
      { x: [2, 5, 6, 4], w: [3, 3, 2, 6], o: { strides: [1, 2], padding: 'same' as const, groups: 2 }, bias: true, cf: false },
      { x: [1, 7, 7, 2], w: [3, 3, 2, 3], o: { dilationRate: [2, 2], padding: 'valid' as const }, bias: false, cf: false },
      { x: [2, 9, 3], w: [3, 3, 2], o: { strides: [2], padding: 'valid' as const }, bias: true, cf: false },
      { x: [1, 3, 5, 5], w: [3, 3, 3, 2], o: { padding: 'same' as const, dataFormat: 'channelsFirst' as const }, bias: true, cf: true },
    ];
    for (const c of cases) {
      const x = randomTensor(c.x, 1);
      const y = K.convNd(c.cf ? K.toChannelsLast(x) : x, randomTensor(c.w, 2), {
        strides: c.o.strides ?? c.x.slice(2).map(() => 1), padding: c.o.padding,
        dilations: c.o.dilationRate ?? c.x.slice(2).map(() => 1), groups: c.o.groups ?? 1,
      }).output;
      const dy = randomTensor(c.cf ? [y.shape[0]!, y.shape[y.shape.length - 1]!, ...y.shape.slice(1, -1)] : [...y.shape], 3);
      gradcheck((a, g) => {
        const r = convBackpropFilter(a, g, c.w, { ...c.o, computeBias: c.bias });
        return c.bias ? K.concat([K.reshape(r.dFilter, [r.dFilter.size]), r.dBias!], 0) : r.dFilter;
      }, [x, dy]);
    }
  });
  it('MaxPoolGrad and GlobalMaxPoolGrad in dy (the argmax gather), and the gather itself', () => {
    const cases = [
      { x: [2, 5, 6, 3], o: { poolSize: [3, 3], strides: [2, 2], padding: 'same' as const } },
      { x: [1, 6, 6, 2], o: { poolSize: [2, 2], strides: [2, 2], padding: 'valid' as const } },
      { x: [2, 7, 3], o: { poolSize: [3], strides: [1], padding: 'valid' as const } },
      { x: [1, 3, 4, 5, 2], o: { poolSize: [2, 2, 2], strides: [1, 2, 2], padding: 'same' as const } },
    ];
    for (const c of cases) {
      const x = randomTensor(c.x, 21);
      const y = K.poolNd(x, 'max', c.o);
      gradcheck((dy) => poolBackward(x, dy, 'max', c.o), [randomTensor([...y.shape], 22)]);
      gradcheck((g) => K.maxPoolGather(x, g, c.o.poolSize, c.o.strides, c.o.padding), [randomTensor(c.x, 23)]);
    }
    // With the fused ReLU gradient (x a ReLU output: zeros, some whole windows of them).
    for (const c of cases.slice(0, 2)) {
      const x = K.relu(randomTensor(c.x, 29));
      const y = K.poolNd(x, 'max', c.o);
      gradcheck((dy) => poolBackward(x, dy, 'max', c.o, true), [randomTensor([...y.shape], 30)]);
    }
    const xf = randomTensor([2, 3, 5, 4], 24); // channelsFirst
    gradcheck((dy) => poolBackward(xf, dy, 'max', { poolSize: [2, 2], dataFormat: 'channelsFirst' }), [randomTensor([2, 3, 2, 2], 25)]);
    gradcheck((dy) => globalPoolBackward(randomTensor([2, 3, 4, 3], 26), dy, 'max'), [randomTensor([2, 3], 27)]);
    gradcheck((dy) => globalPoolBackward(xf, dy, 'max', 'channelsFirst'), [randomTensor([2, 3], 28)]);
  });
  it('AvgPoolGrad and GlobalAvgPoolGrad in dy; ZeroPadGrad; bilinearAdjoint', () => {
    const x = randomTensor([2, 5, 6, 3], 1);
    const opts = { poolSize: [3, 3], strides: [2, 2], padding: 'same' as const };
    gradcheck((dy) => poolBackward(x, dy, 'avg', opts), [randomTensor([2, 3, 3, 3], 2)]);
    gradcheck((dy) => poolBackward(K.transpose(x, [0, 3, 1, 2]), dy, 'avg', { ...opts, dataFormat: 'channelsFirst' }), [randomTensor([2, 3, 3, 3], 3)]);
    gradcheck((dy) => globalPoolBackward(x, dy, 'avg'), [randomTensor([2, 3], 4)]);
    gradcheck((dy) => zeroPadBackward(dy, [1, 3, 3, 2], [[1, 0], [2, 1]]), [randomTensor([1, 4, 6, 2], 5)]);
    gradcheck((dy) => K.bilinearAdjoint(dy, [1, 3, 3, 2], [2, 2]), [randomTensor([1, 6, 6, 2], 6)]);
  });
});

describe('double backward in use', () => {
  it('gradient penalty: d/dw of Σ (d/dx Σ softplus(conv(x, w)))² by finite differences', () => {
    const x = randomTensor([1, 5, 5, 2], 11);
    const conv = { strides: [1, 1], padding: 'same' as const, dilations: [1, 1], groups: 1 };
    const penalty = (w: ReturnType<typeof randomTensor>): ReturnType<typeof randomTensor> => {
      const gx = valueAndGradsOf(() => K.sum(K.softplus(K.convNd(x, w, conv).output)), [x]);
      gx.value.dispose();
      return K.sum(K.square(gx.grads[0]!));
    };
    // The inner tape records onto the outer one, so penalty is differentiable in w.
    gradcheck((w) => penalty(w), [randomTensor([3, 3, 2, 3], 12)]);
  });
  it('gradient penalty through conv, max pooling and dense-like reduction', () => {
    const x = randomTensor([1, 6, 6, 2], 13, 1, 0.05);
    const conv = { strides: [1, 1], padding: 'same' as const, dilations: [1, 1], groups: 1 };
    gradcheck((w) => {
      const gx = valueAndGradsOf(() => K.sum(K.tanh(K.poolNd(K.convNd(x, w, conv).output, 'max', { poolSize: [2, 2], strides: [2, 2], padding: 'valid' }))), [x]);
      gx.value.dispose();
      return K.sum(K.square(gx.grads[0]!));
    }, [randomTensor([3, 3, 2, 2], 14)], { h: 1e-3 });
  });
  it('backward ops without a second derivative say so', () => {
    const x = randomTensor([4, 3], 1);
    const gamma = randomTensor([3], 2);
    const { batchNormTrain, batchNormTrainGrad } = nativeGrad;
    const [, mean, , invstd] = batchNormTrain(x, gamma, null, 1e-3);
    expect(() => grad((d) => K.sum(batchNormTrainGrad(x, d, mean, invstd, gamma, { dx: true, dgamma: false, dbeta: false })[0]!))(randomTensor([4, 3], 3)))
      .toThrow(/Op 'BatchNormTrainGrad' has no gradient .*second derivative of training-mode batch normalization/);
  });
});
