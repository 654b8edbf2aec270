import { describe, it } from 'vitest';
import * as K from '../../lib/layers/backend.js';
import * as ops from '../../lib/ops/index.js';
import { gradcheck, randomTensor } from '../helpers/gradcheck.js';

describe('gradcheck: elementwise with broadcasting', () => {
  const a = () => randomTensor([2, 3, 4], 1);
  it('add/sub/mul/div broadcast over leading and unit axes', () => {
    gradcheck((x, y) => K.add(x, y), [a(), randomTensor([4], 2)]);
    gradcheck((x, y) => K.sub(x, y), [a(), randomTensor([3, 1], 3)]);
    gradcheck((x, y) => K.mul(x, y), [a(), randomTensor([2, 1, 4], 4)]);
    gradcheck((x, y) => K.div(x, y), [a(), K.addScalar(K.abs(randomTensor([1, 3, 1], 5)), 1)]);
  });
  it('maximum/minimum (operands kept apart from ties)', () => {
    const x = randomTensor([2, 3, 4], 1);
    const apart = (t: ReturnType<typeof randomTensor>) => K.add(t, K.mulScalar(K.sign(randomTensor([...t.shape], 77)), 0.1));
    gradcheck((p, q) => K.maximum(p, q), [x, apart(x)], { h: 1e-3 });
    gradcheck((p, q) => K.minimum(p, q), [x, apart(x)], { h: 1e-3 });
  });
  it('unary', () => {
    const pos = () => K.addScalar(K.abs(randomTensor([3, 5], 7)), 0.5);
    for (const f of [K.exp, K.tanh, K.sigmoid, K.neg, K.square, K.relu, K.abs]) gradcheck((x) => f(x), [randomTensor([3, 5], 8, 1, 0.05)]);
    for (const f of [K.log, K.sqrt, K.rsqrt, K.reciprocal]) gradcheck((x) => f(x), [pos()]);
    gradcheck((x) => K.powScalar(x, 3), [randomTensor([7], 3)]);
    const r = () => randomTensor([4, 5], 6, 3, 0.05);
    for (const f of [K.relu6, K.softplus, K.swish, (x: ReturnType<typeof r>) => K.leakyRelu(x, 0.2), (x: ReturnType<typeof r>) => K.elu(x, 0.7)]) {
      gradcheck((x) => f(x), [r()], { h: 1e-3, atol: 1e-2 });
    }
    gradcheck((x, y) => ops.squaredDifference(x, y), [randomTensor([2, 3], 1), randomTensor([3], 2)]);
    gradcheck((x) => K.clip(x, -0.3, 0.4), [randomTensor([20], 4)], { h: 1e-3 });
    gradcheck((x) => K.minScalar(K.maxScalar(x, -0.2), 0.5), [randomTensor([20], 5)], { h: 1e-3 });
  });
});

describe('gradcheck: reductions and softmax', () => {
  it('sum/mean/max/min over axes', () => {
    for (const axes of [[0], [1], [2], [0, 2], [0, 1, 2]]) {
      gradcheck((x) => K.sum(x, axes), [randomTensor([2, 3, 4], 11)]);
      gradcheck((x) => K.mean(x, axes, true), [randomTensor([2, 3, 4], 12)]);
      gradcheck((x) => K.max(x, axes), [randomTensor([2, 3, 4], 13)], { h: 1e-3 });
      gradcheck((x) => K.min(x, axes), [randomTensor([2, 3, 4], 14)], { h: 1e-3 });
    }
  });
  it('softmax and logSoftmax on each axis', () => {
    for (const axis of [0, 1, -1]) {
      gradcheck((x) => K.softmax(x, axis), [randomTensor([3, 4, 5], 15)]);
      gradcheck((x) => K.logSoftmax(x, axis), [randomTensor([3, 4, 5], 16)]);
    }
  });
});

describe('gradcheck: data movement', () => {
  it('reshape, transpose, slice, pad, concat, broadcastTo', () => {
    gradcheck((x) => K.reshape(x, [6, 4]), [randomTensor([2, 3, 4], 1)]);
    gradcheck((x) => K.transpose(x, [2, 0, 1]), [randomTensor([2, 3, 4], 2)]);
    gradcheck((x) => K.slice(x, [0, 1, 1], [2, 2, 2]), [randomTensor([2, 3, 4], 3)]);
    gradcheck((x) => K.pad(x, [[1, 0], [0, 2], [1, 1]]), [randomTensor([2, 3, 4], 4)]);
    gradcheck((x, y) => K.concat([x, y], 1), [randomTensor([2, 3, 4], 5), randomTensor([2, 1, 4], 6)]);
    gradcheck((x) => K.broadcastTo(x, [2, 3, 4]), [randomTensor([3, 1], 7)]);
  });
  it('upsampling nearest and bilinear', () => {
    gradcheck((x) => K.upsampleNearest2d(x, [2, 3]), [randomTensor([1, 2, 3, 2], 8)]);
    gradcheck((x) => K.upsampleBilinear2d(x, [2, 2]), [randomTensor([1, 3, 3, 2], 9)]);
  });
});

