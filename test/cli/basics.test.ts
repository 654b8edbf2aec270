import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convkit, ROOT, runNode } from './helpers.js';

/** dist/ is built by `npm install` (prepare → tsup); a dist older than the CLI sources is not what we want to test. */
function distIsFresh(): boolean {
  const dist = join(ROOT, 'dist', 'index.cjs');
  if (!existsSync(dist)) return false;
  return statSync(dist).mtimeMs >= statSync(join(ROOT, 'lib', 'cli', 'main.ts')).mtimeMs;
}

describe('convkit: help, exit codes, info, doctor', () => {
  it('prints the command list with no arguments and with --help (exit 0)', async () => {
    for (const args of [[], ['--help']]) {
      const r = await convkit(args);
      expect(r.code).toBe(0);
      for (const c of ['train', 'evaluate', 'predict', 'summary', 'bench', 'serve', 'info', 'doctor']) expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
      expect(r.stdout).toContain('Exit codes: 0 success, 1 runtime failure');
    }
  });

  it('has --help on every command, listing its options (exit 0)', async () => {
    const want: Record<string, string[]> = {
      train: ['--epochs', '--batch-size', '--optimizer', '--lr', '--loss', '--metrics', '--validation-split', '--seed', '--threads', '--checkpoint', '--resume', '--out', '--history', '--plot'],
      evaluate: ['--data', '--batch-size'],
      predict: ['--top', '--scale', '--resize', '--output'],
      summary: ['--batch-size', '--json'],
      bench: ['--cases', '--filter'],
      serve: ['--port', '--host', '--max-batch-size', '--max-delay-ms', '--threads'],
      info: ['--json'],
      doctor: ['--json'],
    };
    await Promise.all(
      Object.entries(want).map(async ([cmd, opts]) => {
        const r = await convkit([cmd, '--help']);
        expect(r.code, cmd).toBe(0);
        expect(r.stdout).toMatch(new RegExp(`^Usage: convkit ${cmd}`));
        for (const o of opts) expect(r.stdout, `${cmd} ${o}`).toContain(o);
      }),
    );
  });

  it('exits 2 with a message on stderr for usage errors', async () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /unknown command "frobnicate"/],
      [['train', '--bogus'], /Unknown option '--bogus'/],
      [['info', 'extra'], /unexpected argument "extra"/],
      [['predict', 'model.keras'], /missing argument: usage is `convkit predict MODEL INPUT/],
      [['summary'], /missing argument/],
    ];
    for (const [args, msg] of cases) {
      const r = await convkit(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stdout).toBe('');
    }
  });

  it('info prints the backend (and --json parses)', async () => {
    const r = await convkit(['info']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^convkit \d+\.\d+\.\d+/);
    expect(r.stdout).toMatch(/ISA: +(scalar|avx2|avx512)/);
    const j = await convkit(['info', '--json']);
    const info = JSON.parse(j.stdout) as { isa: string; threads: number };
    expect(['scalar', 'avx2', 'avx512']).toContain(info.isa);
    expect(info.threads).toBeGreaterThanOrEqual(1);
  });

  it('doctor checks platform, libc, node, cpu, addon; exits 0 here and 1 with the fix when the addon is missing', async () => {
    const ok = await convkit(['doctor', '--json']);
    expect(ok.code).toBe(0);
    const report = JSON.parse(ok.stdout) as { ok: boolean; checks: { name: string; status: string }[] };
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['platform', 'node', 'cpu', 'addon']));
    const bad = await convkit(['doctor'], { env: { CONVKIT_ADDON: '/nonexistent/convkit.node' } });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/✗ addon .*CONVKIT_ADDON=\/nonexistent\/convkit\.node does not exist/);
    expect(bad.stdout).toContain('fix:');
    const isa = await convkit(['doctor'], { env: { CONVKIT_ISA: 'avx9000' } });
    expect(isa.code).toBe(1);
    expect(isa.stdout).toMatch(/CONVKIT_ISA.*\n.*fix: use scalar, avx2 or avx512/);
  });

  it.skipIf(!distIsFresh())('bin/convkit.cjs runs the built CLI', async () => {
    const r = await runNode([join(ROOT, 'bin', 'convkit.cjs'), '--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const u = await runNode([join(ROOT, 'bin', 'convkit.cjs'), 'nope']);
    expect(u.code).toBe(2);
  });
});
