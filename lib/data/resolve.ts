/**
 * One entry point from a user's `--data` string to a dataset: a built-in name, or a path whose kind is
 * recognised from what is there (IDX files, CIFAR batches, an image folder, .npz, a pair of .npy files).
 */
import { existsSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { loadNpyPair, loadNpz } from './arrays.js';
import { loadBuiltinDigits } from './builtin_digits.js';
import { cifarKind, loadCifarDirectory } from './cifar.js';
import type { DatasetSplits } from './dataset.js';
import { DatasetError } from './errors.js';
import { isIdxDirectory, loadIdxDirectory } from './idx.js';
import { isImageFolder, loadImageFolder } from './image_folder.js';

export const BUILTIN_DATASETS = ['mnist'] as const;

/** Well-known datasets that are not bundled (they need a download), with where to get them. */
const DOWNLOADABLE: Record<string, string> = {
  'fashion-mnist': 'download the four *-ubyte.gz files of https://github.com/zalandoresearch/fashion-mnist into a folder and pass --data FOLDER',
  cifar10: 'download cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html, extract it and pass --data cifar-10-batches-bin',
  'cifar-10': 'download cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html, extract it and pass --data cifar-10-batches-bin',
  cifar100: 'download cifar-100-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html, extract it and pass --data cifar-100-binary',
  'cifar-100': 'download cifar-100-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html, extract it and pass --data cifar-100-binary',
};

export interface LoadDatasetOptions {
  /** Size images of an image folder are resized to (default 32×32×3). */
  imageSize?: { width: number; height: number; channels: 1 | 3 };
  /** CIFAR-100: use the 20 coarse labels instead of the 100 fine ones. */
  coarseLabels?: boolean;
}

const KINDS =
  'a built-in dataset (mnist), a folder of MNIST/Fashion-MNIST IDX files, a CIFAR-10/100 binary folder, a folder with one subfolder of images per class, an .npz file, or X.npy,Y.npy';

export function loadDataset(spec: string, opts: LoadDatasetOptions = {}): DatasetSplits {
  const key = spec.toLowerCase();
  if (key === 'mnist' || key === 'digits') return loadBuiltinDigits();
  if (!existsSync(spec)) {
    if (spec.includes(',')) {
      const [x, y, ...rest] = spec.split(',');
      if (rest.length === 0 && x && y) return loadNpyPair(x, y);
    }
    if (DOWNLOADABLE[key]) throw new DatasetError(spec, 'a dataset available offline', `a dataset that is not bundled: ${DOWNLOADABLE[key]}`);
    throw new DatasetError(spec, KINDS, 'no such file or directory');
  }
  if (statSync(spec).isDirectory()) {
    if (isIdxDirectory(spec)) return loadIdxDirectory(spec);
    if (cifarKind(spec)) return loadCifarDirectory(spec, { coarse: opts.coarseLabels ?? false });
    if (isImageFolder(spec)) {
      const size = opts.imageSize ?? { width: 32, height: 32, channels: 3 };
      return { name: `images in ${spec}`, train: loadImageFolder(spec, size) };
    }
    throw new DatasetError(spec, KINDS, 'a directory with none of these');
  }
  if (extname(spec).toLowerCase() === '.npz') return loadNpz(spec);
  throw new DatasetError(spec, KINDS, `a file with extension ${extname(spec) || '(none)'}`);
}
