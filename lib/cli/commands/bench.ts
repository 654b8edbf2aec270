/**
 * `convkit bench`: the benchmark runner of lib/bench (the shared peer-benchmark protocol and JSON
 * lines) behind the CLI's options, plus a table of the results. JSON lines stay on stdout so that
 * `run-peers.sh --project-cmd 'npx convkit bench'` works unchanged.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ParsedArgs } from '../args.js';
import { bool, int, str } from '../args.js';
import type { CliIO } from '../io.js';
import { EXIT_OK, UsageError } from '../errors.js';
import { formatTable } from '../table.js';
import { loadCases, runBench } from '../../bench/index.js';
import { packageRoot } from '../../native/index.js';

/** --cases, else $BENCH_CASES, else the team's shared cases next to the repository or the cwd. */
function findCases(given: string | undefined, env: NodeJS.ProcessEnv): string {
  if (given !== undefined) {
    if (!existsSync(given)) throw new UsageError(`--cases: no such file ${JSON.stringify(given)}`);
    return resolve(given);
  }
  const candidates = [env['BENCH_CASES'], join(packageRoot(), '..', 'shared', 'bench', 'cases.json'), join(process.cwd(), '..', 'shared', 'bench', 'cases.json'), join(process.cwd(), 'cases.json')].filter((p): p is string => !!p);
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new UsageError(`no cases file: pass --cases FILE (the format of shared/bench/cases.json) or set BENCH_CASES; looked in ${candidates.join(', ')}`);
  return found;
}

interface Line {
  peer?: string;
  case?: string;
  median_ms?: number;
  min_ms?: number;
  max_ms?: number;
  gflops?: number;
  pct_of_peak?: number | null;
  error?: string;
  skipped?: string;
  meta?: unknown;
  [k: string]: unknown;
}

export async function runBenchCommand(args: ParsedArgs, io: CliIO): Promise<number> {
  const cases = findCases(str(args, 'cases'), io.env);
  const filter = str(args, 'filter');
  const threads = int(args, 'threads', { min: 1, max: 1024 });
  if (filter !== undefined) {
    try {
      new RegExp(filter);
    } catch (e) {
      throw new UsageError(`--filter is not a valid regular expression: ${(e as Error).message}`);
    }
  }
  if (bool(args, 'list')) {
    for (const c of loadCases(cases, filter).cases) io.out(`${c.id}\t${c.kind}\t${c.desc ?? ''}\n`);
    return EXIT_OK;
  }
  const tableOnly = bool(args, 'table-only');
  // Tee the runner's stdout: keep its JSON lines for the table (and pass them on unless --table-only).
  const lines: Line[] = [];
  let pending = '';
  const original = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    pending += text;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const l = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      try {
        lines.push(JSON.parse(l) as Line);
      } catch {
        // not a JSON line: leave it alone
      }
    }
    if (tableOnly) return true;
    return (original as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  let failed: number;
  try {
    failed = await runBench({ cases, ...(filter !== undefined ? { filter } : {}), ...(threads !== undefined ? { threads } : {}) });
  } finally {
    process.stdout.write = original;
  }
  const results = lines.filter((l) => l.case !== undefined);
  const fmt = (v: unknown): string => (typeof v === 'number' ? String(v) : v === null || v === undefined ? '' : String(v));
  const table = formatTable(
    ['case', 'peer', 'median ms', 'min ms', 'max ms', 'GFLOPS', '% peak', 'note'],
    results.map((l) => [
      l.case!,
      l.peer ?? '',
      fmt(l.median_ms),
      fmt(l.min_ms),
      fmt(l.max_ms),
      fmt(l.gflops),
      fmt(l.pct_of_peak),
      l.error ? `error: ${l.error}` : l.skipped ? `skipped: ${l.skipped}` : fmt(l['algorithm'] ?? l['isa']),
    ]),
  );
  if (tableOnly) io.out(table);
  else io.err('\n' + table);
  if (results.length === 0) io.err(`convkit bench: no case of ${cases}${filter ? ` matching ${JSON.stringify(filter)}` : ''} is supported by this build\n`);
  // Exit 0 even when single cases fail (their error lines say so): the shared run-peers.sh protocol
  // reads a non-zero exit as a failed run of the whole runner.
  if (failed > 0) io.err(`convkit bench: ${failed} case(s) failed (see the error lines)\n`);
  return EXIT_OK;
}
