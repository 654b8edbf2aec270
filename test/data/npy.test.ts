import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { DatasetError, encodeNpy, encodeNpz, loadDataset, loadNpz, parseNpy, parseNpz } from '../../lib/data/index.js';
import { tempDir } from './helpers.js';

/** An .npy written by hand from the format spec, independent of encodeNpy. */
function handNpy(header: string, payload: Buffer, major = 1): Buffer {
  const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const len = Buffer.alloc(major === 1 ? 2 : 4);
  if (major === 1) len.writeUInt16LE(header.length);
  else len.writeUInt32LE(header.length);
  return Buffer.concat([pre, len, Buffer.from(header, 'latin1'), payload]);
}

describe('.npy', () => {
  it('parses a hand-written little-endian float32 array', () => {
    const payload = Buffer.alloc(12);
    [1.5, -2, 3.25].forEach((v, i) => payload.writeFloatLE(v, 4 * i));
    const a = parseNpy(handNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }\n", payload));
    expect(a.shape).toEqual([3]);
    expect([...a.data]).toEqual([1.5, -2, 3.25]);
  });

  it('parses big-endian int64 (v2 header) and Fortran order', () => {
    const p = Buffer.alloc(16);
    p.writeBigInt64BE(-7n, 0);
    p.writeBigInt64BE(123456789n, 8);
    expect([...parseNpy(handNpy("{'descr': '>i8', 'fortran_order': False, 'shape': (2,), }", p, 2)).data]).toEqual([-7, 123456789]);
    // 2×3 matrix [[1,2,3],[4,5,6]] stored column-major: 1 4 2 5 3 6
    const f = Buffer.alloc(24);
    [1, 4, 2, 5, 3, 6].forEach((v, i) => f.writeInt32LE(v, 4 * i));
    const a = parseNpy(handNpy("{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }", f));
    expect([...a.data]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('round-trips through encodeNpy with a 64-byte aligned header', () => {
    const data = Float32Array.from({ length: 24 }, (_, i) => i / 7);
    const buf = encodeNpy(data, [2, 3, 4]);
    expect((10 + buf.readUInt16LE(8)) % 64).toBe(0);
    const back = parseNpy(buf);
    expect(back.shape).toEqual([2, 3, 4]);
    expect([...back.data]).toEqual([...data]);
    expect(parseNpy(encodeNpy(Int32Array.of(5), [1])).shape).toEqual([1]);
  });

  it('rejects bad magic, unknown dtypes and truncated data with a DatasetError', () => {
    expect(() => parseNpy(Buffer.from('not numpy at all'), 'a.npy')).toThrow(/a\.npy: expected a NumPy \.npy array/);
    expect(() => parseNpy(handNpy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", Buffer.alloc(8)), 'c.npy')).toThrow(/dtype '<c8'/);
    expect(() => parseNpy(handNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (10,), }", Buffer.alloc(8)), 't.npy')).toThrow(DatasetError);
  });
});

describe('.npz', () => {
  it('loads x_train/y_train/x_test/y_test, scaling uint8 images and adding a channel axis', () => {
    const dir = tempDir();
    const file = join(dir, 'd.npz');
    const xTrain = Uint8Array.from({ length: 4 * 2 * 2 }, (_, i) => i * 10);
    writeFileSync(file, encodeNpz({
      x_train: { data: xTrain, shape: [4, 2, 2] },
      y_train: { data: Int32Array.of(0, 1, 2, 1), shape: [4] },
      x_test: { data: new Uint8Array(8), shape: [2, 2, 2] },
      // one-hot test labels → argmax
      y_test: { data: Float32Array.of(0, 0, 1, 0, 1, 0), shape: [2, 3] },
    }, true));
    const s = loadNpz(file);
    expect(s.train.sampleShape).toEqual([2, 2, 1]);
    expect(s.train.x[3]).toBeCloseTo(30 / 255, 6);
    expect(s.train.numClasses).toBe(3);
    expect([...s.test!.y]).toEqual([2, 1]);
    expect(loadDataset(file).train.y.length).toBe(4);
  });

  it('reads an archive written by another zip writer and names missing arrays', () => {
    const dir = tempDir();
    const file = join(dir, 'other.npz');
    writeFileSync(file, zipSync({ 'weights.npy': encodeNpy(Float32Array.of(1, 2), [2]) }));
    expect([...parseNpz(new Uint8Array(zipSync({ 'a.npy': encodeNpy(Float32Array.of(3), [1]) }))).keys()]).toEqual(['a']);
    expect(() => loadNpz(file)).toThrow(/expected arrays named x_train and y_train .* found arrays weights/);
    writeFileSync(join(dir, 'junk.npz'), 'garbage');
    expect(() => loadNpz(join(dir, 'junk.npz'))).toThrow(/junk\.npz: expected an \.npz archive/);
  });
});
