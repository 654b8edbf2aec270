import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { encodeNpy, parseNpy } from '../../lib/data/index.js';
import { convkit, tempDir } from './helpers.js';

function digitPng(size: number, dark: boolean): Buffer {
  const png = new PNG({ width: size, height: size });
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    const ink = Math.abs(x - size / 2) < size / 8 ? 1 : 0; // a vertical bar, like a "1"
    const v = Math.round((dark ? 1 - ink : ink) * 255);
    png.data.set([v, v, v, 255], 4 * (y * size + x));
  }
  return PNG.sync.write(png);
}

describe('convkit evaluate', () => {
  it('prints loss, accuracy and a 10×10 confusion matrix; --json has the same numbers', async () => {
    const r = await convkit(['evaluate', 'lenet5', '--limit', '50']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/test part, 50 samples/);
    expect(r.stdout).toMatch(/^ {2}loss +\d+\.\d{4}$/m);
    expect(r.stdout).toMatch(/^ {2}accuracy +\d\.\d{4}$/m);
    expect(r.stdout).toMatch(/confusion matrix/);
    expect(r.stdout).toMatch(/true \\ pred +0 +1 +2 +3 +4 +5 +6 +7 +8 +9 +recall +precision/);
    const j = await convkit(['evaluate', 'lenet5', '--limit', '50', '--json']);
    expect(j.code, j.stderr).toBe(0);
    const o = JSON.parse(j.stdout) as { samples: number; loss: number; accuracy: number; confusion: number[][] };
    expect(o.samples).toBe(50);
    expect(o.confusion).toHaveLength(10);
    const total = o.confusion.flat().reduce((a, b) => a + b, 0);
    expect(total).toBe(50);
    const diag = o.confusion.reduce((a, row, i) => a + row[i]!, 0);
    expect(o.accuracy).toBeCloseTo(diag / 50, 5);
  });

  it('fails with exit 1 for a missing model file and a malformed dataset, 2 for usage', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'broken.keras'), 'not a zip');
    const bad = await convkit(['evaluate', join(dir, 'broken.keras')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/broken\.keras/);
    const nodata = await convkit(['evaluate', 'lenet5', '--data', join(dir, 'missing-dir')]);
    expect(nodata.code).toBe(1);
    expect(nodata.stderr).toMatch(/missing-dir: expected a built-in dataset/);
    const usage = await convkit(['evaluate']);
    expect(usage.code).toBe(2);
  });
});

describe('convkit predict', () => {
  it('prints top-k classes for PNG images (resized), .npy and .json inputs', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'one.png'), digitPng(56, true));
    writeFileSync(join(dir, 'batch.npy'), encodeNpy(new Float32Array(3 * 784).fill(0.5), [3, 28, 28, 1]));
    writeFileSync(join(dir, 'one.json'), JSON.stringify(Array.from({ length: 28 }, () => Array.from({ length: 28 }, () => [0]))));
    writeFileSync(join(dir, 'labels.txt'), 'zero\none\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\n');
    const r = await convkit(['predict', 'lenet5', 'one.png', 'batch.npy', 'one.json', '--top', '2', '--scale', 'invert', '--labels', 'labels.txt'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.map((l) => l.split(':')[0])).toEqual(['one.png', 'batch.npy[0]', 'batch.npy[1]', 'batch.npy[2]', 'one.json']);
    for (const l of lines) expect(l).toMatch(/: [a-z]+ \(\d\.\d{4}\), [a-z]+ \(\d\.\d{4}\)$/);
    const j = await convkit(['predict', 'lenet5', 'one.json', '--json', '--top', '10'], { cwd: dir });
    const top = (JSON.parse(j.stdout.trim()) as { top: { score: number }[] }).top;
    expect(top).toHaveLength(10);
    expect(top.reduce((a, t) => a + t.score, 0)).toBeCloseTo(1, 4); // softmax output
    for (let i = 1; i < top.length; i++) expect(top[i - 1]!.score).toBeGreaterThanOrEqual(top[i]!.score);
  });

  it('writes every output row to .npy or .json with --output', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'batch.npy'), encodeNpy(new Float32Array(4 * 784).fill(0.25), [4, 28, 28, 1]));
    const r = await convkit(['predict', 'lenet5', 'batch.npy', '--output', 'out.npy'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/wrote 4 output rows of shape \[10\] to out\.npy/);
    const out = parseNpy(readFileSync(join(dir, 'out.npy')));
    expect(out.shape).toEqual([4, 10]);
    const j = await convkit(['predict', 'lenet5', 'batch.npy', '--output', 'out.json'], { cwd: dir });
    expect(j.code).toBe(0);
    const rows = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as { input: string; output: number[] }[];
    expect(rows).toHaveLength(4);
    expect(rows[2]!.output).toHaveLength(10);
  });

  it('names the input file and the expected shape for bad inputs', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'wrong.npy'), encodeNpy(new Float32Array(10), [10]));
    writeFileSync(join(dir, 'bad.json'), '{"not": "an array"');
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    const cases: [string, RegExp][] = [
      ['wrong.npy', /wrong\.npy: expected one sample of shape \[28, 28, 1\] or a batch \[n, 28, 28, 1\], found shape \[10\]/],
      ['bad.json', /bad\.json: expected valid JSON/],
      ['notes.txt', /notes\.txt: expected a PNG or JPEG image, an \.npy array or a \.json array/],
      ['missing.png', /missing\.png: expected an input file .* found no such file/],
    ];
    for (const [f, msg] of cases) {
      const r = await convkit(['predict', 'lenet5', f], { cwd: dir });
      expect(r.code, f).toBe(1);
      expect(r.stderr).toMatch(msg);
    }
    const u = await convkit(['predict', 'lenet5', 'x.png', '--scale', 'huge'], { cwd: dir });
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/--scale expects one of unit, byte, symmetric, invert/);
  });
});

describe('convkit summary', () => {
  it('prints layers with receptive fields, FLOPs and the conv algorithm chosen; --json too', async () => {
    const r = await convkit(['summary', 'lenet5']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Layer \(type\) +Output shape +Params +Receptive field +FLOPs\/sample +Conv algorithm/);
    expect(r.stdout).toMatch(/conv2d \(Conv2D\) +\(None, 28, 28, 6\) +156 +5x5 +235,200 +(direct|im2col|winograd\S*|fft\S*)/);
    expect(r.stdout).toMatch(/Total params: 61,706/);
    const j = await convkit(['summary', 'cifar-baseline', '--json', '--batch-size', '4']);
    expect(j.code, j.stderr).toBe(0);
    const o = JSON.parse(j.stdout) as { totalParams: number; layers: { type: string; convAlgorithm: string | null }[] };
    expect(o.totalParams).toBe(198506);
    const conv = o.layers.find((l) => l.type === 'Conv2D')!;
    expect(typeof conv.convAlgorithm).toBe('string');
    const bad = await convkit(['summary', 'no-such-model']);
    expect(bad.code).toBe(2);
  });
});
