// concat along an axis, and slice — plain block copies over the typed arrays (memcpy-speed).
import { runOp } from '../engine/index.js';
import { allocTensor, viewOf } from '../tensor/internal.js';
import { fmt, normAxis, sizeOf } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkTensor } from './util.js';

/** Concatenates tensors of equal shape except along `axis` (and equal dtype). */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(tensors as unknown) || tensors.length === 0) throw new RangeError('concat(): tensors must be a non-empty array');
  tensors.forEach((t, i) => checkTensor(t, `concat(): tensors[${i}]`));
  const first = tensors[0]!;
  const ax = normAxis(axis, first.rank, 'concat(): axis');
  for (let i = 1; i < tensors.length; i++) {
    const t = tensors[i]!;
    if (t.dtype !== first.dtype) throw new TypeError(`concat(): tensors[${i}] has dtype ${t.dtype}, tensors[0] has ${first.dtype}`);
    if (t.rank !== first.rank || t.shape.some((d, k) => k !== ax && d !== first.shape[k]))
      throw new RangeError(
        `concat(): tensors[${i}] has shape ${fmt(t.shape)}, incompatible with tensors[0] ${fmt(first.shape)} along axis ${ax}`,
      );
  }
  const outShape = first.shape.slice();
  outShape[ax] = tensors.reduce((s, t) => s + t.shape[ax]!, 0);
  return runOp('concat', tensors, { axis: ax }, () => {
    const out = allocTensor(outShape, first.dtype);
    const dst = viewOf(out);
    const outer = sizeOf(first.shape.slice(0, ax));
    const rowOut = sizeOf(outShape.slice(ax));
    let offset = 0;
    for (const t of tensors) {
      const src = viewOf(t);
      const row = sizeOf(t.shape.slice(ax));
      for (let o = 0; o < outer; o++) dst.set(src.subarray(o * row, (o + 1) * row), o * rowOut + offset);
      offset += row;
    }
    return out;
  });
}

/** The block starting at `begin` of extent `size` (-1 = to the end), as TF.js slice. */
export function slice(x: Tensor, begin: readonly number[], size?: readonly number[]): Tensor {
  checkTensor(x, 'slice(): x');
  const r = x.rank;
  if (!Array.isArray(begin as unknown) || begin.length !== r)
    throw new RangeError(`slice(): begin must have ${r} entries for x ${fmt(x.shape)}, got ${Array.isArray(begin as unknown) ? fmt(begin) : String(begin)}`);
  const sz = size === undefined ? x.shape.map((d, i) => d - begin[i]!) : Array.from(size);
  if (sz.length !== r) throw new RangeError(`slice(): size must have ${r} entries, got ${fmt(sz)}`);
  for (let i = 0; i < r; i++) {
    const b = begin[i]!;
    if (sz[i] === -1) sz[i] = x.shape[i]! - b;
    if (!Number.isInteger(b) || b < 0 || !Number.isInteger(sz[i]) || sz[i]! < 0 || b + sz[i]! > x.shape[i]!)
      throw new RangeError(`slice(): begin ${fmt(begin)} size ${fmt(size ?? sz)} is out of bounds for x ${fmt(x.shape)} (axis ${i})`);
  }
  return runOp('slice', [x], { begin: Array.from(begin), size: sz }, () => {
    const out = allocTensor(sz, x.dtype);
    const src = viewOf(x);
    const dst = viewOf(out);
    if (out.size === 0) return out;
    const strides = x.shape.map((_, i) => sizeOf(x.shape.slice(i + 1)));
    const inner = sz[r - 1] ?? 1;
    const rows = out.size / inner;
    const idx = new Array<number>(Math.max(r - 1, 0)).fill(0);
    for (let row = 0; row < rows; row++) {
      let off = r > 0 ? begin[r - 1]! : 0;
      for (let d = 0; d < r - 1; d++) off += (begin[d]! + idx[d]!) * strides[d]!;
      dst.set(src.subarray(off, off + inner), row * inner);
      for (let d = r - 2; d >= 0; d--) {
        if (++idx[d]! < sz[d]!) break;
        idx[d] = 0;
      }
    }
    return out;
  });
}
