/**
 * Every Keras fixture file loads into the neutral form; layer names, per-layer parameter counts and the
 * total match the manifest (written independently from the files with h5py / tf.js).
 */
import { describe, expect, it } from 'vitest';
import { readModelFile } from '../../lib/io/readers/load_file.js';
import { leafLayers } from '../../lib/io/keras_format/catalog.js';
import { paramCount } from '../../lib/io/keras_format/neutral.js';
import { FIXTURES, fixtureNames, manifest, variantSources } from './fixtures.js';

describe.skipIf(!FIXTURES)('Keras fixtures → neutral form', () => {
  for (const name of fixtureNames()) {
    const m = FIXTURES ? manifest(name) : null;
    for (const v of m?.variants ?? []) {
      it(`${name} [${v.id}: ${v.format}]`, async () => {
        const { src, weights } = variantSources(name, v);
        const nm = await readModelFile(src, weights ? { weights } : {});
        const byPath = new Map(nm.weights.map((w) => [w.path, w]));
        // names: every manifest layer is in the config (InputLayer of a Sequential is folded into the model)
        const leaves = new Set(leafLayers(nm.model).map((l) => l.path));
        const tops = new Set(nm.model.layers.map((l) => l.name));
        if (nm.model.inputName) tops.add(nm.model.inputName);
        for (const l of m!.layers) {
          const known = leaves.has(l.name) || tops.has(l.name) || (l.class_name === 'InputLayer' && nm.model.kind === 'Sequential');
          expect(known, `layer ${l.name} in config`).toBe(true);
          if (l.params > 0 && leaves.has(l.name)) {
            expect(byPath.get(l.name) && paramCount(byPath.get(l.name)!), `params of ${l.name}`).toBe(l.params);
          }
        }
        const total = nm.weights.reduce((a, w) => a + paramCount(w), 0);
        expect(total).toBe(m!.params_total);
        for (const w of nm.weights) for (const x of w.weights) expect(x.data.length).toBe(x.shape.reduce((a, b) => a * b, 1));
      });
    }
  }
});

/** Shape checks derived from each layer's own config (independent of the manifest's counts). */
describe.skipIf(!FIXTURES)('weight shapes agree with layer configs', () => {
  for (const name of fixtureNames()) {
    it(name, async () => {
      const m = manifest(name);
      const { src, weights } = variantSources(name, m.variants[0]!);
      const nm = await readModelFile(src, weights ? { weights } : {});
      const cfgOf = new Map(leafLayers(nm.model).map((l) => [l.path, l.layer]));
      for (const w of nm.weights) {
        const c = cfgOf.get(w.path)!.config;
        const shapes = w.weights.map((x) => x.shape);
        const last = (s: number[]): number => s[s.length - 1]!;
        switch (w.className) {
          case 'Dense':
            expect(last(shapes[0]!)).toBe(c.units);
            if (shapes[1]) expect(shapes[1]).toEqual([c.units]);
            break;
          case 'Conv1D':
          case 'Conv2D': {
            const k = shapes[0]!;
            expect(k.length).toBe(w.className === 'Conv1D' ? 3 : 4);
            expect(last(k)).toBe(c.filters);
            expect(k.slice(0, k.length - 2)).toEqual(c.kernel_size);
            break;
          }
          case 'Conv2DTranspose':
            expect(shapes[0]![2]).toBe(c.filters); // (kh, kw, filters, in)
            break;
          case 'BatchNormalization':
            for (const s of shapes) expect(s).toEqual(shapes[0]);
            break;
          default:
            break;
        }
      }
    });
  }
  it('ACGAN nested Sequential: trainable-first weights are split back per layer', async () => {
    const nm = await readModelFile(`${FIXTURES}/k2-acgan-disc-mnist/discriminator.json`, { weights: `${FIXTURES}/k2-acgan-disc-mnist/discriminator_weights.hdf5` });
    const bn = nm.weights.find((w) => w.path === 'sequential_1/batch_normalization_1')!;
    expect(bn.weights.map((x) => x.shape)).toEqual([[32], [32], [32], [32]]);
    // the stored statistics were never updated: exactly 0 and 1 (docs/KERAS_FORMATS §3)
    expect([...bn.weights[2]!.data].every((x) => x === 0)).toBe(true);
    expect([...bn.weights[3]!.data].every((x) => x === 1)).toBe(true);
    expect(nm.weights.find((w) => w.path === 'sequential_1/conv2d_3')!.weights[0]!.shape).toEqual([3, 3, 32, 64]);
    expect(nm.weights.map((w) => w.path)).toContain('dense_2');
  });
});
