/**
 * Independent oracle for our readers and our TF.js writer: every fixture is read by convkit, written as a
 * TF.js layers model by convkit, loaded by @tensorflow/tfjs (pure JS, float32) and run; its predictions
 * must match the fixture's reference outputs (computed by the fixture authors from the ORIGINAL files).
 * This checks weight pairing (by order, nested trainable-first order, Windows backslash groups, …) and
 * that the written model.json/shards are what TF.js expects.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { readModelFile } from '../../lib/io/readers/load_file.js';
import { writeModelFile } from '../../lib/io/writers/writers.js';
import { FIXTURES, fixtureNames, manifest, maxErr, refCases, variantSources } from './fixtures.js';
import { tfjsLoad } from './tfjs_load.js';

const dir = mkdtempSync(path.join(tmpdir(), 'convkit-io-tfjs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!FIXTURES)('convkit-written TF.js models run in @tensorflow/tfjs and match the references', () => {
  for (const name of fixtureNames()) {
    const m = FIXTURES ? manifest(name) : null;
    if (!m?.reference) continue;
    for (const v of m.variants) {
      const cases = refCases(name, m).filter((c) => c.variant === v.id);
      if (!cases.length) continue;
      it(`${name} [${v.id}]`, async () => {
        const { src, weights } = variantSources(name, v);
        const nm = await readModelFile(src, weights ? { weights } : {});
        const out = path.join(dir, `${name}-${v.id}`, 'model.json');
        await import('node:fs/promises').then((fs) => fs.mkdir(path.dirname(out), { recursive: true }));
        await writeModelFile(nm, out, 'tfjs');
        const model = await tfjsLoad(out);
        for (const c of cases) {
          const x = tf.tensor(c.input, c.shape);
          const ys = model.predict(x);
          const list = Array.isArray(ys) ? ys : [ys as tf.Tensor];
          expect(list.length).toBe(c.outputs.length);
          list.forEach((y, i) => {
            expect(y.shape).toEqual(c.outputs[i]!.shape);
            const r = maxErr(y.dataSync() as Float32Array, c.outputs[i]!.data, 1e-5, 1e-4);
            expect(r.ok, `max abs err ${r.maxAbs}`).toBe(true);
          });
          tf.dispose([x, ...list]);
        }
        model.dispose();
      });
    }
  }
});