describe('gradcheck: matmul', () => {
  it('all transpose combinations', () => {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const a = randomTensor(ta ? [4, 3] : [3, 4], 21);
      const b = randomTensor(tb ? [5, 4] : [4, 5], 22);
      gradcheck((x, y) => K.matMul(x, y, ta, tb), [a, b]);
      // batched, and with a broadcast batch of 1
      gradcheck((x, y) => K.matMul(x, y, ta, tb), [randomTensor([2, ...a.shape], 23), randomTensor([2, ...b.shape], 24)]);
      gradcheck((x, y) => K.matMul(x, y, ta, tb), [randomTensor([2, ...a.shape], 25), randomTensor([1, ...b.shape], 26)]);
    }
  });
});

describe('gradcheck: convolution and pooling', () => {
  const cases = [
    { x: [2, 5, 6, 3], w: [3, 3, 3, 4], strides: [1, 1], dilations: [1, 1], padding: 'valid', groups: 1 },
    { x: [1, 6, 7, 2], w: [3, 2, 2, 3], strides: [2, 2], dilations: [1, 1], padding: 'same', groups: 1 },
    { x: [1, 7, 7, 2], w: [3, 3, 2, 2], strides: [1, 1], dilations: [2, 2], padding: 'same', groups: 1 },
    { x: [1, 5, 5, 4], w: [3, 3, 2, 6], strides: [1, 2], dilations: [1, 1], padding: 'same', groups: 2 },
    { x: [2, 9, 3], w: [3, 3, 2], strides: [2], dilations: [1], padding: 'valid', groups: 1 },
    { x: [1, 3, 4, 4, 2], w: [2, 2, 2, 2, 3], strides: [1, 2, 1], dilations: [1, 1, 1], padding: 'same', groups: 1 },
  ] as const;
  for (const c of cases) {
    it(`conv x=[${c.x}] w=[${c.w}] strides=${c.strides} dil=${c.dilations} ${c.padding} groups=${c.groups}`, () => {
      gradcheck((x, w) => K.convNd(x, w, { ...c, padding: c.padding }).output, [randomTensor([...c.x], 31), randomTensor([...c.w], 32)]);
    });
  }
  for (const activation of ['none', 'relu', 'relu6', 'sigmoid', 'tanh'] as const) {
    it(`conv with fused bias and ${activation}`, () => {
      const x = randomTensor([2, 5, 5, 3], 33, 1, 0.05);
      gradcheck((a, w, b) => K.convNd(a, w, { strides: [1, 1], padding: 'same', dilations: [1, 1], groups: 1, bias: b, activation }).output,
        [x, randomTensor([3, 3, 3, 4], 34), randomTensor([4], 35)], { h: 1e-3, atol: 1e-2 });
    });
  }
  for (const mode of ['max', 'avg'] as const) {
    it(`global ${mode} pooling`, () => {
      gradcheck((x) => K.globalPoolNd(x, mode), [randomTensor([2, 3, 4, 3], 36)], { h: 1e-3 });
    });
  }
  it('conv2dTranspose (valid and same, stride 2)', () => {
    for (const padding of ['valid', 'same'] as const) {
      const x = randomTensor([1, 3, 3, 2], 41);
      const w = randomTensor([3, 3, 4, 2], 42);
      const outShape = padding === 'valid' ? [1, 7, 7, 4] : [1, 6, 6, 4];
      gradcheck((a, b) => K.conv2dTranspose(a, b, outShape, { strides: [2, 2], padding, dilations: [1, 1] }), [x, w]);
    }
  });
  for (const mode of ['max', 'avg'] as const) {
    for (const padding of ['valid', 'same'] as const) {
      it(`${mode} pooling 2d ${padding} (overlapping windows) and 1d/3d`, () => {
        gradcheck((x) => K.poolNd(x, mode, { poolSize: [3, 3], strides: [2, 2], padding }), [randomTensor([2, 7, 6, 3], 51)]);
        gradcheck((x) => K.poolNd(x, mode, { poolSize: [2], strides: [2], padding }), [randomTensor([2, 7, 3], 52)]);
        gradcheck((x) => K.poolNd(x, mode, { poolSize: [2, 2, 2], strides: [2, 2, 2], padding }), [randomTensor([1, 3, 4, 5, 2], 53)]);
      });
    }
  }
});
