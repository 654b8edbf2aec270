/**
 * A folder of images with one subfolder per class (the layout of Keras `image_dataset_from_directory`
 * and torchvision `ImageFolder`): `root/<class>/<image>.png|jpg`. Classes are the subfolder names in
 * sorted order; images are decoded, resized to the requested size and scaled to [0, 1].
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { ArrayDataset } from './dataset.js';
import { DatasetError } from './errors.js';
import { loadImageAs } from './image.js';

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg']);

export interface ImageFolderOptions {
  width: number;
  height: number;
  channels: 1 | 3;
}

function subdirs(root: string): string[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

export function isImageFolder(root: string): boolean {
  try {
    return statSync(root).isDirectory() && subdirs(root).some((d) => readdirSync(join(root, d)).some((f) => IMAGE_EXT.has(extname(f).toLowerCase())));
  } catch {
    return false;
  }
}

export function loadImageFolder(root: string, opts: ImageFolderOptions): ArrayDataset {
  let classes: string[];
  try {
    classes = subdirs(root);
  } catch (e) {
    throw new DatasetError(root, 'a directory with one subfolder of images per class', (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : String(e), { cause: e });
  }
  const files: { file: string; label: number }[] = [];
  classes.forEach((cls, label) => {
    for (const f of readdirSync(join(root, cls)).sort()) {
      if (IMAGE_EXT.has(extname(f).toLowerCase())) files.push({ file: join(root, cls, f), label });
    }
  });
  if (classes.length < 2 || files.length === 0) {
    throw new DatasetError(root, 'a directory with at least two class subfolders holding .png/.jpg images', `${classes.length} subfolder(s) and ${files.length} image(s)`);
  }
  const per = opts.width * opts.height * opts.channels;
  const x = new Float32Array(files.length * per);
  const y = new Int32Array(files.length);
  files.forEach(({ file, label }, i) => {
    const img = loadImageAs(readFileSync(file), opts, file);
    x.set(img.data, i * per);
    y[i] = label;
  });
  return { x, y, sampleShape: [opts.height, opts.width, opts.channels], numClasses: classes.length, classNames: classes };
}
