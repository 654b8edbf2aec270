// Case kinds -> set-up functions. Each kind lives in its own file (sgemm.ts, conv.ts, models.ts)
// and registers itself here; the runner (index.ts) knows nothing about any kind.
import type { BenchCase } from './cases.js';

/** A case ready to time: `run` is the timed call; everything else happened in set-up. */
export interface PreparedCase {
  run: () => unknown;
  /** Called once after the first run (outside timing): throw if the output is wrong/misshaped. */
  check?: () => void;
  /** Frees what set-up allocated. */
  dispose?: () => void;
  /** Extra fields for the JSON line (algorithm picked, ...). */
  extra?: Record<string, unknown>;
  /** Report under another peer name (e.g. one column per algorithm). */
  peer?: string;
}

/**
 * Returns the prepared case, or a list of them (several algorithms), or
 * { skipped: reason } to print a "skip" line, or null to print nothing (unsupported).
 */
export type CaseSetup = (c: BenchCase) => PreparedCase | PreparedCase[] | { skipped: string } | null | Promise<PreparedCase | PreparedCase[] | { skipped: string } | null>;

const kinds = new Map<string, CaseSetup>();

export function registerKind(kind: string, setup: CaseSetup): void {
  kinds.set(kind, setup);
}

export function setupFor(kind: string): CaseSetup | undefined {
  return kinds.get(kind);
}

export function registeredKinds(): string[] {
  return [...kinds.keys()];
}
