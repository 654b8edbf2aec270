import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeNpy } from '../../lib/data/index.js';
import { convkit, tempDir } from './helpers.js';

describe('model files across commands', () => {
  it('train --out/--checkpoint writes files that evaluate, predict, summary, and train --resume read', async () => {
    const dir = tempDir();
    const t = await convkit(['train', '--limit', '96', '--epochs', '2', '--out', 'final.keras', '--checkpoint', 'best.h5', '--quiet', '--no-plot'], { cwd: dir });
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toContain('wrote model final.keras');
    expect(existsSync(join(dir, 'final.keras'))).toBe(true);
    expect(existsSync(join(dir, 'best.h5'))).toBe(true);

    const e = await convkit(['evaluate', 'final.keras', '--limit', '40', '--json'], { cwd: dir });
    expect(e.code, e.stderr).toBe(0);
    expect((JSON.parse(e.stdout) as { samples: number }).samples).toBe(40);

    writeFileSync(join(dir, 'x.npy'), encodeNpy(new Float32Array(2 * 784).fill(0.3), [2, 28, 28, 1]));
    const p = await convkit(['predict', 'best.h5', 'x.npy'], { cwd: dir });
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout.trim().split('\n')).toHaveLength(2);

    const s = await convkit(['summary', 'final.keras'], { cwd: dir });
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toMatch(/Total params: 61,706/);

    const r = await convkit(['train', '--checkpoint', 'best.h5', '--resume', '--limit', '64', '--epochs', '1', '--quiet', '--no-plot'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/trained 1 epoch/);
  });

  it('Ctrl-C (SIGINT) stops after the current batch, saves a checkpoint and exits 130', async () => {
    const dir = tempDir();
    let sent = false;
    const r = await convkit(['train', '--limit', '4000', '--epochs', '50', '--batch-size', '16', '--checkpoint', 'ck.keras', '--no-plot'], {
      cwd: dir,
      onStderr: (chunk, child) => {
        if (!sent && chunk.includes('Epoch 1/50')) {
          sent = true;
          setTimeout(() => child.kill('SIGINT'), 300);
        }
      },
    });
    expect(sent).toBe(true);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/stopping after the current batch/);
    expect(r.stdout).toMatch(/interrupted after \d+ epochs?/);
    expect(r.stdout).toContain('wrote checkpoint ck.keras');
    const e = await convkit(['evaluate', 'ck.keras', '--limit', '20'], { cwd: dir });
    expect(e.code, e.stderr).toBe(0);
  });

  it('reports a damaged model file with exit 1 and the file name', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'broken.keras'), Buffer.from('PK\x03\x04 truncated zip'));
    const r = await convkit(['summary', 'broken.keras'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/broken\.keras/);
  });
});
