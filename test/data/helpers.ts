/** Writers for the small dataset files the data tests make for themselves (formats written from their specs). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(prefix = 'convkit-data-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** IDX: 00 00 <type 08=uint8> <ndim>, big-endian dims, then bytes. */
export function idxUint8(shape: number[], values: ArrayLike<number>): Buffer {
  const head = Buffer.alloc(4 + 4 * shape.length);
  head[2] = 0x08;
  head[3] = shape.length;
  shape.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(Array.from(values))]);
}

/** A CIFAR-10 record: label byte, then 1024 R, 1024 G, 1024 B (planar). */
export function cifar10Record(label: number, pixel: (c: number, y: number, x: number) => number): Buffer {
  const b = Buffer.alloc(1 + 3072);
  b[0] = label;
  for (let c = 0; c < 3; c++) for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) b[1 + c * 1024 + y * 32 + x] = pixel(c, y, x);
  return b;
}
