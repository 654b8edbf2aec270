import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { DatasetError, decodeImage, encodeJpeg, encodePng, loadDataset, loadImageFolder, resizeBilinear } from '../../lib/data/index.js';
import { tempDir } from './helpers.js';

function solid(width: number, height: number, rgb: [number, number, number]): Buffer {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) png.data.set([...rgb, 255], 4 * i);
  return PNG.sync.write(png);
}

describe('image decoding and resizing', () => {
  it('decodes PNG to RGB and to BT.601 grey', () => {
    const buf = solid(3, 2, [255, 0, 0]);
    const rgb = decodeImage(buf, 3);
    expect([rgb.width, rgb.height, rgb.channels]).toEqual([3, 2, 3]);
    expect([...rgb.data.subarray(0, 3)]).toEqual([1, 0, 0]);
    expect(decodeImage(buf, 1).data[0]).toBeCloseTo(0.299, 6);
  });

  it('decodes a JPEG (lossy, so approximately)', () => {
    const img = { width: 16, height: 16, channels: 3, data: new Float32Array(16 * 16 * 3).fill(0.5) };
    const back = decodeImage(encodeJpeg(img, 95), 3);
    expect(back.width).toBe(16);
    for (const v of back.data) expect(Math.abs(v - 0.5)).toBeLessThan(0.03);
  });

  it('resizes bilinearly with half-pixel centres', () => {
    // 1×2 → 1×4: source samples at x = -0.25, 0.25, 0.75, 1.25 → clamp → [a, .75a+.25b, .25a+.75b, b]
    const r = resizeBilinear({ width: 2, height: 1, channels: 1, data: Float32Array.of(0, 1) }, 4, 1);
    expect([...r.data].map((v) => Number(v.toFixed(4)))).toEqual([0, 0.25, 0.75, 1]);
    // downscale of a constant stays constant
    const c = resizeBilinear({ width: 5, height: 5, channels: 1, data: new Float32Array(25).fill(0.3) }, 2, 2);
    for (const v of c.data) expect(v).toBeCloseTo(0.3, 6);
  });

  it('round-trips encodePng', () => {
    const img = { width: 2, height: 2, channels: 1, data: Float32Array.of(0, 1, 0.5, 0.2) };
    const back = decodeImage(encodePng(img), 1);
    expect([...back.data].map((v) => Math.round(v * 255))).toEqual([0, 255, 128, 51]);
  });

  it('names the file for non-images and damaged images', () => {
    expect(() => decodeImage(Buffer.from('GIF89a...'), 3, 'x.gif')).toThrow(/x\.gif: expected a PNG or JPEG image/);
    const broken = solid(4, 4, [1, 2, 3]).subarray(0, 40);
    expect(() => decodeImage(broken, 3, 'b.png')).toThrow(DatasetError);
  });
});

describe('image folder', () => {
  it('uses sorted subfolder names as classes and resizes every image', () => {
    const root = tempDir();
    for (const [cls, rgb] of [['cats', [255, 255, 255]], ['dogs', [0, 0, 0]]] as const) {
      mkdirSync(join(root, cls));
      writeFileSync(join(root, cls, 'a.png'), solid(10, 6, [...rgb]));
      writeFileSync(join(root, cls, 'b.jpg'), encodeJpeg({ width: 8, height: 8, channels: 3, data: new Float32Array(192).fill(rgb[0] / 255) }));
      writeFileSync(join(root, cls, 'notes.txt'), 'ignored');
    }
    const ds = loadImageFolder(root, { width: 4, height: 4, channels: 3 });
    expect(ds.classNames).toEqual(['cats', 'dogs']);
    expect([...ds.y]).toEqual([0, 0, 1, 1]);
    expect(ds.sampleShape).toEqual([4, 4, 3]);
    expect(ds.x[0]).toBeCloseTo(1, 5);
    expect(ds.x[2 * 48]).toBeLessThan(0.03);
    expect(loadDataset(root, { imageSize: { width: 4, height: 4, channels: 1 } }).train.sampleShape).toEqual([4, 4, 1]);
  });

  it('rejects a folder without class subfolders', () => {
    const root = tempDir();
    writeFileSync(join(root, 'x.png'), solid(2, 2, [0, 0, 0]));
    expect(() => loadImageFolder(root, { width: 2, height: 2, channels: 1 })).toThrow(/expected a directory with at least two class subfolders/);
    expect(() => loadDataset(root)).toThrow(DatasetError);
  });
});
