// The benchmark runner (lib/bench): argument parsing, case filtering, the protocol's sample counts
// and the JSON lines' shape (as /work/shared/bench/format.mjs --check expects). Speed itself is
// never asserted here; the protocol is exercised with a tiny time target.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCases, measure, parseBenchArgs, Reporter, sig } from '../lib/bench/index.js';

const casesDoc = {
  cases: [
    { id: 'sgemm_3', group: 'sgemm', kind: 'sgemm', params: { M: 3, N: 5, K: 7 }, flops: 210 },
    { id: 'sgemm_17x9x33', group: 'sgemm', kind: 'sgemm', params: { M: 17, N: 9, K: 33 }, flops: 2 * 17 * 9 * 33 },
    { id: 'conv_x', group: 'conv', kind: 'conv2d', params: {}, flops: 1 },
  ],
};

function casesFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'convkit-bench-'));
  const p = join(dir, 'cases.json');
  writeFileSync(p, JSON.stringify(casesDoc));
  return p;
}

describe('bench runner', () => {
  it('parses the run-peers.sh command line and rejects unknown options', () => {
    expect(parseBenchArgs(['--cases', '/x/cases.json', '--filter', '^sgemm'])).toEqual({ cases: '/x/cases.json', filter: '^sgemm' });
    expect(() => parseBenchArgs(['--filter', 'x'])).toThrow(/--cases is required/);
    expect(() => parseBenchArgs(['--cases', 'a', '--bogus', '1'])).toThrow(/unknown argument --bogus/);
    expect(() => parseBenchArgs(['--cases', 'a', '--threads', '0'])).toThrow(/positive integer/);
  });

  it('filters case ids with an unanchored regular expression', () => {
    const p = casesFile();
    expect(loadCases(p, 'x9').cases.map((c) => c.id)).toEqual(['sgemm_17x9x33']);
    expect(loadCases(p).cases).toHaveLength(3);
    expect(() => loadCases(p, '(')).toThrow(/not a valid regular expression/);
  });

  it('follows the timing protocol (inner calls per sample, 2..30 samples) and writes median/min/max lines', async () => {
    let calls = 0;
    const m = await measure(() => {
      calls++;
      const t = performance.now();
      while (performance.now() - t < 0.5); // 0.5 ms per call
    }, { targetS: 0.1, maxCaseS: 8 });
    // inner = ceil(10 ms / last warm-up call) and that call took >= 0.5 ms (more on a busy machine).
    expect(m.inner).toBeGreaterThanOrEqual(1);
    expect(m.inner).toBeLessThanOrEqual(20);
    expect(m.times.length).toBeGreaterThanOrEqual(2);
    expect(m.times.length).toBeLessThanOrEqual(30);
    expect(calls).toBeGreaterThan(m.inner * m.times.length);
    const lines: string[] = [];
    const rep = new Reporter('convkit', 2, (l) => lines.push(l));
    rep.meta({ version: 'test' });
    rep.result({ id: 'sgemm_3', flops: 1e6 }, { times: [0.002, 0.001, 0.003], inner: 4 });
    const [meta, res] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(meta).toEqual({ peer: 'convkit', meta: { version: 'test', threads: 2 } });
    expect(res).toMatchObject({ peer: 'convkit', case: 'sgemm_3', median_ms: 2, min_ms: 1, max_ms: 3, gflops: 0.5, threads: 2, samples: 3, inner: 4 });
    expect(sig(123456, 3)).toBe(123000);
    expect(sig(0.00123456)).toBe(0.001235);
  });

  it('runs sgemm cases end to end through scripts/bench.mjs-equivalent runBench', async () => {
    const { runBench } = await import('../lib/bench/index.js');
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    const prev = process.env.BENCH_TARGET_S;
    process.env.BENCH_TARGET_S = '0.02';
    process.env.CONVKIT_BENCH_PREPACKED = '1';
    (process.stdout as { write: unknown }).write = (s: string) => {
      out.push(s);
      return true;
    };
    const log = console.log;
    try {
      const failed = await runBench({ cases: casesFile(), filter: 'sgemm' });
      expect(failed).toBe(0);
    } finally {
      (process.stdout as { write: unknown }).write = write;
      console.log = log;
      delete process.env.CONVKIT_BENCH_PREPACKED;
      if (prev === undefined) delete process.env.BENCH_TARGET_S;
      else process.env.BENCH_TARGET_S = prev;
    }
    const lines = out.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toHaveProperty('meta');
    // conv_x filtered out; with CONVKIT_BENCH_PREPACKED=1 each sgemm case twice: convkit, then
    // convkit-prepacked (B packed in set-up).
    expect(lines.slice(1).map((l) => `${l['peer']}/${l['case']}`)).toEqual([
      'convkit/sgemm_3', 'convkit-prepacked/sgemm_3', 'convkit/sgemm_17x9x33', 'convkit-prepacked/sgemm_17x9x33']);
    for (const l of lines.slice(1)) {
      for (const k of ['median_ms', 'min_ms', 'max_ms', 'gflops']) expect(typeof l[k]).toBe('number');
      expect(l).toHaveProperty('pct_of_peak');
    }
  });
});
