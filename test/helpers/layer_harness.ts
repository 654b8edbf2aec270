/**
 * The shared layer-test harness (in the spirit of Keras's run_layer_test): builds a layer on an
 * input shape, checks the output shape against computeOutputShape and the expected shape, the
 * weight count and trainable split, the config round trip (fromConfig(getConfig()) with the same
 * weights gives the same output), symbolic application, and the gradient of a weighted sum of
 * the output with respect to the input and every trainable weight by finite differences.
 */
import { expect } from 'vitest';
import type { Tensor } from '../../lib/tensor/index.js';
import { setSeed } from '../../lib/random/index.js';
import { getLayerClass, type Layer, type LayerConfig, type Shape } from '../../lib/layers/index.js';
import { input } from '../../lib/models/index.js';
import { gradcheck, type GradcheckOptions, randomTensor } from './gradcheck.js';

export interface LayerTestSpec {
  /** Makes a fresh layer (called twice: the test layer and a config round-trip check). */
  make: () => Layer;
  /** Batch-included input shape(s); several for merge layers. */
  inputShape: number[] | number[][];
  expectedOutputShape: number[];
  expectedParams?: number;
  expectedTrainableWeights?: number;
  expectedNonTrainableWeights?: number;
  training?: boolean;
  /** Re-seed before every call (layers drawing random masks in training). */
  seeded?: boolean;
  /** Skip the finite-difference check (non-differentiable layers). */
  skipGradcheck?: boolean;
  gradcheck?: GradcheckOptions;
  /** Push inputs away from 0 by this much (kinks of relu-like layers). */
  minAbs?: number;
  seed?: number;
}

export function runLayerTest(spec: LayerTestSpec): { layer: Layer; output: Tensor; inputs: Tensor[] } {
  const multi = Array.isArray(spec.inputShape[0]);
  const shapes = (multi ? spec.inputShape : [spec.inputShape]) as number[][];
  const xs = shapes.map((s, i) => randomTensor(s, (spec.seed ?? 1) + i * 17, 1, spec.minAbs ?? 0));
  const arg = (ts: Tensor[]): Tensor | Tensor[] => (multi ? ts : ts[0]!);
  const layer = spec.make();
  const call = (ts: Tensor[]): Tensor => {
    if (spec.seeded) setSeed(1234);
    const y = layer.apply(arg(ts), { training: spec.training ?? false });
    if (Array.isArray(y)) throw new Error('single-output layers only');
    return y;
  };
  const y = call(xs);
  expect([...y.shape]).toEqual(spec.expectedOutputShape);
  const symShapes: Shape[] = shapes.map((s) => [null, ...s.slice(1)]);
  const predicted = layer.computeOutputShape(multi ? symShapes : symShapes[0]!) as Shape;
  expect(predicted).toEqual([null, ...spec.expectedOutputShape.slice(1)]);
  if (spec.expectedParams !== undefined) expect(layer.countParams()).toBe(spec.expectedParams);
  if (spec.expectedTrainableWeights !== undefined) expect(layer.trainableWeights.length).toBe(spec.expectedTrainableWeights);
  if (spec.expectedNonTrainableWeights !== undefined) expect(layer.nonTrainableWeights.length).toBe(spec.expectedNonTrainableWeights);

  // Config round trip through the registry, with the same weights → the same output.
  const cfg = JSON.parse(JSON.stringify(layer.getConfig())) as LayerConfig;
  const clone = getLayerClass(layer.getClassName()).fromConfig({ ...cfg, name: `${layer.name}_clone` });
  clone.apply(arg(xs.map((x) => x)), { training: false });
  clone.setWeights(layer.getWeights());
  if (spec.seeded) setSeed(1234);
  const y2 = clone.apply(arg(xs), { training: spec.training ?? false }) as Tensor;
  if (!(spec.training && !spec.seeded && layer.nonTrainableWeights.length > 0)) {
    expect(Array.from(y2.dataSync())).toEqual(Array.from(y.dataSync()));
  }

  // Symbolic application gives the same shape.
  const syms = shapes.map((s) => input({ shape: s.slice(1) }));
  const fresh = spec.make();
  const ys = fresh.apply(multi ? syms : syms[0]!);
  expect(Array.isArray(ys) ? ys[0]!.shape : ys.shape).toEqual([null, ...spec.expectedOutputShape.slice(1)]);

  if (!spec.skipGradcheck) {
    const ws = layer.trainableWeights.map((w) => w.read());
    gradcheck((...ts: Tensor[]) => call(ts.slice(0, xs.length)), [...xs, ...ws], spec.gradcheck);
  }
  return { layer, output: y, inputs: xs };
}
