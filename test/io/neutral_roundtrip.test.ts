/**
 * Round trips in the neutral form: every fixture → each writer → our reader gives bit-identical weights
 * and the same graph (classes, names, connections, options).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readModelFile } from '../../lib/io/readers/load_file.js';
import { writeModelFile, type SaveFormat } from '../../lib/io/writers/writers.js';
import type { NeutralModel, NModel } from '../../lib/io/keras_format/neutral.js';
import type { JsonValue } from '../../lib/io/keras_format/types.js';
import { FIXTURES, fixtureNames, manifest, variantSources } from './fixtures.js';

const dir = mkdtempSync(path.join(tmpdir(), 'convkit-io-rt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function canon(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(canon);
  if (v && typeof v === 'object') {
    // L2 / L1 regularizers are written as the equivalent L1L2 for TF.js and Keras 2.
    if ((v.class_name === 'L2' || v.class_name === 'L1') && v.config && typeof v.config === 'object' && !Array.isArray(v.config)) {
      return canon({ class_name: 'L1L2', config: { l1: v.config.l1 ?? 0, l2: v.config.l2 ?? 0 } });
    }
    const o: { [k: string]: JsonValue } = {};
    for (const k of Object.keys(v).sort()) {
      if (k === 'module' || k === 'registered_name') continue;
      // defaults the writers spell out where old files left them implicit
      if ((k === 'dtype' && v[k] === 'float32') || (k === 'trainable' && v[k] === true) || ((k === 'sparse' || k === 'ragged') && v[k] === false)) continue;
      o[k === 'alpha' ? 'negative_slope' : k] = canon(v[k]!);
    }
    return o;
  }
  return v;
}

function graph(m: NModel): JsonValue {
  return {
    kind: m.kind,
    name: m.name,
    shape: m.batchInputShape,
    inputs: m.inputs.map((r) => [r.layer, r.node, r.tensor]),
    outputs: m.outputs.map((r) => [r.layer, r.node, r.tensor]),
    layers: m.layers.map((l) => ({
      c: l.className,
      n: l.name,
      cfg: canon(l.config),
      in: l.inbound.map((node) => node.map((r) => [r.layer, r.node, r.tensor])),
      m: l.model ? graph(l.model) : null,
    })),
  };
}

export function expectSameWeights(a: NeutralModel, b: NeutralModel): void {
  expect(b.weights.map((w) => w.path)).toEqual(a.weights.map((w) => w.path));
  a.weights.forEach((lw, i) => {
    const lb = b.weights[i]!;
    expect(lb.weights.length).toBe(lw.weights.length);
    lw.weights.forEach((w, j) => {
      expect(lb.weights[j]!.shape).toEqual(w.shape);
      expect(Buffer.from(lb.weights[j]!.data.buffer, lb.weights[j]!.data.byteOffset, lb.weights[j]!.data.byteLength).equals(Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength))).toBe(true);
    });
  });
}

const FORMATS: [SaveFormat, string][] = [
  ['keras', 'm.keras'],
  ['h5', 'm.h5'],
  ['tfjs', 'model.json'],
];

describe.skipIf(!FIXTURES)('neutral round trips through every writer', () => {
  for (const name of fixtureNames()) {
    for (const [fmt, file] of FORMATS) {
      it(`${name} → ${fmt}`, async () => {
        const m = manifest(name);
        const { src, weights } = variantSources(name, m.variants[0]!);
        const a = await readModelFile(src, weights ? { weights } : {});
        const out = path.join(dir, `${name}-${fmt}`, file);
        await import('node:fs/promises').then((fs) => fs.mkdir(path.dirname(out), { recursive: true }));
        await writeModelFile(a, out, fmt);
        const b = await readModelFile(out);
        expect(graph(b.model)).toEqual(graph({ ...a.model, inputName: b.model.inputName }));
        expectSameWeights(a, b);
      });
    }
    it(`${name} → legacy weights .h5 and Keras 3 .weights.h5 onto the same architecture`, async () => {
      const m = manifest(name);
      const { src, weights } = variantSources(name, m.variants[0]!);
      const a = await readModelFile(src, weights ? { weights } : {});
      const arch = path.join(dir, `${name}-arch.keras`);
      await writeModelFile(a, arch, 'keras');
      for (const [fmt, file] of [['h5-weights', 'w.h5'], ['weights.h5', 'w.weights.h5']] as const) {
        const wfile = path.join(dir, `${name}-${file}`);
        await writeModelFile(a, wfile, fmt);
        expectSameWeights(a, await readModelFile(arch, { weights: wfile }));
      }
    });
  }
});
