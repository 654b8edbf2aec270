/**
 * Datasets stored as NumPy arrays: an `.npz` with `x_train`, `y_train` (and optionally `x_test`,
 * `y_test`) — the layout of Keras's own `mnist.npz` — or `x`/`y`; or a pair of `.npy` files.
 * Images may be `[n, h, w]` (a channel axis is added) or `[n, h, w, c]`; uint8 pixels are scaled to
 * [0, 1]; labels may be class indices `[n]` or one-hot rows `[n, k]`.
 */
import type { ArrayDataset, DatasetSplits } from './dataset.js';
import { DatasetError, readDatasetFile } from './errors.js';
import type { NpyArray } from './npy.js';
import { parseNpy } from './npy.js';
import { parseNpz } from './npz.js';

export function samplesFromArray(a: NpyArray, where: string): { x: Float32Array; sampleShape: number[] } {
  if (a.shape.length < 2) throw new DatasetError(where, 'samples of shape [n, ...] with at least 2 axes', `shape [${a.shape.join(', ')}]`);
  const x = a.data instanceof Float32Array ? a.data : Float32Array.from(a.data);
  if (a.dtype === 'u1') for (let i = 0; i < x.length; i++) x[i] = x[i]! / 255;
  const sampleShape = a.shape.slice(1);
  if (sampleShape.length === 2) sampleShape.push(1);
  return { x, sampleShape };
}

export function labelsFromArray(a: NpyArray, n: number, where: string, numClasses?: number): { y: Int32Array; numClasses: number } {
  const y = new Int32Array(n);
  if (a.shape.length === 2 && a.shape[0] === n && a.shape[1]! > 1) {
    // one-hot (or probability) rows → argmax
    const k = a.shape[1]!;
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (a.data[i * k + j]! > a.data[i * k + best]!) best = j;
      y[i] = best;
    }
    return { y, numClasses: numClasses ?? k };
  }
  if (a.data.length !== n || (a.shape.length === 2 && a.shape[1] !== 1) || a.shape.length > 2) {
    throw new DatasetError(where, `${n} labels of shape [${n}] or one-hot [${n}, k]`, `shape [${a.shape.join(', ')}]`);
  }
  let max = 0;
  for (let i = 0; i < n; i++) {
    const v = a.data[i]!;
    if (!Number.isInteger(v) || v < 0) throw new DatasetError(where, 'non-negative integer class labels', `${v} at index ${i}`);
    y[i] = v;
    if (v > max) max = v;
  }
  const k = numClasses ?? max + 1;
  if (max >= k) throw new DatasetError(where, `labels in [0, ${k})`, `label ${max}`);
  return { y, numClasses: k };
}

function pair(x: NpyArray, y: NpyArray, where: string, numClasses?: number): ArrayDataset {
  const s = samplesFromArray(x, `${where} (x)`);
  const l = labelsFromArray(y, x.shape[0]!, `${where} (y)`, numClasses);
  return { x: s.x, sampleShape: s.sampleShape, y: l.y, numClasses: l.numClasses };
}

export function loadNpz(file: string): DatasetSplits {
  const arrays = parseNpz(readDatasetFile(file, 'an .npz archive with x_train/y_train (and x_test/y_test) or x/y'), file);
  const get = (k: string): NpyArray | undefined => arrays.get(k);
  const xTrain = get('x_train') ?? get('x');
  const yTrain = get('y_train') ?? get('y');
  if (!xTrain || !yTrain) {
    throw new DatasetError(file, 'arrays named x_train and y_train (or x and y)', `arrays ${[...arrays.keys()].join(', ') || '(none)'}`);
  }
  const xTest = get('x_test');
  const yTest = get('y_test');
  // Both parts must agree on the number of classes: take the larger label range.
  let numClasses: number | undefined;
  if (xTest && yTest) {
    const a = labelsFromArray(yTrain, xTrain.shape[0]!, `${file}:y_train`).numClasses;
    const b = labelsFromArray(yTest, xTest.shape[0]!, `${file}:y_test`).numClasses;
    numClasses = Math.max(a, b);
  }
  const train = pair(xTrain, yTrain, `${file}:x_train`, numClasses);
  const test = xTest && yTest ? pair(xTest, yTest, `${file}:x_test`, train.numClasses) : undefined;
  return { name: `arrays in ${file}`, train, ...(test ? { test } : {}) };
}

/** `x.npy` + `y.npy` given as "x.npy,y.npy". */
export function loadNpyPair(xFile: string, yFile: string): DatasetSplits {
  const x = parseNpy(readDatasetFile(xFile, 'an .npy array of samples'), xFile);
  const y = parseNpy(readDatasetFile(yFile, 'an .npy array of labels'), yFile);
  return { name: `arrays ${xFile}, ${yFile}`, train: pair(x, y, xFile) };
}
