/**
 * Small typed readers over h5wasm objects: string attributes in all the encodings Keras used over the
 * years, and float datasets with their sizes validated before any data is read.
 */
import type * as H5 from 'h5wasm';
import { fail } from '../errors.js';
import type { LoadLimits } from '../limits.js';

type HasAttrs = H5.Group | H5.Dataset;

export function hasAttr(obj: HasAttrs, name: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj.attrs, name);
}

function decodeBytes(v: Uint8Array): string {
  // Fixed-length byte strings may be NUL padded.
  let end = v.length;
  while (end > 0 && v[end - 1] === 0) end--;
  return new TextDecoder().decode(v.subarray(0, end));
}

function toStringItem(v: unknown, where: string): string {
  if (typeof v === 'string') return v.replace(/\0+$/, '');
  if (v instanceof Uint8Array) return decodeBytes(v);
  return fail('BAD_CONFIG', `${where}: expected a string, got ${typeof v}`);
}

/** A scalar string attribute (e.g. `model_config`), or null if absent. */
export function readStringAttr(obj: HasAttrs, name: string, where: string): string | null {
  if (!hasAttr(obj, name)) return null;
  const v = obj.attrs[name]!.value;
  if (Array.isArray(v)) {
    if (v.length !== 1) fail('BAD_CONFIG', `${where}: attribute "${name}" should be one string, got an array of ${v.length}`);
    return toStringItem(v[0], `${where}: attribute "${name}"`);
  }
  if (v instanceof Uint8Array) return decodeBytes(v);
  if (typeof v !== 'string') fail('BAD_CONFIG', `${where}: attribute "${name}" should be a string, got ${typeof v}`);
  return v.replace(/\0+$/, '');
}

/**
 * A list-of-strings attribute (`layer_names`, `weight_names`). Keras <= 2.4 wrote fixed-length byte
 * strings (|S26), later versions variable-length UTF-8, and an empty list is often an empty float64
 * array. Returns null if absent.
 */
export function readStringListAttr(obj: HasAttrs, name: string, where: string): string[] | null {
  if (!hasAttr(obj, name)) return null;
  const v = obj.attrs[name]!.value;
  if (v === null || v === undefined) return [];
  if (typeof v === 'string') return [v.replace(/\0+$/, '')];
  if (Array.isArray(v)) return v.map((x, i) => toStringItem(x, `${where}: attribute "${name}"[${i}]`));
  if (ArrayBuffer.isView(v) && (v as unknown as { length: number }).length === 0) return [];
  return fail('BAD_CONFIG', `${where}: attribute "${name}" should be a list of strings, got ${Object.prototype.toString.call(v)}`);
}

export interface WeightRead {
  shape: number[];
  data: Float32Array;
}

/** Per-read budget shared across one file load (so the total is capped, not only each tensor). */
export class WeightBudget {
  used = 0;
  constructor(readonly limits: LoadLimits, readonly fileBytes: number) {}
  reserve(bytes: number, where: string): void {
    if (bytes > this.limits.maxTensorBytes)
      fail('LIMIT', `${where}: ${bytes} bytes exceeds maxTensorBytes (${this.limits.maxTensorBytes})`);
    this.used += bytes;
    if (this.used > this.limits.maxTotalWeightBytes)
      fail('LIMIT', `${where}: weights exceed maxTotalWeightBytes (${this.limits.maxTotalWeightBytes})`);
  }
}

/** Validate a shape read from a file: small rank, non-negative safe integers, bounded element count. */
export function checkShape(shape: unknown, limits: LoadLimits, where: string): number[] {
  if (!Array.isArray(shape)) return fail('BAD_CONFIG', `${where}: shape must be an array, got ${typeof shape}`);
  if (shape.length > limits.maxRank) fail('LIMIT', `${where}: rank ${shape.length} exceeds ${limits.maxRank}`);
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)
      fail('BAD_CONFIG', `${where}: shape entries must be non-negative integers, got ${JSON.stringify(shape)}`);
    n *= d;
    if (n * 4 > limits.maxTensorBytes)
      fail('LIMIT', `${where}: shape ${JSON.stringify(shape)} has more elements than maxTensorBytes allows (${limits.maxTensorBytes} bytes)`);
  }
  return shape as number[];
}

/** Read a float dataset as float32, refusing absurd sizes before reading. */
export function readFloatDataset(ds: H5.Dataset, budget: WeightBudget, where: string): WeightRead {
  const meta = ds.metadata;
  const shape = checkShape(meta.shape ?? [], budget.limits, where);
  const count = shape.reduce((a, b) => a * b, 1);
  if (meta.type !== 1 || (meta.size !== 4 && meta.size !== 8 && meta.size !== 2)) {
    fail('UNSUPPORTED', `${where}: weight dtype is not float16/32/64 (HDF5 class ${meta.type}, ${meta.size} bytes)`);
  }
  const storedBytes = count * meta.size;
  // Uncompressed contiguous data must fit inside the file: a claim beyond it is a truncated or hostile file.
  if (ds.filters.length === 0 && storedBytes > budget.fileBytes) {
    fail('TRUNCATED', `${where}: dataset of ${storedBytes} bytes cannot fit in a ${budget.fileBytes}-byte file`);
  }
  budget.reserve(count * 4, where);
  const v = ds.value;
  let data: Float32Array;
  if (v instanceof Float32Array) data = v;
  else if (v instanceof Float64Array) data = Float32Array.from(v);
  else if (typeof v === 'number') data = Float32Array.of(v);
  else if (v && ArrayBuffer.isView(v) && meta.size === 2) {
    data = Float32Array.from(v as unknown as ArrayLike<number>);
  } else return fail('CORRUPT', `${where}: could not read dataset values`);
  if (data.length !== count) fail('CORRUPT', `${where}: dataset holds ${data.length} values, shape says ${count}`);
  // Copy out of h5wasm's view so the data outlives the file handle.
  return { shape, data: data.slice() };
}

export function getGroup(parent: H5.Group, path: string, lib: { Group: typeof H5.Group }): H5.Group | null {
  let e: unknown;
  try {
    if (!parent.keys().includes(path.split('/')[0]!)) return null;
    e = parent.get(path);
  } catch {
    return null;
  }
  return e instanceof lib.Group ? e : null;
}
