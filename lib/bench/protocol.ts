// The timing protocol and JSON lines of the shared peer benchmark (/work/shared/bench/README.md,
// "Timing protocol" and "JSON lines"), implemented exactly as its benchlib.mjs/benchlib.py do, so
// convkit's numbers sit in the same table as the peers':
//  1. set-up outside the timed region (the caller), output checked once;
//  2. warm-up: >= 2 calls and >= 0.2 s, or 1 call if a call takes >= 1 s;
//  3. inner = ceil(0.01 s / last warm-up call), >= 1 (a sample lasts >= 10 ms);
//  4. samples = round(BENCH_TARGET_S / (inner t)) clamped to 5..30 (3 for calls >= 1 s), at most
//     BENCH_MAX_CASE_S worth, at least 2;
//  5. per-call time = sample time / inner; median, min and max reported;
//  6. a call returns with its result computed (promises awaited per call).
import { performance } from 'node:perf_hooks';

const num = (name: string, dflt: number): number => {
  const v = process.env[name];
  return v !== undefined && v !== '' && Number.isFinite(Number(v)) ? Number(v) : dflt;
};

export interface ProtocolSettings {
  targetS: number;
  maxCaseS: number;
}

export function protocolSettings(): ProtocolSettings {
  return { targetS: num('BENCH_TARGET_S', 0.8), maxCaseS: num('BENCH_MAX_CASE_S', 8) };
}

const WARMUP_S = 0.2;
const SLOW_CALL_S = 1.0;
const SAMPLE_MIN_S = 0.01;
const MIN_SAMPLES = 5;
const MAX_SAMPLES = 30;
const SLOW_SAMPLES = 3;

export interface Measurement {
  /** Per-call seconds of each sample. */
  times: number[];
  inner: number;
}

/** Times fn (sync, or returning a promise awaited per call) with the shared protocol. */
export async function measure(fn: () => unknown, settings = protocolSettings()): Promise<Measurement> {
  const now = (): number => performance.now() / 1e3;
  const call = async (): Promise<void> => {
    const r = fn();
    if (r !== null && typeof r === 'object' && typeof (r as Promise<unknown>).then === 'function') await r;
  };
  const start = now();
  let calls = 0;
  let dt = 0;
  for (;;) {
    const t0 = now();
    await call();
    dt = now() - t0;
    calls++;
    if (dt >= SLOW_CALL_S || (calls >= 2 && now() - start >= WARMUP_S)) break;
  }
  const tCall = Math.max(dt, 1e-9);
  const inner = Math.max(1, Math.ceil(SAMPLE_MIN_S / tCall));
  let samples =
    tCall >= SLOW_CALL_S
      ? SLOW_SAMPLES
      : Math.min(MAX_SAMPLES, Math.max(MIN_SAMPLES, Math.round(settings.targetS / (inner * tCall))));
  samples = Math.max(2, Math.min(samples, Math.floor(settings.maxCaseS / (inner * tCall))));
  const times: number[] = [];
  for (let s = 0; s < samples; s++) {
    const t0 = now();
    for (let i = 0; i < inner; i++) await call();
    times.push((now() - t0) / inner);
  }
  return { times, inner };
}

/** Rounds to `digits` significant digits (as benchlib's sig()). */
export function sig(x: number, digits = 4): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const p = digits - 1 - Math.floor(Math.log10(Math.abs(x)));
  return p >= 0 ? Math.round(x * 10 ** p) / 10 ** p : Math.round(x / 10 ** -p) * 10 ** -p;
}

export interface CaseRef {
  id: string;
  flops: number;
}

/** Writes the JSON lines (stdout only carries JSON; progress goes to stderr). */
export class Reporter {
  readonly peak: number | null;
  constructor(
    readonly peer: string,
    readonly threads: number,
    private readonly write: (line: string) => void = (l) => process.stdout.write(l),
  ) {
    const p = process.env.BENCH_PEAK_GFLOPS;
    this.peak = p !== undefined && p !== '' && Number(p) > 0 ? Number(p) : null;
  }

  emit(obj: Record<string, unknown>): void {
    this.write(JSON.stringify(obj) + '\n');
  }

  meta(info: Record<string, unknown>): void {
    this.emit({ peer: this.peer, meta: { ...info, threads: this.threads } });
  }

  result(c: CaseRef, m: Measurement, extra: Record<string, unknown> = {}, peer = this.peer): void {
    const t = [...m.times].sort((a, b) => a - b);
    const n = t.length;
    const med = n % 2 ? t[(n - 1) / 2]! : 0.5 * (t[n / 2 - 1]! + t[n / 2]!);
    const gflops = c.flops / med / 1e9;
    const line = {
      peer,
      case: c.id,
      median_ms: sig(med * 1e3),
      min_ms: sig(t[0]! * 1e3),
      max_ms: sig(t[n - 1]! * 1e3),
      gflops: sig(gflops),
      pct_of_peak: this.peak ? Math.round((1000 * gflops) / this.peak) / 10 : null,
      threads: this.threads,
      samples: n,
      inner: m.inner,
      ...extra,
    };
    this.emit(line);
    process.stderr.write(`[${peer}] ${c.id}: ${line.median_ms} ms, ${line.gflops} GFLOPS\n`);
  }

  error(c: CaseRef, message: string, peer = this.peer): void {
    this.emit({ peer, case: c.id, error: String(message).slice(0, 300) });
    process.stderr.write(`[${peer}] ${c.id}: ERROR ${message}\n`);
  }

  skipped(c: CaseRef, reason: string, peer = this.peer): void {
    this.emit({ peer, case: c.id, skipped: reason });
    process.stderr.write(`[${peer}] ${c.id}: skipped (${reason})\n`);
  }
}
