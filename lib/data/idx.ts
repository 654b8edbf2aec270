/**
 * IDX files, the format of MNIST and Fashion-MNIST (LeCun et al., http://yann.lecun.com/exdb/mnist/):
 * magic = 0x00 0x00 <type> <ndim>, then ndim big-endian uint32 dimensions, then the values big-endian,
 * row-major. Type codes: 08 uint8, 09 int8, 0B int16, 0C int32, 0D float32, 0E float64. `.gz` is
 * accepted (the files are distributed gzipped).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ArrayDataset, DatasetSplits } from './dataset.js';
import { DatasetError, readDatasetFile } from './errors.js';
import { maybeGunzip } from './gzip.js';

export interface IdxArray {
  readonly type: 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
  readonly shape: number[];
  /** Values as float32 (exact for every integer type up to 2^24). */
  readonly data: Float32Array;
}

const TYPES: Record<number, { name: IdxArray['type']; bytes: number }> = {
  0x08: { name: 'uint8', bytes: 1 },
  0x09: { name: 'int8', bytes: 1 },
  0x0b: { name: 'int16', bytes: 2 },
  0x0c: { name: 'int32', bytes: 4 },
  0x0d: { name: 'float32', bytes: 4 },
  0x0e: { name: 'float64', bytes: 8 },
};

const EXPECTED = 'an IDX file (magic 00 00 <type> <ndim>, as MNIST train-images-idx3-ubyte[.gz])';

export function parseIdx(raw: Buffer, file: string): IdxArray {
  const buf = maybeGunzip(raw, file);
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) {
    const head = [...buf.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new DatasetError(file, EXPECTED, `${buf.length} bytes starting ${head || '(empty)'}`);
  }
  const t = TYPES[buf[2]!];
  if (!t) throw new DatasetError(file, `${EXPECTED} with type code 08/09/0b/0c/0d/0e`, `type code ${buf[2]!.toString(16)}`);
  const ndim = buf[3]!;
  if (ndim === 0 || buf.length < 4 + 4 * ndim) throw new DatasetError(file, `${EXPECTED} with ${ndim} dimensions`, `${buf.length} bytes, too short for the header`);
  const shape: number[] = [];
  for (let i = 0; i < ndim; i++) shape.push(buf.readUInt32BE(4 + 4 * i));
  const n = shape.reduce((a, b) => a * b, 1);
  const offset = 4 + 4 * ndim;
  const need = offset + n * t.bytes;
  if (buf.length < need) throw new DatasetError(file, `${need} bytes for shape [${shape.join(', ')}] of ${t.name}`, `${buf.length} bytes (truncated)`);
  const data = new Float32Array(n);
  switch (t.name) {
    case 'uint8':
      for (let i = 0; i < n; i++) data[i] = buf[offset + i]!;
      break;
    case 'int8':
      for (let i = 0; i < n; i++) data[i] = buf.readInt8(offset + i);
      break;
    case 'int16':
      for (let i = 0; i < n; i++) data[i] = buf.readInt16BE(offset + 2 * i);
      break;
    case 'int32':
      for (let i = 0; i < n; i++) data[i] = buf.readInt32BE(offset + 4 * i);
      break;
    case 'float32':
      for (let i = 0; i < n; i++) data[i] = buf.readFloatBE(offset + 4 * i);
      break;
    case 'float64':
      for (let i = 0; i < n; i++) data[i] = buf.readDoubleBE(offset + 8 * i);
      break;
  }
  return { type: t.name, shape, data };
}

export function readIdx(file: string): IdxArray {
  return parseIdx(readDatasetFile(file, EXPECTED), file);
}

/** An images file `[n, h, w]` (or `[n, h, w, c]`) and a labels file `[n]`; uint8 images are scaled to [0, 1]. */
export function loadIdxPair(imagesFile: string, labelsFile: string, numClasses = 10): ArrayDataset {
  const images = readIdx(imagesFile);
  const labels = readIdx(labelsFile);
  if (images.shape.length !== 3 && images.shape.length !== 4) {
    throw new DatasetError(imagesFile, 'images of shape [n, height, width] or [n, height, width, channels]', `shape [${images.shape.join(', ')}]`);
  }
  if (labels.shape.length !== 1) throw new DatasetError(labelsFile, 'labels of shape [n]', `shape [${labels.shape.join(', ')}]`);
  if (labels.shape[0] !== images.shape[0]) {
    throw new DatasetError(labelsFile, `${images.shape[0]} labels (one per image in ${imagesFile})`, `${labels.shape[0]} labels`);
  }
  const y = new Int32Array(labels.data.length);
  for (let i = 0; i < y.length; i++) {
    const v = labels.data[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= numClasses) throw new DatasetError(labelsFile, `labels in [0, ${numClasses})`, `label ${v} at index ${i}`);
    y[i] = v;
  }
  const x = images.data;
  if (images.type === 'uint8') for (let i = 0; i < x.length; i++) x[i] = x[i]! / 255;
  const [, h, w, c] = images.shape;
  return { x, y, sampleShape: [h!, w!, c ?? 1], numClasses };
}

/** The four standard file names, with the variants people meet (`.gz`, Kaggle's `idx3-ubyte` dot). */
function findIdxFile(dir: string, stem: 'train' | 't10k', kind: 'images' | 'labels'): string | undefined {
  const d = kind === 'images' ? 3 : 1;
  for (const sep of ['-', '.']) {
    for (const ext of ['', '.gz']) {
      const p = join(dir, `${stem}-${kind}${sep}idx${d}-ubyte${ext}`);
      if (existsSync(p)) return p;
    }
  }
  return undefined;
}

export function isIdxDirectory(dir: string): boolean {
  return findIdxFile(dir, 'train', 'images') !== undefined;
}

/** A directory holding MNIST or Fashion-MNIST as downloaded: train-* and (optionally) t10k-* files. */
export function loadIdxDirectory(dir: string): DatasetSplits {
  const trainImages = findIdxFile(dir, 'train', 'images');
  const trainLabels = findIdxFile(dir, 'train', 'labels');
  if (!trainImages || !trainLabels) {
    throw new DatasetError(dir, 'a directory with train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz]', trainImages ? 'no train-labels file' : 'no train-images file');
  }
  const train = loadIdxPair(trainImages, trainLabels);
  const testImages = findIdxFile(dir, 't10k', 'images');
  const testLabels = findIdxFile(dir, 't10k', 'labels');
  const test = testImages && testLabels ? loadIdxPair(testImages, testLabels) : undefined;
  return { name: `IDX files in ${dir}`, train, ...(test ? { test } : {}) };
}
