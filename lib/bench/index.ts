// convkit's benchmark runner: `CMD --cases /abs/path/cases.json [--filter REGEX]` prints the JSON
// lines of /work/shared/bench (README "The project's runner"), one per case it supports, plus one
// meta line, so it plugs into run-peers.sh --project-cmd. Kinds register in registry.ts; this file
// imports them for their side effect.
import { backendInfo, packageVersion } from '../backend.js';
import { native } from '../native/index.js';
import { loadCases } from './cases.js';
import { measure, protocolSettings, Reporter } from './protocol.js';
import { registeredKinds, setupFor, type PreparedCase } from './registry.js';
import './sgemm.js';
import { setModelSpecs } from './models.js';
import './conv.js';
import './movement.js';

export { measure, protocolSettings, Reporter, sig, type Measurement } from './protocol.js';
export { loadCases, intParam, randomFloat32, type BenchCase, type CasesFile } from './cases.js';
export { registerKind, registeredKinds, type CaseSetup, type PreparedCase } from './registry.js';

export interface BenchOptions {
  cases: string;
  filter?: string;
  /** Peer name in the JSON lines (default "convkit"). */
  peer?: string;
  /** Native threads (default: the pool's, i.e. CONVKIT_NUM_THREADS or the core count). */
  threads?: number;
  isa?: 'scalar' | 'avx2' | 'avx512';
}

const USAGE = 'usage: bench --cases /abs/path/cases.json [--filter REGEX] [--peer NAME] [--threads N] [--isa scalar|avx2|avx512]';

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const out: Partial<BenchOptions> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = argv[i + 1];
    const need = (): string => {
      if (v === undefined) throw new Error(`bench: ${a} needs a value\n${USAGE}`);
      i++;
      return v;
    };
    if (a === '--cases') out.cases = need();
    else if (a === '--filter') out.filter = need();
    else if (a === '--peer') out.peer = need();
    else if (a === '--threads') {
      const n = Number(need());
      if (!Number.isInteger(n) || n < 1) throw new Error(`bench: --threads must be a positive integer, got ${v}`);
      out.threads = n;
    } else if (a === '--isa') {
      const s = need();
      if (s !== 'scalar' && s !== 'avx2' && s !== 'avx512') throw new Error(`bench: --isa must be scalar|avx2|avx512, got ${s}`);
      out.isa = s;
    } else throw new Error(`bench: unknown argument ${a}\n${USAGE}`);
  }
  if (!out.cases) throw new Error(`bench: --cases is required\n${USAGE}`);
  return out as BenchOptions;
}

/** Runs the cases; returns the number of cases that failed (errors are also JSON lines). */
export async function runBench(opts: BenchOptions): Promise<number> {
  // stdout carries JSON lines only.
  console.log = console.error;
  console.info = console.error;
  console.warn = console.error;
  const n = native();
  if (opts.threads !== undefined) n.setNumThreads(opts.threads);
  if (opts.isa !== undefined) n.setIsa(opts.isa);
  const info = backendInfo();
  const rep = new Reporter(opts.peer ?? 'convkit', n.getNumThreads());
  const settings = protocolSettings();
  rep.meta({
    version: packageVersion(),
    isa: info.isa,
    cpu: info.cpu.brand.trim(),
    compiler: info.compiler,
    kinds: registeredKinds(),
    target_s: settings.targetS,
  });
  const { doc, cases } = loadCases(opts.cases, opts.filter);
  setModelSpecs(doc['models'] as Parameters<typeof setModelSpecs>[0]);
  let failed = 0;
  for (const c of cases) {
    const setup = setupFor(c.kind);
    if (!setup) continue; // a kind convkit does not run: no line ("–" in the table)
    let prepared: PreparedCase[] = [];
    try {
      const r = await setup(c);
      if (r === null) continue;
      if ('skipped' in r && !Array.isArray(r)) {
        rep.skipped(c, r.skipped);
        continue;
      }
      prepared = Array.isArray(r) ? r : [r as PreparedCase];
      for (const p of prepared) {
        try {
          await p.run();
          p.check?.();
          const m = await measure(p.run, settings);
          rep.result(c, m, { isa: info.isa, ...(p.extra ?? {}) }, p.peer ?? rep.peer);
        } catch (e) {
          failed++;
          rep.error(c, (e as Error).message ?? String(e), p.peer ?? rep.peer);
        }
      }
    } catch (e) {
      failed++;
      rep.error(c, (e as Error).message ?? String(e));
    } finally {
      for (const p of prepared) p.dispose?.();
    }
  }
  return failed;
}

/** CLI entry: parses argv, runs, sets the exit code (0 even when single cases fail, as run-peers expects). */
export async function benchMain(argv: readonly string[]): Promise<void> {
  try {
    await runBench(parseBenchArgs(argv));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exitCode = 2;
  }
}
