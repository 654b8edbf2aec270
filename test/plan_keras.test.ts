/**
 * Inference plans on real Keras files (../shared/fixtures/keras): every fixture model that the
 * plan can express must give exactly the eager forward pass's output (and so, transitively, the
 * reference outputs checked in test/io/models.test.ts, which run through predictSync and thus the
 * plan); models it cannot express must fall back with a reason.
 */
import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '../lib/tensor/index.js';
import { loadModel } from '../lib/io/index.js';
import '../lib/index.js';
import { FIXTURES, fixtureNames, manifest, refCases, variantSources } from './io/fixtures.js';

const planned: string[] = [];
const eagerOnly: string[] = [];

describe.skipIf(!FIXTURES)('inference plan on Keras fixture models', () => {
  for (const name of fixtureNames()) {
    it(name, async () => {
      const m = manifest(name);
      const v = m.variants[0]!;
      const { src, weights } = variantSources(name, v);
      const model = await loadModel(src, weights ? { weights } : {});
      const c = refCases(name, m).find((r) => r.variant === v.id);
      const shape = c ? c.shape : (m.input_shape.map((d) => d ?? 2) as number[]);
      const n = shape.reduce((a, b) => a * b, 1);
      const x = tensor(c ? c.input : Float32Array.from({ length: n }, (_, i) => Math.sin(i)), shape);
      const got = model.predictSync(x);
      const status = model.inferencePlan;
      if (status.lastPath === 'plan') {
        const want = model.apply(x, { training: false });
        const gs = Array.isArray(got) ? got : [got];
        const ws = Array.isArray(want) ? want : [want];
        gs.forEach((g: Tensor, i) => {
          const a = g.dataSync(), b = ws[i]!.dataSync();
          let worst = 0;
          for (let k = 0; k < b.length; k++) worst = Math.max(worst, Math.abs(a[k]! - b[k]!) / (1 + Math.abs(b[k]!)));
          expect(worst).toBeLessThanOrEqual(1e-6);
        });
        planned.push(`${name}: ${status.plans[0]!.steps.length} steps`);
      } else {
        expect(status.unsupportedReason).toBeTruthy();
        eagerOnly.push(`${name}: ${status.unsupportedReason}`);
      }
      model.dispose();
    });
  }
  it('report (the residual, MobileNet, Xception and nested-model fixtures are planned)', () => {
    console.log(`planned:\n  ${planned.join('\n  ')}\neager:\n  ${eagerOnly.join('\n  ')}`);
    for (const name of ['k3-resnet-mnist', 'k2-vww-mobilenet', 'k2-jettagger-bn', 'k3h5-ecg-conv1d', 'k2-acgan-disc-mnist', 'k2-mini-xception-fer']) expect(planned.some((p) => p.startsWith(name))).toBe(true);
  });
});
