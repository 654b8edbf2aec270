import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convkit, tempDir } from './helpers.js';

const CASES = {
  cases: [
    { id: 'sgemm_64', group: 'sgemm', kind: 'sgemm', desc: 'square 64', params: { M: 64, N: 64, K: 64 }, flops: 2 * 64 ** 3 },
    { id: 'sgemm_33x17x9', group: 'sgemm', kind: 'sgemm', desc: 'odd', params: { M: 33, N: 17, K: 9 }, flops: 2 * 33 * 17 * 9 },
    { id: 'not_a_kind', group: 'x', kind: 'frobnicate', params: {}, flops: 1 },
  ],
};

describe('convkit bench', () => {
  it('prints the shared JSON lines on stdout and a table on stderr, honouring --filter', async () => {
    const dir = tempDir();
    const file = join(dir, 'cases.json');
    writeFileSync(file, JSON.stringify(CASES));
    const env = { BENCH_TARGET_S: '0.02', BENCH_MAX_CASE_S: '0.2' };
    const r = await convkit(['bench', '--cases', file, '--filter', 'sgemm'], { env });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const results = lines.filter((l) => 'case' in l);
    expect(results.map((l) => l['case'])).toEqual(['sgemm_64', 'sgemm_33x17x9']);
    for (const l of results) {
      for (const k of ['peer', 'median_ms', 'min_ms', 'max_ms', 'gflops', 'pct_of_peak']) expect(l).toHaveProperty(k);
      expect(l['median_ms'] as number).toBeGreaterThan(0);
    }
    expect(lines.some((l) => 'meta' in l)).toBe(true);
    expect(r.stderr).toMatch(/case +peer +median ms/);
    expect(r.stderr).toMatch(/sgemm_33x17x9/);

    const list = await convkit(['bench', '--cases', file, '--list']);
    expect(list.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0])).toEqual(['sgemm_64', 'sgemm_33x17x9', 'not_a_kind']);
    const table = await convkit(['bench', '--cases', file, '--filter', '^sgemm_64$', '--table-only'], { env });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^case +peer/);
    expect(table.stdout).not.toMatch(/^\{/m);
  });

  it('exits 2 for a missing cases file or a bad filter', async () => {
    const r = await convkit(['bench', '--cases', '/no/such/cases.json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--cases: no such file/);
    const dir = tempDir();
    writeFileSync(join(dir, 'c.json'), JSON.stringify(CASES));
    const f = await convkit(['bench', '--cases', join(dir, 'c.json'), '--filter', '(']);
    expect(f.code).toBe(2);
    expect(f.stderr).toMatch(/--filter is not a valid regular expression/);
  });
});
