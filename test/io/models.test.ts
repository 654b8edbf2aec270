/**
 * Fixtures mapped onto real convkit models: every file builds a model whose forward pass reproduces the
 * fixture's reference outputs (TF.js float32 references, cross-checked in float64 by the fixture authors)
 * within atol 1e-5 + rtol 1e-4; the max abs error reached is printed. Models without references must
 * load, run and give finite outputs of the manifest's shape. Then convkit → each format → convkit round
 * trips give identical weights and predictions, and save/loadWeights work through the Model methods.
 */
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '../../lib/tensor/index.js';
import { Model } from '../../lib/models/model.js';
import { loadModel, loadModelWithInfo, saveModel } from '../../lib/io/index.js';
import '../../lib/index.js';
import { FIXTURES, fixtureNames, fx, manifest, maxErr, refCases, variantSources } from './fixtures.js';

const dir = mkdtempSync(path.join(tmpdir(), 'convkit-io-models-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function predict(m: Model, x: Float32Array, shape: number[]): Float32Array[] {
  const t = tensor(x, shape);
  const y = m.predictSync(t);
  const list = Array.isArray(y) ? y : [y];
  const out = list.map((o: Tensor) => Float32Array.from(o.dataSync() as Float32Array));
  t.dispose();
  list.forEach((o: Tensor) => o.dispose());
  return out;
}

const report: string[] = [];
afterAll(() => {
  if (report.length) console.log(`fixture reference errors (max abs):\n${report.join('\n')}`);
});

describe.skipIf(!FIXTURES)('fixtures → convkit models: reference outputs', () => {
  for (const name of fixtureNames()) {
    const m = FIXTURES ? manifest(name) : null;
    for (const v of m?.variants ?? []) {
      it(`${name} [${v.id}]`, async () => {
        const { src, weights } = variantSources(name, v);
        const model = await loadModel(src, weights ? { weights } : {});
        const cases = refCases(name, m!).filter((c) => c.variant === v.id);
        if (cases.length === 0) {
          const shape = m!.input_shape.map((d) => d ?? 2) as number[];
          const n = shape.reduce((a, b) => a * b, 1);
          const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
          const ys = predict(model, x, shape);
          for (const y of ys) expect(y.every(Number.isFinite)).toBe(true);
          expect(ys[0]!.length).toBe(m!.outputs[0]!.shape.slice(1).reduce((a: number, b) => a * (b ?? 1), 1) * 2);
        }
        for (const c of cases) {
          const ys = predict(model, c.input, c.shape);
          expect(ys.length).toBe(c.outputs.length);
          ys.forEach((y, i) => {
            const r = maxErr(y, c.outputs[i]!.data, 1e-5, 1e-4);
            report.push(`${name} [${v.id}] output ${i}: ${r.maxAbs.toExponential(2)}`);
            expect(r.ok, `max abs err ${r.maxAbs}`).toBe(true);
          });
        }
        model.dispose();
      });
    }
  }
});

describe.skipIf(!FIXTURES)('convkit → each format → convkit: identical weights and predictions', () => {
  for (const name of ['k2-acgan-disc-mnist', 'k2-vww-mobilenet', 'k3-resnet-mnist', 'k2-mixed-dataformat-mnist', 'kv3-k215-mnist-cnn']) {
    it(name, async () => {
      const m = manifest(name);
      const { src, weights } = variantSources(name, m.variants[0]!);
      const model = await loadModel(src, weights ? { weights } : {});
      const shape = m.input_shape.map((d) => d ?? 3) as number[];
      const x = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.cos(i * 0.37));
      const want = predict(model, x, shape);
      const wantW = model.getWeights().map((t) => Float32Array.from(t.dataSync() as Float32Array));
      for (const file of ['m.keras', 'm.h5', 'model.json']) {
        const p = path.join(dir, `${name}-${file}`);
        await model.save(p);
        const back = await loadModel(p, file === 'model.json' ? {} : {});
        const gotW = back.getWeights().map((t) => Float32Array.from(t.dataSync() as Float32Array));
        expect(gotW.length).toBe(wantW.length);
        gotW.forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(wantW[i]!.buffer))).toBe(true));
        const got = predict(back, x, shape);
        got.forEach((y, i) => expect(Buffer.from(y.buffer).equals(Buffer.from(want[i]!.buffer))).toBe(true));
        back.dispose();
      }
      // weights only, both layouts, into a fresh copy of the architecture
      for (const file of ['w.weights.h5', 'w.h5']) {
        const p = path.join(dir, `${name}-${file}`);
        await model.saveWeights(p);
        const fresh = await loadModel(path.join(dir, `${name}-m.keras`));
        await fresh.loadWeights(p);
        const got = predict(fresh, x, shape);
        got.forEach((y, i) => expect(Buffer.from(y.buffer).equals(Buffer.from(want[i]!.buffer))).toBe(true));
        fresh.dispose();
      }
      model.dispose();
    });
  }
  it.skipIf(!FIXTURES)('loads from a Buffer and reports the training config', async () => {
    const info = await loadModelWithInfo(readFileSync(fx('k3-mlp-mnist-3formats', 'model.h5')));
    expect(info.format).toBe('h5-legacy');
    expect(info.kerasVersion).toBe('3.14.0');
    expect(info.compiled).toBe(true);
    expect(info.model.optimizer?.className).toBe('Adam');
    info.model.dispose();
  });
  it.skipIf(!FIXTURES)('a failed save leaves the previous file intact', async () => {
    const model = await loadModel(fx('k3-mlp-mnist-3formats', 'model.keras'));
    const p = path.join(dir, 'keep.keras');
    writeFileSync(p, 'previous contents');
    const { writeModelFile } = await import('../../lib/io/writers/writers.js');
    const { toNeutral } = await import('../../lib/io/model_bridge.js');
    await expect(
      writeModelFile(toNeutral(model), p, 'keras', {
        beforeRename: () => {
          throw new Error('disk full (simulated)');
        },
      }),
    ).rejects.toThrow(/disk full/);
    expect(readFileSync(p, 'utf8')).toBe('previous contents');
    expect(existsSync(p) && !readFileSync(p, 'utf8').startsWith('PK')).toBe(true);
    await saveModel(model, p);
    expect(readFileSync(p).subarray(0, 2).toString()).toBe('PK');
    model.dispose();
  });
});
