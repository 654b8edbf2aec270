import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DatasetError, loadIdxDirectory, loadIdxPair, parseIdx } from '../../lib/data/index.js';
import { idxUint8, tempDir } from './helpers.js';

describe('IDX reader', () => {
  it('reads uint8 images and labels, scales pixels to [0, 1], adds a channel axis', () => {
    const dir = tempDir();
    const pixels = Array.from({ length: 3 * 2 * 2 }, (_, i) => i * 20);
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), idxUint8([3, 2, 2], pixels));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxUint8([3], [7, 0, 9]));
    const ds = loadIdxPair(join(dir, 'train-images-idx3-ubyte'), join(dir, 'train-labels-idx1-ubyte'));
    expect(ds.sampleShape).toEqual([2, 2, 1]);
    expect([...ds.y]).toEqual([7, 0, 9]);
    expect(ds.x[5]).toBeCloseTo(100 / 255, 6);
    expect(ds.x.length).toBe(12);
  });

  it('reads gzipped files and the t10k test part of a directory', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(idxUint8([2, 3, 3], new Array(18).fill(255))));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(idxUint8([2], [1, 2])));
    writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), gzipSync(idxUint8([1, 3, 3], new Array(9).fill(0))));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(idxUint8([1], [5])));
    const s = loadIdxDirectory(dir);
    expect(s.train.y.length).toBe(2);
    expect(s.train.x[0]).toBe(1);
    expect(s.test?.y[0]).toBe(5);
    expect(s.test?.sampleShape).toEqual([3, 3, 1]);
  });

  it('parses big-endian int32 and float32 payloads', () => {
    const b = Buffer.alloc(4 + 4 + 8);
    b[2] = 0x0c;
    b[3] = 1;
    b.writeUInt32BE(2, 4);
    b.writeInt32BE(-5, 8);
    b.writeInt32BE(70000, 12);
    expect([...parseIdx(b, 'x').data]).toEqual([-5, 70000]);
    const f = Buffer.alloc(4 + 4 + 4);
    f[2] = 0x0d;
    f[3] = 1;
    f.writeUInt32BE(1, 4);
    f.writeFloatBE(1.5, 8);
    expect(parseIdx(f, 'f').data[0]).toBe(1.5);
  });

  it('names the file, the expectation and the finding for bad files', () => {
    const dir = tempDir();
    const bad = join(dir, 'bad-idx');
    writeFileSync(bad, Buffer.from('hello world'));
    expect(() => loadIdxPair(bad, bad)).toThrow(DatasetError);
    expect(() => loadIdxPair(bad, bad)).toThrow(/bad-idx: expected an IDX file .* found 11 bytes starting 68 65 6c 6c/);
    const truncated = join(dir, 'trunc');
    writeFileSync(truncated, idxUint8([10, 28, 28], [1, 2, 3]));
    expect(() => parseIdx(idxUint8([10, 28, 28], [1, 2, 3]), truncated)).toThrow(/expected 7856 bytes .* found 19 bytes \(truncated\)/);
    expect(() => loadIdxPair(join(dir, 'missing'), bad)).toThrow(/missing: expected an IDX file.*found no such file/);
    const imgs = join(dir, 'i');
    const labs = join(dir, 'l');
    writeFileSync(imgs, idxUint8([2, 1, 1], [0, 0]));
    writeFileSync(labs, idxUint8([3], [0, 0, 0]));
    expect(() => loadIdxPair(imgs, labs)).toThrow(/expected 2 labels .* found 3 labels/);
  });
});
