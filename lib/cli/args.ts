/**
 * Option declarations for each command and their parsing with node:util parseArgs (strict: unknown
 * options are usage errors). The same declarations generate `--help`, so help and parser never drift.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';

export interface OptionSpec {
  readonly name: string;
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** Shown as `--name VALUE`. */
  readonly value?: string;
  readonly description: string;
  readonly default?: string;
  readonly multiple?: boolean;
}

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  /** e.g. "convkit predict MODEL INPUT..." */
  readonly usage: string;
  readonly description?: string;
  readonly options: readonly OptionSpec[];
  readonly examples?: readonly string[];
  /** Number of positional arguments accepted: [min, max] (max Infinity for variadic). */
  readonly positionals: readonly [number, number];
}

export interface ParsedArgs {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
}

export const HELP_OPTION: OptionSpec = { name: 'help', short: 'h', type: 'boolean', description: 'show this help and exit' };

export function parseCommandArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const o of [...spec.options, HELP_OPTION]) {
    options[o.name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (e) {
    // parseArgs's messages are good ("Unknown option '--x'"); add where to look.
    throw new UsageError(`${(e as Error).message.replace(/\. To specify a positional.*$/s, '')}\nRun \`convkit ${spec.name} --help\` for the options.`);
  }
  const values = parsed.values as ParsedArgs['values'];
  if (values['help'] !== true) {
    const n = parsed.positionals.length;
    const [min, max] = spec.positionals;
    if (n < min) throw new UsageError(`missing argument: usage is \`${spec.usage}\``);
    if (n > max) throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[max])}: usage is \`${spec.usage}\``);
  }
  return { values, positionals: parsed.positionals };
}

function wrap(text: string, width: number, indent: number): string {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line.length > 0 && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.join('\n' + ' '.repeat(indent));
}

export function formatHelp(spec: CommandSpec): string {
  const out: string[] = [`Usage: ${spec.usage}`, '', spec.summary];
  if (spec.description) out.push('', spec.description);
  const opts = [...spec.options, HELP_OPTION];
  const left = opts.map((o) => `${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`);
  const col = Math.min(Math.max(...left.map((l) => l.length)) + 4, 34);
  out.push('', 'Options:');
  opts.forEach((o, i) => {
    const d = o.default !== undefined ? `${o.description} (default: ${o.default})` : o.description;
    const l = `  ${left[i]}`;
    out.push(l.length + 2 > col + 2 ? `${l}\n${' '.repeat(col + 2)}${wrap(d, 100 - col, col + 2)}` : `${l.padEnd(col + 2)}${wrap(d, 100 - col, col + 2)}`);
  });
  if (spec.examples?.length) out.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`));
  out.push('', 'Exit codes: 0 success, 1 runtime failure, 2 usage error, 130 interrupted.');
  return out.join('\n') + '\n';
}

// ---- typed accessors: each throws a UsageError naming the option and what it expects ----

export function str(a: ParsedArgs, name: string): string | undefined {
  const v = a.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function bool(a: ParsedArgs, name: string): boolean {
  return a.values[name] === true;
}

export function int(a: ParsedArgs, name: string, opts: { min?: number; max?: number } = {}): number | undefined {
  const s = str(a, name);
  if (s === undefined) return undefined;
  const v = Number(s);
  const min = opts.min ?? -Infinity;
  const max = opts.max ?? Infinity;
  if (!/^[+-]?\d+$/.test(s.trim()) || !Number.isSafeInteger(v) || v < min || v > max) {
    const range = min > -Infinity && max < Infinity ? ` in [${min}, ${max}]` : min > -Infinity ? ` ≥ ${min}` : '';
    throw new UsageError(`--${name} expects an integer${range}, got ${JSON.stringify(s)}`);
  }
  return v;
}

export function num(a: ParsedArgs, name: string, opts: { min?: number; max?: number; exclusiveMin?: boolean } = {}): number | undefined {
  const s = str(a, name);
  if (s === undefined) return undefined;
  const v = Number(s);
  const min = opts.min ?? -Infinity;
  const max = opts.max ?? Infinity;
  const lowOk = opts.exclusiveMin ? v > min : v >= min;
  if (s.trim() === '' || !Number.isFinite(v) || !lowOk || v > max) {
    throw new UsageError(`--${name} expects a number${min > -Infinity ? ` ${opts.exclusiveMin ? '>' : '≥'} ${min}` : ''}${max < Infinity ? ` and ≤ ${max}` : ''}, got ${JSON.stringify(s)}`);
  }
  return v;
}

export function choice<T extends string>(a: ParsedArgs, name: string, allowed: readonly T[]): T | undefined {
  const s = str(a, name);
  if (s === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(s)) throw new UsageError(`--${name} expects one of ${allowed.join(', ')}, got ${JSON.stringify(s)}`);
  return s as T;
}

export function list(a: ParsedArgs, name: string): string[] | undefined {
  const s = str(a, name);
  if (s === undefined) return undefined;
  return s.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
}

/** "28x28x1" / "32x32" → {height, width, channels}. */
export function size(a: ParsedArgs, name: string): { height: number; width: number; channels?: 1 | 3 } | undefined {
  const s = str(a, name);
  if (s === undefined) return undefined;
  const m = /^(\d+)x(\d+)(?:x([13]))?$/i.exec(s.trim());
  if (!m || Number(m[1]) === 0 || Number(m[2]) === 0) throw new UsageError(`--${name} expects HEIGHTxWIDTH or HEIGHTxWIDTHxCHANNELS (channels 1 or 3), e.g. 28x28x1, got ${JSON.stringify(s)}`);
  return { height: Number(m[1]), width: Number(m[2]), ...(m[3] ? { channels: Number(m[3]) as 1 | 3 } : {}) };
}
