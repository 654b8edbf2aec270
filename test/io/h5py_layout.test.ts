/**
 * A convkit-written `.keras`, legacy `.h5` (full and weights) and `.weights.h5` open with h5py (Debian's
 * python3-h5py) and have the layout Keras's loaders expect: groups, string attributes, float32 datasets,
 * STORED zip members. The Python side (h5py_layout.py) walks the files exactly as Keras does and prints a
 * summary; here we compare it with the weights convkit wrote. Skips (with a message) when h5py is absent.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readModelFile } from '../../lib/io/readers/load_file.js';
import { writeModelFile, type SaveFormat } from '../../lib/io/writers/writers.js';
import type { NeutralModel } from '../../lib/io/keras_format/neutral.js';
import { hasWeights } from '../../lib/io/keras_format/catalog.js';
import type { NModel } from '../../lib/io/keras_format/neutral.js';
import { withTensorShapes } from '../../lib/io/model_bridge.js';
import '../../lib/index.js';
import { FIXTURES, fixtureNames, manifest, variantSources } from './fixtures.js';

const PY = '/usr/bin/python3';
const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'h5py_layout.py');
const hasH5py = spawnSync(PY, ['-c', 'import h5py'], { stdio: 'ignore' }).status === 0;
if (!hasH5py) console.warn('h5py layout tests skipped: /usr/bin/python3 cannot import h5py (apt-get install -y python3-h5py)');

const dir = mkdtempSync(path.join(tmpdir(), 'convkit-io-h5py-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface WSum {
  shape: number[];
  sum: number;
  first: number | null;
  name?: string;
}
interface Summary {
  kind: string;
  class_name?: string;
  keras3_nodes?: number;
  layers: { name: string; weights: WSum[] }[];
}

function runPy(kind: string, file: string, ...more: string[]): Summary {
  return JSON.parse(execFileSync(PY, [script, kind, file, ...more], { encoding: 'utf8', maxBuffer: 64 << 20 })) as Summary;
}

function sumOf(d: Float32Array): number {
  let s = 0;
  for (const v of d) s += v;
  return s;
}

/** Flattened expected weights in file order (top-level layer order, then the order Keras lists them). */
function expectedFlat(nm: NeutralModel): WSum[] {
  return nm.weights.flatMap((lw) => lw.weights.map((w) => ({ shape: w.shape, sum: sumOf(w.data), first: w.data.length ? w.data[0]! : null })));
}

function compareMultiset(got: WSum[], want: WSum[]): void {
  expect(got.length).toBe(want.length);
  const key = (w: WSum): string => `${w.shape.join('x')}|${w.first}`;
  const a = got.map(key).sort();
  const b = want.map(key).sort();
  expect(a).toEqual(b);
  const tot = (ws: WSum[]): number => ws.reduce((s, w) => s + w.sum, 0);
  expect(Math.abs(tot(got) - tot(want))).toBeLessThan(1e-3 * Math.max(1, Math.abs(tot(want))));
}

const CASES: [SaveFormat, string, string][] = [
  ['keras', 'keras', 'm.keras'],
  ['h5', 'h5', 'm.h5'],
  ['h5-weights', 'h5-weights', 'w.h5'],
  ['weights.h5', 'weights.h5', 'w.weights.h5'],
];

describe.skipIf(!FIXTURES || !hasH5py)('the h5py checker itself accepts the files real Keras wrote', () => {
  // The checker re-implements Keras's store addressing (class-based keys); it must pass on Keras's own files.
  for (const [name, file] of [['k3-mlp-mnist-3formats', 'model.keras'], ['k3-resnet-mnist', 'resnet_mnist.keras']]) {
    it(`${name}/${file}`, () => {
      const s = runPy('keras', path.join(FIXTURES!, name!, file!));
      expect(s.layers.length).toBeGreaterThan(3);
      expect(s.layers.flatMap((l) => l.weights).length).toBeGreaterThan(3);
    });
  }
  it('k3-mlp-mnist-3formats/model.weights.h5 with the sibling config', () => {
    const s = runPy('weights.h5', path.join(FIXTURES!, 'k3-mlp-mnist-3formats', 'model.weights.h5'), path.join(FIXTURES!, 'k3-mlp-mnist-3formats', 'model.keras'));
    expect(s.layers.flatMap((l) => l.weights).length).toBe(8);
  });
});

describe.skipIf(!FIXTURES || !hasH5py)('convkit-written Keras files as h5py / Keras read them', () => {
  for (const name of fixtureNames()) {
    for (const [fmt, kind, file] of CASES) {
      it(`${name} → ${fmt}`, async () => {
        const m = manifest(name);
        const { src, weights } = variantSources(name, m.variants[0]!);
        // shapes for the Keras 3 call-node form (Keras 2 configs carry none; a saved convkit model has them)
        const nm = withTensorShapes(await readModelFile(src, weights ? { weights } : {}));
        const out = path.join(dir, `${name}-${file}`);
        await writeModelFile(nm, out, fmt);
        let arch: string[] = [];
        if (kind === 'weights.h5') {
          // Keras loads a .weights.h5 into a model built from its config: give the checker that config
          arch = [path.join(dir, `${name}-arch.keras`)];
          await writeModelFile(nm, arch[0]!, 'keras');
        }
        const s = runPy(kind, out, ...arch);
        // every top-level layer present, in model order
        expect(s.layers.map((l) => l.name)).toEqual(nm.model.layers.map((l) => l.name));
        // weight groups non-empty exactly for the layers with weights (what Keras pairs by order)
        if (kind === 'h5' || kind === 'h5-weights') {
          expect(s.layers.filter((l) => l.weights.length > 0).map((l) => l.name)).toEqual(nm.model.layers.filter(hasWeights).map((l) => l.name));
          // within a leaf layer, weights keep the Keras order (names end in the Keras param name)
          for (const l of s.layers) for (const w of l.weights) expect(w.name).toMatch(/\/[a-z_]+:0$/);
        }
        compareMultiset(s.layers.flatMap((l) => l.weights), expectedFlat(nm));
        if (s.class_name) expect(['Sequential', 'Functional']).toContain(s.class_name);
        if (kind === 'keras' && nm.model.kind === 'Functional') {
          // every call node of the graph replayed the way Keras 3's functional_from_config does
          const calls = (m: NModel): number => m.layers.reduce((a, l) => a + l.inbound.length + (l.model?.kind === 'Functional' ? calls(l.model) : 0), 0);
          expect(s.keras3_nodes).toBe(calls(nm.model));
        }
      });
    }
  }
});
