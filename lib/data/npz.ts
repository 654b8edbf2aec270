/**
 * NumPy `.npz` archives: a zip file whose members are `<name>.npy` (numpy.savez; savez_compressed
 * deflates them). Read and written with fflate, the zip library the Keras `.keras` reader uses too.
 */
import { unzipSync, zipSync } from 'fflate';
import type { NpyArray, NumericArray } from './npy.js';
import { encodeNpy, parseNpy } from './npy.js';
import { DatasetError } from './errors.js';

/** Uncompressed-size cap against zip bombs (an .npz bigger than this is not a CNN dataset we can hold). */
const MAX_TOTAL_BYTES = 4 * 1024 * 1024 * 1024;

export function parseNpz(buf: Uint8Array, file = '<npz>'): Map<string, NpyArray> {
  if (buf.length < 4 || buf[0] !== 0x50 || buf[1] !== 0x4b) {
    throw new DatasetError(file, 'an .npz archive (a zip file, magic "PK")', `${buf.length} bytes starting ${[...buf.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`);
  }
  let total = 0;
  let members: Record<string, Uint8Array>;
  try {
    members = unzipSync(buf, {
      filter: (f) => {
        total += f.originalSize;
        if (total > MAX_TOTAL_BYTES) throw new DatasetError(file, `at most ${MAX_TOTAL_BYTES} uncompressed bytes`, `more (zip bomb guard)`);
        return f.name.endsWith('.npy');
      },
    });
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    throw new DatasetError(file, 'a readable zip archive', `a damaged archive (${(e as Error).message})`, { cause: e });
  }
  const out = new Map<string, NpyArray>();
  for (const [name, bytes] of Object.entries(members)) out.set(name.slice(0, -4), parseNpy(bytes, `${file}:${name}`));
  return out;
}

export function encodeNpz(arrays: Record<string, { data: NumericArray; shape: readonly number[] }>, compress = false): Uint8Array {
  const files: Record<string, [Uint8Array, { level: 0 | 6 }]> = {};
  for (const [name, a] of Object.entries(arrays)) files[`${name}.npy`] = [encodeNpy(a.data, a.shape), { level: compress ? 6 : 0 }];
  return zipSync(files);
}
