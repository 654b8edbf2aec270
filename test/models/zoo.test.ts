import { describe, expect, it } from 'vitest';
import { buildZooModel, zooModels } from '../../lib/zoo/index.js';
import type { Model } from '../../lib/models/model.js';

function counts(m: Model): { total: number; trainable: number; nonTrainable: number } {
  const total = m.weights.reduce((n, w) => n + w.size, 0);
  const trainable = m.trainableWeights.reduce((n, w) => n + w.size, 0);
  return { total, trainable, nonTrainable: total - trainable };
}

describe('zoo parameter counts (build only, no weights allocated)', () => {
  const expected: [string, number, number | null][] = [
    // name, trainable (= torchvision's parameter count), total (null: not checked)
    ['lenet5', 61706, 61706],
    ['cifarBaseline', 198494, 198506],
    ['smallVgg', 342090, 342090],
    ['alexnet', 61100840, 61100840],
    ['vgg16', 138357544, 138357544],
    ['googlenet', 6624904, null],
    ['resnet18', 11689512, 11699112],
    ['resnet34', 21797672, null],
    ['resnet50', 25557032, null],
  ];
  for (const [name, trainable, total] of expected) {
    it(`${name}`, () => {
      const m = name === 'lenet5' || name === 'cifarBaseline' || name === 'smallVgg' ? buildZooModel(name) : buildZooModel(name, { inputShape: [224, 224, 3], classes: 1000 });
      const c = counts(m);
      expect(c.trainable).toBe(trainable);
      if (total !== null) expect(c.total).toBe(total);
      expect(m.weights.every((w) => !w.initialized)).toBe(true);
    });
  }
  it('lists every model', () => {
    expect(Object.keys(zooModels).sort()).toEqual(['alexnet', 'cifarBaseline', 'googlenet', 'lenet5', 'resnet18', 'resnet34', 'resnet50', 'smallVgg', 'vgg16']);
  });
});

describe('summary', () => {
  it('CIFAR-10 baseline prints Keras totals and the FLOPs of the benchmark spec', () => {
    const m = buildZooModel('cifarBaseline');
    const text = m.summary({ printFn: () => {} });
    expect(text).toContain('Total params: 198,506');
    expect(text).toContain('Trainable params: 198,494');
    expect(text).toContain('Non-trainable params: 12');
    expect(text).toContain('1,317,376');
    expect(text).toMatch(/conv2d\w* \(Conv2D\)\s+\(None, 32, 32, 6\)\s+456\s+5x5/);
  });
  it('LeNet-5 FLOPs equal the benchmark case (833,040) and receptive fields grow', () => {
    const m = buildZooModel('lenet5');
    const text = m.summary({ printFn: () => {} });
    expect(text).toContain('833,040');
    expect(text).toContain('Total params: 61,706');
    // conv 5 → pool 2 (6) → conv 5 at jump 2 (14) → pool (16)
    expect(text).toMatch(/\(None, 5, 5, 16\)\s+0\s+16x16/);
    expect(text).toMatch(/Flatten\)\s+\(None, 400\)\s+0\s+global/);
  });
  it('ResNet-18 FLOPs match the benchmark case', () => {
    const m = buildZooModel('resnet18');
    const text = m.summary({ printFn: () => {} });
    expect(text).toContain('Trainable params: 11,689,512');
    expect(text).toContain('Non-trainable params: 9,600');
  });
});

describe('profile and calculators', () => {
  it('profile reports time per layer, the conv algorithm and memory', async () => {
    const { convStackInfo, convOutputSize } = await import('../../lib/models/index.js');
    const { randomTensor } = await import('../helpers/gradcheck.js');
    const m = buildZooModel('lenet5');
    const rep = m.profile(randomTensor([4, 28, 28, 1], 1));
    expect(rep.layers.map((l) => l.className)).toEqual(['Conv2D', 'MaxPooling2D', 'Conv2D', 'MaxPooling2D', 'Flatten', 'Dense', 'Dense', 'Dense']);
    for (const l of rep.layers) expect(l.timeMs).toBeGreaterThanOrEqual(0);
    expect(rep.layers[0]!.algorithm).toMatch(/^(direct|im2col|winograd-f2|winograd-f4|winograd-s2|fft)$/);
    expect(rep.layers[1]!.algorithm).toBeNull();
    expect(rep.layers[0]!.outputShape).toEqual([[4, 28, 28, 6]]);
    expect(rep.peakLiveBytes).toBeGreaterThanOrEqual(rep.baselineBytes);
    expect(rep.table).toContain('Algorithm');
    const info = convStackInfo([28, 28], [{ kernelSize: 5, padding: 'same' }, { kernelSize: 2, strides: 2 }, { kernelSize: 5 }, { kernelSize: 2, strides: 2 }]);
    expect(info.map((r) => r.outputSize)).toEqual([[28, 28], [14, 14], [10, 10], [5, 5]]);
    expect(info.map((r) => r.receptiveField[0])).toEqual([5, 6, 14, 16]);
    expect(convOutputSize({ inputSize: 224, kernelSize: 7, strides: 2, padding: 'same' })).toBe(112);
    expect(convOutputSize({ inputSize: 7, kernelSize: 3, dilationRate: 2 })).toBe(3);
  });
});
