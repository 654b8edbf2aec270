/**
 * CIFAR-10 / CIFAR-100 "binary version" files (Krizhevsky, https://www.cs.toronto.edu/~kriz/cifar.html).
 * CIFAR-10 record: <1 byte label><3072 bytes image>; CIFAR-100 record: <1 byte coarse><1 byte fine><3072>.
 * The image is planar (1024 red, 1024 green, 1024 blue, each 32×32 row-major); convkit converts it to
 * channels-last HWC and scales to [0, 1].
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ArrayDataset, DatasetSplits } from './dataset.js';
import { DatasetError, readDatasetFile } from './errors.js';
import { maybeGunzip } from './gzip.js';

const SIDE = 32;
const PLANE = SIDE * SIDE;
const IMAGE = 3 * PLANE;

export type CifarVariant = 'cifar10' | 'cifar100-fine' | 'cifar100-coarse';

function layout(variant: CifarVariant): { labelBytes: number; labelAt: number; numClasses: number } {
  if (variant === 'cifar10') return { labelBytes: 1, labelAt: 0, numClasses: 10 };
  return { labelBytes: 2, labelAt: variant === 'cifar100-fine' ? 1 : 0, numClasses: variant === 'cifar100-fine' ? 100 : 20 };
}

/** Parses the concatenation of one or more batch files (records are fixed-size, so they simply append). */
export function parseCifarBatches(files: readonly string[], variant: CifarVariant): ArrayDataset {
  const { labelBytes, labelAt, numClasses } = layout(variant);
  const record = labelBytes + IMAGE;
  const expected = `a ${variant === 'cifar10' ? 'CIFAR-10' : 'CIFAR-100'} binary batch: records of ${record} bytes (${labelBytes} label byte${labelBytes > 1 ? 's' : ''} + 3072 pixels)`;
  const bufs = files.map((f) => {
    const b = maybeGunzip(readDatasetFile(f, expected), f);
    if (b.length === 0 || b.length % record !== 0) throw new DatasetError(f, expected, `${b.length} bytes, not a multiple of ${record}`);
    return b;
  });
  const n = bufs.reduce((a, b) => a + b.length / record, 0);
  const x = new Float32Array(n * IMAGE);
  const y = new Int32Array(n);
  let k = 0;
  bufs.forEach((buf, fi) => {
    for (let r = 0; r < buf.length / record; r++, k++) {
      const base = r * record;
      const label = buf[base + labelAt]!;
      if (label >= numClasses) throw new DatasetError(files[fi]!, `labels in [0, ${numClasses})`, `label ${label} in record ${r}`);
      y[k] = label;
      const px = base + labelBytes;
      const out = k * IMAGE;
      // planar CHW → interleaved HWC
      for (let i = 0; i < PLANE; i++) {
        x[out + 3 * i] = buf[px + i]! / 255;
        x[out + 3 * i + 1] = buf[px + PLANE + i]! / 255;
        x[out + 3 * i + 2] = buf[px + 2 * PLANE + i]! / 255;
      }
    }
  });
  return { x, y, sampleShape: [SIDE, SIDE, 3], numClasses };
}

function readNames(file: string): string[] | undefined {
  if (!existsSync(file)) return undefined;
  return readFileSync(file, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0);
}

export function cifarKind(dir: string): 'cifar10' | 'cifar100' | undefined {
  if (existsSync(join(dir, 'data_batch_1.bin'))) return 'cifar10';
  if (existsSync(join(dir, 'train.bin')) && (existsSync(join(dir, 'fine_label_names.txt')) || existsSync(join(dir, 'test.bin')))) return 'cifar100';
  return undefined;
}

/** `cifar-10-batches-bin/` (data_batch_1..5.bin + test_batch.bin) or `cifar-100-binary/` (train.bin + test.bin). */
export function loadCifarDirectory(dir: string, opts: { coarse?: boolean } = {}): DatasetSplits {
  const kind = cifarKind(dir);
  if (kind === 'cifar10') {
    const trainFiles = [1, 2, 3, 4, 5].map((i) => join(dir, `data_batch_${i}.bin`)).filter((f) => existsSync(f));
    const classNames = readNames(join(dir, 'batches.meta.txt'));
    const named = (d: ArrayDataset): ArrayDataset => (classNames?.length === 10 ? { ...d, classNames } : d);
    const testFile = join(dir, 'test_batch.bin');
    const train = named(parseCifarBatches(trainFiles, 'cifar10'));
    const test = existsSync(testFile) ? named(parseCifarBatches([testFile], 'cifar10')) : undefined;
    return { name: `CIFAR-10 batches in ${dir}`, train, ...(test ? { test } : {}) };
  }
  if (kind === 'cifar100') {
    const variant: CifarVariant = opts.coarse ? 'cifar100-coarse' : 'cifar100-fine';
    const classNames = readNames(join(dir, opts.coarse ? 'coarse_label_names.txt' : 'fine_label_names.txt'));
    const named = (d: ArrayDataset): ArrayDataset => (classNames?.length === d.numClasses ? { ...d, classNames } : d);
    const testFile = join(dir, 'test.bin');
    const train = named(parseCifarBatches([join(dir, 'train.bin')], variant));
    const test = existsSync(testFile) ? named(parseCifarBatches([testFile], variant)) : undefined;
    return { name: `CIFAR-100 (${opts.coarse ? 'coarse' : 'fine'} labels) in ${dir}`, train, ...(test ? { test } : {}) };
  }
  throw new DatasetError(dir, 'a CIFAR-10 directory (data_batch_1.bin …) or CIFAR-100 directory (train.bin, test.bin)', 'neither');
}
