// Every zoo model prints its summary with the parameter counts: trainable = the reference
// implementation's count (torchvision; Keras's VGG16 has the same), non-trainable = the BN moving
// mean/variance, which must equal the BN γ+β count (one pair of statistics per normalized
// channel). Built at 224×224×3 / 1000 classes without allocating weights.
import { describe, expect, it } from 'vitest';
import { buildZooModel } from '../../lib/zoo/index.js';

const fmt = (n: number): string => n.toLocaleString('en-US');

const expected: [string, number][] = [
  ['alexnet', 61_100_840],
  ['vgg16', 138_357_544],
  ['googlenet', 6_624_904],
  ['resnet18', 11_689_512],
  ['resnet34', 21_797_672],
  ['resnet50', 25_557_032],
];

describe('zoo summaries at 224×224×3, 1000 classes', () => {
  for (const [name, trainable] of expected) {
    it(`${name}: Trainable params ${fmt(trainable)}`, () => {
      const m = buildZooModel(name, { inputShape: [224, 224, 3], classes: 1000 });
      const bnAffine = m.weights.filter((w) => /\/(gamma|beta)$/.test(w.name)).reduce((n, w) => n + w.size, 0);
      const nonTrainable = m.nonTrainableWeights.reduce((n, w) => n + w.size, 0);
      expect(nonTrainable).toBe(bnAffine);
      const text = m.summary({ printFn: () => {} });
      expect(text).toContain(`Total params: ${fmt(trainable + nonTrainable)}`);
      expect(text).toContain(`Trainable params: ${fmt(trainable)}`);
      expect(text).toContain(`Non-trainable params: ${fmt(nonTrainable)}`);
      // The two extra columns: receptive field and FLOPs, and the classifier's output shape.
      expect(text).toMatch(/Receptive field/i);
      expect(text).toMatch(/FLOPs/);
      expect(text).toContain('(None, 1000)');
      expect(m.weights.every((w) => !w.initialized)).toBe(true);
    });
  }
  it('input shape and class count are honoured (resnet18 on 64×64×3, 7 classes)', () => {
    const m = buildZooModel('resnet18', { inputShape: [64, 64, 3], classes: 7 });
    expect(m.outputs[0]!.shape).toEqual([null, 7]);
    expect(m.summary({ printFn: () => {} })).toContain(`Trainable params: ${fmt(11_689_512 - 1000 * 513 + 7 * 513)}`);
  });
});

describe('profile memory columns', () => {
  it('outputBytes and paramBytes per layer are the float32 sizes; the peak covers every output', async () => {
    const { randomTensor } = await import('../helpers/gradcheck.js');
    const m = buildZooModel('lenet5');
    const rep = m.profile(randomTensor([3, 28, 28, 1], 1), { printFn: () => {} });
    const conv = rep.layers[0]!;
    expect(conv.outputBytes).toBe(4 * 3 * 28 * 28 * 6);
    expect(conv.paramBytes).toBe(4 * (5 * 5 * 1 * 6 + 6));
    const dense = rep.layers.find((l) => l.className === 'Dense')!;
    expect(dense.paramBytes).toBe(4 * (400 * 120 + 120));
    // Every layer's output was live at some point during the run.
    expect(rep.peakLiveBytes - rep.baselineBytes).toBeGreaterThanOrEqual(Math.max(...rep.layers.map((l) => l.outputBytes)));
    expect(rep.table).toMatch(/Output KB\s+Params KB/);
    expect(rep.table).toMatch(/native memory: [0-9.]+ MB before, peak [0-9.]+ MB during/);
  });
});
