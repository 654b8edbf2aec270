import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetError, loadCifarDirectory, loadDataset, parseCifarBatches } from '../../lib/data/index.js';
import { cifar10Record, tempDir } from './helpers.js';

describe('CIFAR binary reader', () => {
  it('converts planar CHW records to HWC in [0, 1] and reads labels and names', () => {
    const dir = tempDir();
    const px = (c: number, y: number, x: number): number => (c * 50 + y * 3 + x) % 256;
    writeFileSync(join(dir, 'data_batch_1.bin'), Buffer.concat([cifar10Record(3, px), cifar10Record(9, () => 255)]));
    writeFileSync(join(dir, 'data_batch_2.bin'), cifar10Record(0, () => 0));
    writeFileSync(join(dir, 'test_batch.bin'), cifar10Record(4, () => 51));
    writeFileSync(join(dir, 'batches.meta.txt'), 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n');
    const s = loadCifarDirectory(dir);
    expect(s.train.y.length).toBe(3);
    expect([...s.train.y]).toEqual([3, 9, 0]);
    expect(s.train.sampleShape).toEqual([32, 32, 3]);
    // pixel (y=2, x=5), channel 1 of image 0
    expect(s.train.x[(2 * 32 + 5) * 3 + 1]).toBeCloseTo(px(1, 2, 5) / 255, 6);
    expect(s.train.x[3072 + 7]).toBe(1);
    expect(s.test?.x[100]).toBeCloseTo(0.2, 6);
    expect(s.train.classNames?.[3]).toBe('cat');
    expect(loadDataset(dir).train.y.length).toBe(3);
  });

  it('reads CIFAR-100 fine and coarse labels', () => {
    const dir = tempDir();
    const rec = Buffer.alloc(2 + 3072, 10);
    rec[0] = 17;
    rec[1] = 93;
    writeFileSync(join(dir, 'train.bin'), rec);
    writeFileSync(join(dir, 'test.bin'), rec);
    expect(loadCifarDirectory(dir).train.y[0]).toBe(93);
    expect(loadCifarDirectory(dir).train.numClasses).toBe(100);
    expect(loadCifarDirectory(dir, { coarse: true }).train.y[0]).toBe(17);
  });

  it('rejects a truncated batch, naming the file and the record size', () => {
    const dir = tempDir();
    const f = join(dir, 'data_batch_1.bin');
    writeFileSync(f, Buffer.alloc(3000));
    expect(() => parseCifarBatches([f], 'cifar10')).toThrow(DatasetError);
    expect(() => parseCifarBatches([f], 'cifar10')).toThrow(/data_batch_1\.bin: expected .*records of 3073 bytes.* found 3000 bytes/);
  });
});
