/** Saves are atomic: a failure before the rename leaves the old file intact and no temporary behind. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { atomicWriteFile } from '../../lib/io/atomic.js';
import { readModelFile } from '../../lib/io/readers/load_file.js';
import { writeModelFile, type SaveFormat } from '../../lib/io/writers/writers.js';
import { FIXTURES, fx } from './fixtures.js';

const dir = mkdtempSync(path.join(tmpdir(), 'convkit-io-atomic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('atomic writes', () => {
  it('replaces the file on success and keeps it on failure', async () => {
    const p = path.join(dir, 'a.bin');
    writeFileSync(p, 'old');
    await expect(atomicWriteFile(p, new Uint8Array([1, 2, 3]), { beforeRename: () => Promise.reject(new Error('boom')) })).rejects.toThrow('boom');
    expect(readFileSync(p, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['a.bin']);
    await atomicWriteFile(p, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(p)]).toEqual([1, 2, 3]);
    expect(readdirSync(dir)).toEqual(['a.bin']);
  });
  it('a failing write into a missing folder leaves nothing behind', async () => {
    await expect(atomicWriteFile(path.join(dir, 'nope', 'x.keras'), new Uint8Array(1))).rejects.toThrow(/ENOENT/);
  });
  it.skipIf(!FIXTURES)('every writer keeps the previous file when the save fails', async () => {
    const nm = await readModelFile(fx('k3-mlp-mnist-3formats', 'model.keras'));
    for (const [fmt, file] of [['keras', 'm.keras'], ['h5', 'm.h5'], ['weights.h5', 'm.weights.h5'], ['h5-weights', 'w.h5'], ['tfjs', 'model.json']] as [SaveFormat, string][]) {
      const sub = path.join(dir, fmt);
      await import('node:fs/promises').then((fs) => fs.mkdir(sub, { recursive: true }));
      const p = path.join(sub, file);
      writeFileSync(p, 'previous');
      await expect(writeModelFile(nm, p, fmt, { beforeRename: () => { throw new Error('simulated crash'); } })).rejects.toThrow('simulated crash');
      expect(readFileSync(p, 'utf8')).toBe('previous');
      expect(readdirSync(sub)).toEqual([file]);
      await writeModelFile(nm, p, fmt);
      const back = fmt === 'weights.h5' || fmt === 'h5-weights' ? await readModelFile(fx('k3-mlp-mnist-3formats', 'model.keras'), { weights: p }) : await readModelFile(p);
      expect(back.weights.length).toBe(4);
    }
  });
});
