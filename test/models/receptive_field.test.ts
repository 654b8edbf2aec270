// Receptive-field and output-size calculators against an independent measurement: the support of
// d(one interior output unit)/d(input) through the real layers (all-ones kernels, no
// activation, so every tap contributes), measured with the tape; output sizes against the
// layers' own shapes and hand-worked values; bad arguments name what is wrong.
import { describe, expect, it } from 'vitest';
import * as L from '../../lib/layers/index.js';
import { sequential, convStackInfo, convOutputSize, type StackLayerSpec } from '../../lib/models/index.js';
import { valueAndGradsOf } from '../../lib/autodiff/index.js';
import * as K from '../../lib/layers/backend.js';
import * as ck from '../../lib/index.js';

function layerOf(s: StackLayerSpec & { pool?: boolean }): L.Layer {
  const common = { strides: s.strides, padding: s.padding === 'causal' ? 'valid' : s.padding };
  return s.pool
    ? L.averagePooling2d({ poolSize: s.kernelSize, ...common })
    : L.conv2d({ filters: 1, kernelSize: s.kernelSize, dilationRate: s.dilationRate, kernelInitializer: 'ones', useBias: false, ...common });
}

/** Extent (max − min + 1 per axis) of the input pixels that reach output unit (oi, oj). */
function measuredRF(stack: (StackLayerSpec & { pool?: boolean })[], size: number, oi: number, oj: number): [number, number] {
  const m = sequential({ layers: stack.map(layerOf) });
  const x = ck.tensor(new Float32Array(size * size).fill(1), [1, size, size, 1]);
  m.predictSync(x);
  const { grads } = valueAndGradsOf(() => {
    const y = m.apply(x) as ck.Tensor;
    return K.sum(K.slice(y, [0, oi, oj, 0], [1, 1, 1, 1]));
  }, [x]);
  const g = grads[0]!.dataSync();
  let [i0, i1, j0, j1] = [size, -1, size, -1];
  for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) if (g[i * size + j] !== 0) {
    i0 = Math.min(i0, i); i1 = Math.max(i1, i); j0 = Math.min(j0, j); j1 = Math.max(j1, j);
  }
  return [i1 - i0 + 1, j1 - j0 + 1];
}

describe('convStackInfo', () => {
  const stacks: [string, (StackLayerSpec & { pool?: boolean })[]][] = [
    ['lenet-like', [{ kernelSize: 5, padding: 'same' }, { kernelSize: 2, strides: 2, pool: true }, { kernelSize: 5 }, { kernelSize: 2, strides: 2, pool: true }]],
    ['dilated', [{ kernelSize: 3, dilationRate: 2 }, { kernelSize: 3, strides: 2 }, { kernelSize: 3, dilationRate: 3 }]],
    ['strided non-square', [{ kernelSize: [3, 5], strides: [2, 1] }, { kernelSize: [1, 3], strides: [1, 2] }, { kernelSize: 3, dilationRate: [2, 1] }]],
    ['vgg block', [{ kernelSize: 3, padding: 'same' }, { kernelSize: 3, padding: 'same' }, { kernelSize: 2, strides: 2, pool: true }, { kernelSize: 3, padding: 'same' }]],
  ];
  for (const [name, stack] of stacks) {
    it(`${name}: receptive field equals the measured gradient support; sizes equal the layers'`, () => {
      const size = 40;
      const info = convStackInfo([size, size], stack);
      const last = info[info.length - 1]!;
      const m = sequential({ layers: stack.map(layerOf) });
      m.predictSync(ck.zeros([1, size, size, 1]));
      expect(last.outputSize).toEqual(m.outputs[0]!.shape.slice(1, 3));
      // An interior unit, so no padding clips its field.
      const oi = Math.floor(last.outputSize[0]! / 2);
      const oj = Math.floor(last.outputSize[1]! / 2);
      expect(measuredRF(stack, size, oi, oj)).toEqual(last.receptiveField);
    });
  }
  it('hand-worked values and errors', () => {
    // k3 d2 → 5; k3 s2 → 7 (jump 2); k3 d3 at jump 2 → 7 + 2·3·2 = 19
    expect(convStackInfo([64], [{ kernelSize: 3, dilationRate: 2 }, { kernelSize: 3, strides: 2 }, { kernelSize: 3, dilationRate: 3 }]).map((r) => [r.receptiveField[0], r.jump[0], r.outputSize[0]]))
      .toEqual([[5, 1, 60], [7, 2, 29], [19, 2, 23]]);
    expect(convOutputSize({ inputSize: 10, kernelSize: 3, strides: 3, padding: 'same' })).toBe(4);
    expect(convOutputSize({ inputSize: 10, kernelSize: 4, strides: 3 })).toBe(3);
    expect(() => convStackInfo([8], [{ kernelSize: 3 }, { kernelSize: 9, name: 'big' }])).toThrow(/convStackInfo: layer 1 \('big'\): kernelSize \[9\].*larger than its input \[6\]/);
    expect(() => convStackInfo([8, 8], [{ kernelSize: [3, 3, 3] }])).toThrow(/layer 0: kernelSize must be a positive integer or 2 of them/);
    expect(() => convStackInfo([0], [])).toThrow(/inputSize must be a non-empty array of positive integers/);
    expect(() => convOutputSize({ inputSize: 10, kernelSize: 3, strides: 0 })).toThrow(/convOutputSize: strides must be a positive integer, got 0/);
  });
});
