/**
 * Typed readers over the HDF5 metadata tree returned by the reading worker: string attributes in all the
 * encodings Keras used over the years, path lookup, and size validation of datasets BEFORE their values
 * are requested.
 */
import { describe, fail } from '../errors.js';
import type { LoadLimits } from '../limits.js';
import type { SnapDataset, SnapGroup, SnapNode, SnapValue } from './h5worker.js';

export function hasAttr(obj: SnapGroup, name: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj.attrs, name);
}

function tooLarge(v: SnapValue): v is { __tooLarge: number } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && '__tooLarge' in v;
}

function item(v: SnapValue, where: string): string {
  if (typeof v === 'string') return v.replace(/\0+$/, '');
  return fail('BAD_CONFIG', `${where}: expected a string, got ${describe(v)}`);
}

/** A scalar string attribute (e.g. `model_config`), or null if absent. */
export function readStringAttr(obj: SnapGroup, name: string, where: string): string | null {
  if (!hasAttr(obj, name)) return null;
  const v = obj.attrs[name]!;
  if (tooLarge(v)) fail('LIMIT', `${where}: attribute "${name}" of ${v.__tooLarge} bytes is too large`);
  if (Array.isArray(v)) {
    if (v.length !== 1) fail('BAD_CONFIG', `${where}: attribute "${name}" should be one string, got an array of ${v.length}`);
    return item(v[0]!, `${where}: attribute "${name}"`);
  }
  return item(v, `${where}: attribute "${name}"`);
}

/**
 * A list-of-strings attribute (`layer_names`, `weight_names`). Keras <= 2.4 wrote fixed-length byte
 * strings (|S26), later versions variable-length UTF-8, and an empty list is often an empty float64
 * array. Returns null if absent.
 */
export function readStringListAttr(obj: SnapGroup, name: string, where: string): string[] | null {
  if (!hasAttr(obj, name)) return null;
  const v = obj.attrs[name]!;
  if (tooLarge(v)) fail('LIMIT', `${where}: attribute "${name}" of ${v.__tooLarge} bytes is too large`);
  if (v === null) return [];
  if (typeof v === 'string') return [v.replace(/\0+$/, '')];
  if (Array.isArray(v)) return v.map((x, i) => item(x, `${where}: attribute "${name}"[${i}]`));
  return fail('BAD_CONFIG', `${where}: attribute "${name}" should be a list of strings, got ${describe(v)}`);
}

/** Child by '/'-separated path, or null. */
export function lookup(g: SnapGroup, path: string): SnapNode | null {
  let cur: SnapNode = g;
  for (const part of path.split('/')) {
    if (part === '') continue;
    if (cur.kind !== 'group' || !Object.prototype.hasOwnProperty.call(cur.children, part)) return null;
    cur = cur.children[part]!;
  }
  return cur;
}

export function childGroup(g: SnapGroup, name: string): SnapGroup | null {
  const c = lookup(g, name);
  return c && c.kind === 'group' ? c : null;
}

/** Per-load budget shared across one file (so the total is capped, not only each tensor). */
export class WeightBudget {
  used = 0;
  constructor(
    readonly limits: LoadLimits,
    readonly fileBytes: number,
  ) {}
  reserve(bytes: number, where: string): void {
    if (bytes > this.limits.maxTensorBytes) fail('LIMIT', `${where}: ${bytes} bytes exceeds maxTensorBytes (${this.limits.maxTensorBytes})`);
    this.used += bytes;
    if (this.used > this.limits.maxTotalWeightBytes) fail('LIMIT', `${where}: weights exceed maxTotalWeightBytes (${this.limits.maxTotalWeightBytes})`);
  }
}

/** Validate a shape read from a file: small rank, non-negative safe integers, bounded element count. */
export function checkShape(shape: unknown, limits: LoadLimits, where: string): number[] {
  if (!Array.isArray(shape)) return fail('BAD_CONFIG', `${where}: shape must be an array, got ${describe(shape)}`);
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

/** Element types we convert to float32 on load: float16/32/64 (either byte order), Keras 3 bfloat16. */
function floatLike(ds: SnapDataset, allowInt: boolean): boolean {
  if (ds.type === 1) return ds.size === 2 || ds.size === 4 || ds.size === 8;
  // Keras 3 H5IOStore writes bfloat16 as 2-byte opaque data with the attribute dtype="bfloat16".
  if (ds.type === 5) return ds.size === 2 && ds.attrs?.['dtype'] === 'bfloat16';
  return allowInt && ds.type === 0 && ds.size <= 8;
}

/** Check a float dataset's metadata before its values are requested; returns its shape. */
export function checkFloatDataset(ds: SnapDataset, budget: WeightBudget, where: string, allowInt = false): number[] {
  const shape = checkShape(ds.shape, budget.limits, where);
  const count = shape.reduce((a, b) => a * b, 1);
  if (!floatLike(ds, allowInt)) {
    fail('UNSUPPORTED', `${where}: weight dtype is not float16/bfloat16/float32/float64 (HDF5 class ${ds.type}, ${ds.size} bytes)`);
  }
  // Uncompressed data must fit inside the file: a larger claim is a truncated or hostile file.
  if (!ds.filtered && count * ds.size > budget.fileBytes) {
    fail('TRUNCATED', `${where}: dataset of ${count * ds.size} bytes cannot fit in a ${budget.fileBytes}-byte file`);
  }
  budget.reserve(count * 4, where);
  return shape;
}
